"""TTFT accuracy and per-chunk cost as rows of scripts/bench.py's table (sections ttft, chunks).

The measurements are scripts/bench_ttft.py's (chat completions, in this process, beside a raw
socket and a naive first-chunk timer) and scripts/bench_responses.py's (the Responses API,
through the smoke test's target runner, beside a raw socket). A TTFT row's value is the median
error (reported TTFT - injected delay D); its reference is the raw socket's error, the floor
no client can beat on this machine.
"""

from __future__ import annotations

import statistics
from typing import Any, Dict, List, Sequence

from bench_common import Row, value_row
from bench_responses import bench_responses
from bench_ttft import GOAL_MS, TOLERANCE_MS, bench_accuracy, bench_overhead

_BUDGET = f"<= {TOLERANCE_MS:g} ms (goal {GOAL_MS:g})"


def _accuracy_rows(api: str, rows: Sequence[Dict[str, Any]]) -> List[Row]:
    out = []
    for row in rows:
        raw = statistics.median(row["raw_errors"])
        out.append(value_row("ttft", f"{api} D={row['delay']:.0f} ms: error", row["ours_errors"], unit="ms",
                             reference_label="raw socket", reference=raw if raw > 0 else None,
                             budget=TOLERANCE_MS, budget_text=_BUDGET))
        if "naive_values" in row:
            out.append(value_row("ttft", f"{api} D={row['delay']:.0f} ms: naive 1st-chunk timer reads",
                                 row["naive_values"], unit="ms"))
    # The SDK's own work from create() to sending (request_build_ms): before the clock, shown so
    # that what the TTFT leaves out stays in sight.
    built = [v for row in rows for v in row.get("build_values", ()) if v == v]  # v == v: not NaN
    if built:
        out.append(value_row("ttft", f"{api}: SDK request building before the send (not in TTFT)", built, unit="ms"))
    return out


def bench_ttft_rows(runs: int = 10) -> List[Row]:
    chat, _ = bench_accuracy(runs)
    return _accuracy_rows("chat", chat) + _accuracy_rows("responses", bench_responses(max(3, runs // 2)))


def bench_chunk_rows(runs: int = 5) -> List[Row]:
    figures = bench_overhead(runs)
    chunks = f"{figures['chunks']:.0f}-chunk stream"
    return [
        Row("chunks", f"chat-doctor per chunk, {chunks}", figures["ours_us"], "us", "raw socket", figures["raw_us"],
            figures["ours_us"] / figures["raw_us"]),
        Row("chunks", f"chat-doctor per chunk, {chunks}", figures["ours_us"], "us", "bare SDK", figures["bare_us"],
            figures["ours_us"] / figures["bare_us"]),
        Row("chunks", "SDK parse latency kept out of every time", figures["parse_lag_us"], "us"),
    ]
