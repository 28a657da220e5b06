"""What `stream.chat` (the streamed smoke test) says: summaries, detail lines and fixes.

The codes' own meanings are in doctor/knowledge/codes/stream.py.
"""

from __future__ import annotations

from doctor.stream import trace as t

# --- a bound of doctor.stream.budget ------------------------------------------------------------


def describe_limit(limit: t.StreamLimit) -> str:
    """The figures, in words: "no new event for 3.0 s (the limit is 3 s)"."""
    def amount(value: float) -> str:
        if limit.unit == "s":
            return f"{value:.1f} s"
        if limit.unit == "bytes":
            return f"{value / (1024 * 1024):.1f} MiB" if value >= 1024 * 1024 else f"{value:.0f} bytes"
        return f"{value:.0f} {limit.unit}"

    what = {
        t.LIMIT_HEADERS: "the response headers were still incomplete after",
        t.LIMIT_STALL: "no new event for",
        t.LIMIT_RUN_TIME: "the server was still sending after",
        t.LIMIT_EVENT_BYTES: "one event (a line that never ends) reached",
        t.LIMIT_REPLY_BYTES: "the reply reached",
        t.LIMIT_TOTAL_BYTES: "the runs together reached",
        t.LIMIT_EVENTS: "the reply reached",
        t.LIMIT_TOKENS: "the reply reached",
    }.get(limit.kind, "reached")
    return f"{what} {amount(limit.observed)} (the limit is {amount(limit.bound)})"
