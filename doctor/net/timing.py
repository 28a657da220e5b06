"""The phase breakdown of one network exchange (what `-v` draws httpstat-style).

All values are durations in milliseconds, rounded to 0.1 ms; a phase that did not happen is
absent. `first_byte` and `total` are cumulative from the start (time to first byte, time to
the end), like curl's `time_starttransfer` and `time_total`; the others are the length of
their own phase:

    dns -> connect -> proxy (CONNECT tunnel) -> tls -> wait (request written, until the
        response head arrived) -> transfer (head .. last body byte)

The response head is the "first byte": an API answer's status line and headers arrive in one
segment, and http.client only hands them over together.
"""

from __future__ import annotations

import time
from typing import Dict, Optional, Tuple

# Phase names in the order they happen; `first_byte` and `total` are cumulative.
PHASES: Tuple[str, ...] = ("dns", "connect", "proxy", "tls", "wait", "transfer")
CUMULATIVE: Tuple[str, ...] = ("first_byte", "total")


def now() -> float:
    return time.perf_counter()


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)


class Marks:
    """Timestamps of one exchange, taken as it happens (not thread-shared)."""

    def __init__(self) -> None:
        self.start = now()
        self._marks: Dict[str, float] = {}

    def mark(self, name: str, at: Optional[float] = None) -> float:
        """Stamp `name` now, or at `at` (a moment seen by another thread, doctor.net.presend)."""
        stamp = now() if at is None else at
        self._marks[name] = stamp
        return stamp

    def get(self, name: str) -> Optional[float]:
        return self._marks.get(name)

    def elapsed_ms(self) -> float:
        return ms(now() - self.start)

    def phases(self) -> Dict[str, float]:
        """Durations from the marks dns_start, dns_end, connect_end, proxy_end, tls_end, head, end.

        `wait` runs from the end of the last connection phase to the response head (it includes
        writing the request, like httpstat's "server processing"); the cumulative values count
        from `dns_start` (when there is one), so the phases add up to them.
        """
        m = self._marks
        out: Dict[str, float] = {}
        ready = None
        for name, begin, end in (
            ("dns", "dns_start", "dns_end"),
            ("connect", "dns_end", "connect_end"),
            ("proxy", "connect_end", "proxy_end"),
            ("tls", "proxy_end" if "proxy_end" in m else "connect_end", "tls_end"),
        ):
            if begin in m and end in m:
                out[name] = ms(m[end] - m[begin])
                ready = end
        if ready and "head" in m:
            out["wait"] = ms(m["head"] - m[ready])
        if "head" in m and "end" in m:
            out["transfer"] = ms(m["end"] - m["head"])
        origin = m.get("dns_start", self.start)
        if "head" in m:
            out["first_byte"] = ms(m["head"] - origin)
        if "end" in m:
            out["total"] = ms(m["end"] - origin)
        return out


def combine(*parts: Dict[str, float]) -> Dict[str, float]:
    """Merge phase dicts (later ones win) and keep the documented order."""
    merged: Dict[str, float] = {}
    for part in parts:
        merged.update(part)
    return {name: merged[name] for name in (*PHASES, *CUMULATIVE) if name in merged}
