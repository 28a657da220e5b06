"""When each token of the smoke runs came off the wire, put into stream.chat's result data.

The picture of the stream (doctor.render.stream_picture) is drawn from a check's result data,
like every `-v` extra, but the stream code keeps per-chunk wire times only in its traces (the
`smoke` fact's `SmokeSummary.traces`): neither the check's data nor the report's `smoke` object
carries them. Until the stream code exposes them itself (`token_arrivals_ms`, one list per run,
beside `runs` in the data its judge builds), the session copies them in here, from the fact that
was gathered anyway. Numbers only: nothing in them needs scrubbing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, List

from doctor.model import CheckResult

CHECK_ID = "stream.chat"
KEY = "token_arrivals_ms"


def token_arrivals(summary: Any) -> List[List[float]]:
    """Wire times (ms since the request was sent) of every token chunk, one list per run."""
    from doctor.stream.trace import TOKEN_KINDS

    return [
        [round(chunk.wire_ms, 1) for chunk in trace.chunks if chunk.kind in TOKEN_KINDS]
        for trace in getattr(summary, "traces", ())
    ]


def with_token_arrivals(result: CheckResult, summary: Any) -> CheckResult:
    """`result` with `data["token_arrivals_ms"]` when it is stream.chat's and the smoke fact was
    gathered; any other result, or data that already has them, unchanged."""
    if result.id != CHECK_ID or summary is None or KEY in result.data or "runs" not in result.data:
        return result
    return replace(result, data={**result.data, KEY: token_arrivals(summary)})
