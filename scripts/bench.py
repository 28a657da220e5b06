"""chat-doctor's performance figures, each as a ratio to a reference measured in the same run.

    .venv/bin/python scripts/bench.py            # everything
    .venv/bin/python scripts/bench.py startup    # only the start-up figure

startup: cold wall time of `chat-doctor check --offline` (a fresh process each time, the
         interpreter probe included) against `python -m requests.help`, the stdlib-plus-
         requests environment dump every Python user knows. Budget: 2.5x.
ttft:    accuracy of the reported time to first token against injected delays, against a
         raw-socket client (the floor) and a naive first-chunk timer; per-chunk overhead
         (scripts/bench_ttft.py).

Figures are medians of interleaved runs, so a busy machine slows both sides alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_BUDGET = 2.5


def _wall(cmd: Sequence[str], env: Dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - t0


def _ensure_requests() -> None:
    try:
        import requests  # noqa: F401  # only whether it imports
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "requests"], check=True)


def bench_startup(runs: int = 15) -> Dict[str, float]:
    _ensure_requests()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # both sides may use cached bytecode, as users do
    env["NO_COLOR"] = "1"
    candidates: Dict[str, List[str]] = {
        "python -m requests.help": [sys.executable, "-m", "requests.help"],
        "chat-doctor check --offline": [str(BIN / "chat-doctor"), "check", "--offline"],
        "chat-doctor --version": [str(BIN / "chat-doctor"), "--version"],
    }
    for cmd in candidates.values():  # warm-up: write bytecode, fill the OS page cache
        _wall(cmd, env)
    samples: Dict[str, List[float]] = {name: [] for name in candidates}
    for _ in range(runs):
        for name, cmd in candidates.items():  # interleaved, so drift hits all alike
            samples[name].append(_wall(cmd, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def report_startup() -> bool:
    medians = bench_startup()
    reference = medians["python -m requests.help"]
    print("startup (median wall time of a fresh process, interleaved runs)")
    print(f"  {'command':32} {'ms':>8} {'ratio':>7}")
    for name, seconds in medians.items():
        print(f"  {name:32} {seconds * 1000:8.0f} {seconds / reference:6.2f}x")
    ratio = medians["chat-doctor check --offline"] / reference
    within = ratio <= STARTUP_BUDGET
    print(f"  check --offline is {ratio:.2f}x requests.help (budget {STARTUP_BUDGET}x): {'ok' if within else 'OVER BUDGET'}")
    return within


def report_ttft() -> bool:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import bench_ttft
    except ImportError:
        print("ttft: scripts/bench_ttft.py not found")
        return False
    return bool(bench_ttft.main())


SECTIONS: Dict[str, Callable[[], bool]] = {"startup": report_startup, "ttft": report_ttft}


def main(argv: Sequence[str]) -> int:
    chosen = list(argv) or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    results = []
    for name in chosen:
        results.append(SECTIONS[name]())
        print()
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
