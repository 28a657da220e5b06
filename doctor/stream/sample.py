"""Whether a `--max-ttft` verdict rests on too few runs to mean much (pure).

One request's time to first token swings with server queueing and connection set-up, so a
threshold decided on one or two runs is said to be a small sample rather than presented with
a precision it does not have. stream.chat adds the returned line and data field to its verdict.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from doctor.knowledge.wording import stream_sample as words

# Below this many runs the median TTFT is called a small sample (the threshold: 5).
MIN_RUNS = 5


def small_sample_note(runs: int, max_ttft_ms: Optional[float]) -> Optional[str]:
    """The note for a threshold judged on `runs` runs; None without --max-ttft or with enough runs."""
    if max_ttft_ms is None or runs >= MIN_RUNS:
        return None
    return words.small_sample(runs, MIN_RUNS)


def with_small_sample(details: Sequence[str], data: Dict[str, Any], runs: int,
                      max_ttft_ms: Optional[float]) -> Tuple[List[str], Dict[str, Any]]:
    """`details` and `data` with the note (and `data["small_sample"]`, the runs suggested) when it applies."""
    note = small_sample_note(runs, max_ttft_ms)
    if note is None:
        return list(details), data
    return [*details, note], dict(data, small_sample={"runs": runs, "suggested_runs": MIN_RUNS})
