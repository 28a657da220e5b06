"""What stream.chat says when a `--max-ttft` verdict rests on too few runs (doctor.stream.sample)."""

from __future__ import annotations


def small_sample(runs: int, minimum: int) -> str:
    shown = "1 run" if runs == 1 else f"{runs} runs"
    return (f"note: the --max-ttft verdict rests on {shown}, a small sample: one slow or fast request decides it; "
            f"for a steadier median use --runs {minimum} or more")
