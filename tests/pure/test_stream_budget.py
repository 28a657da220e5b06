"""The numbers of doctor.stream.budget and the rule of doctor.stream.guard, as pure logic (a
hand-driven clock, a stand-in response); tests/local/test_smoke_bounds.py runs them for real.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import pytest

from doctor.settings import Settings, SmokeOptions
from doctor.stream import trace as t
from doctor.stream.budget import EVENT_BYTES, MIB, Budget, smoke_bound_s
from doctor.stream.guard import LimitReached, RequestGuard


def test_budget_numbers_follow_the_readme() -> None:
    b = Budget(timeout_s=10.0, max_tokens=64)
    assert (b.headers_s, b.stall_s, b.run_s) == (10.0, 10.0, 46.0)  # 3 x 10 s + 64 / 4 s
    assert (b.token_bound, b.char_bound, b.event_bound) == (144, 4608, 576)
    assert b.attempt_s == 46.0 + 2 * 30.0
    assert smoke_bound_s(10.0, 64, 5) == 5 * b.attempt_s
    assert not b.overran(144, 4608) and b.overran(145, 0) and b.overran(0, 4609)


def test_the_session_deadline_is_a_backstop_behind_every_bound() -> None:
    from doctor.session import deadline_s

    for timeout, runs, max_tokens in ((1.0, 1, 8), (3.0, 5, 64), (10.0, 100, 4096)):
        settings = Settings(timeout_s=timeout, smoke=SmokeOptions(runs=runs, max_tokens=max_tokens))
        before_smoke = 3 * timeout + 5  # the checks printed before stream.chat
        assert deadline_s(settings) > before_smoke + smoke_bound_s(timeout, max_tokens, runs)
    assert deadline_s(Settings(timeout_s=3.0)) == 3 * 3 + 5 + 3 * 3  # no smoke: as before


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def guard(clock: Clock, reply_bytes: int = 16 * MIB, kind: str = t.LIMIT_REPLY_BYTES) -> RequestGuard:
    return RequestGuard(Budget(timeout_s=2.0, max_tokens=8), clock.now, reply_bytes=reply_bytes,
                        reply_bytes_kind=kind, kill=lambda: None, clock=clock)


def test_headers_are_due_a_timeout_after_connecting() -> None:
    clock = Clock()
    g = guard(clock)
    clock.now += 3.9  # not connected yet: the HTTP library's connect timeout rules
    assert g.overdue(clock.now) is None
    g.connected = clock.now
    clock.now += 2.01
    limit = g.overdue(clock.now)
    assert limit is not None and limit.kind == t.LIMIT_HEADERS and limit.bound == 2.0


def test_after_the_headers_an_event_is_due_every_timeout_and_the_run_ends_at_run_s() -> None:
    clock = Clock()
    g = guard(clock)
    g.headers_in = clock.now
    for _ in range(4):  # events every 1.9 s keep it going...
        clock.now += 1.9
        assert g.overdue(clock.now) is None
        g.progress(clock.now)
    clock.now += 0.3  # ...until 3 x 2 s + 8 / 4 s = 8 s
    assert g.overdue(clock.now) is None
    clock.now += 0.2
    assert g.overdue(clock.now).kind == t.LIMIT_RUN_TIME  # type: ignore[union-attr]
    g2 = guard(clock)
    g2.headers_in = clock.now
    clock.now += 2.01  # bytes may have come, but no event
    assert g2.overdue(clock.now).kind == t.LIMIT_STALL  # type: ignore[union-attr]


class Response:
    """What RequestGuard.install needs of an HTTP library's response: iter_bytes."""

    def __init__(self, pieces: List[bytes]) -> None:
        self.pieces = pieces

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        yield from self.pieces


def drain(g: RequestGuard, pieces: List[bytes]) -> Optional[t.StreamLimit]:
    response = Response(pieces)
    g.install(response)
    try:
        for _ in response.iter_bytes():
            pass
    except LimitReached as reached:
        assert g.tripped == reached.limit
        return reached.limit
    return None


def test_events_may_be_long_but_not_endless() -> None:
    clock = Clock()
    half = b"x" * (EVENT_BYTES // 2)
    # Many events, each under the bound, split anywhere (even inside the blank line): fine.
    assert drain(guard(clock), [b"data: " + half + b"\n", b"\n" + half, b"\r\n\r\n", half, b"\n\n"]) is None
    limit = drain(guard(clock), [b"data: " + half, half, b"more"])
    assert limit is not None and limit.kind == t.LIMIT_EVENT_BYTES and limit.observed > EVENT_BYTES


@pytest.mark.parametrize("kind", [t.LIMIT_REPLY_BYTES, t.LIMIT_TOTAL_BYTES])
def test_a_reply_is_bounded_in_decoded_bytes(kind: str) -> None:
    events = [b"data: {}\n\n" * 1000] * 20  # 200 kB of small events
    limit = drain(guard(Clock(), reply_bytes=100_000, kind=kind), events)
    assert limit is not None and (limit.kind, limit.bound, limit.unit) == (kind, 100_000, "bytes")
