"""Where the buffering is (doctor.stream.buffer_cause) and the gzip rule of figures.judge_buffering,
from hand-made traces: which retries are made, what each verdict means, the fixes and the data
stream.chat reports with `stream_buffered`."""

from __future__ import annotations

from typing import List, Optional, Sequence

import pytest

from doctor.checks import stream_chat
from doctor.checks.route import Route
from doctor.model import CheckResult, Status
from doctor.stream import buffer_cause as bc
from doctor.stream import figures
from doctor.stream import trace as t

SDK = "openai 9.9.9"
HOST = "api.example.invalid"


def chunk(ms: float, kind: str = t.CONTENT, waited: float = 0.0) -> t.Chunk:
    return t.Chunk(wire_ms=ms, yield_ms=ms + 0.05, kind=kind, chars=0 if kind == t.ROLE else 3, waited_ms=waited)


def paced(tokens: int = 8, first: float = 200.0, gap: float = 40.0) -> t.StreamTrace:
    chunks = [chunk(2.0, t.ROLE, 2.0)]
    chunks += [chunk(first + gap * i, waited=first if i == 0 else gap) for i in range(tokens)]
    return t.StreamTrace(model="m", sdk=SDK, status=200, headers_ms=1.0, end_ms=chunks[-1].wire_ms + 1,
                         chunks=tuple(chunks), reads=tuple(c.wire_ms for c in chunks), finish_reason="stop")


def burst(tokens: int = 8, at: float = 500.0, reads: Sequence[float] = (), encoding: Optional[str] = None) -> t.StreamTrace:
    """Every chunk (the role chunk too) inflated at `at`; `reads` adds earlier network reads."""
    chunks = [chunk(at, t.ROLE, at)] + [chunk(at + 0.1 * (i + 1)) for i in range(tokens)]
    return t.StreamTrace(model="m", sdk=SDK, status=200, headers_ms=1.0, end_ms=at + 5, chunks=tuple(chunks),
                         reads=tuple(sorted([*reads, at])), finish_reason="stop", extra=t.encoding_note(encoding))


def refused() -> t.StreamTrace:
    failure = t.StreamFailure(t.ERR_CONNECTION, t.PHASE_REQUEST, "Connection refused", "APIConnectionError")
    return t.StreamTrace(model="m", sdk=SDK, failure=failure, end_ms=1.0)


class Reruns:
    """A `Rerun` that hands out prepared traces and records which retries were asked for."""

    def __init__(self, same: t.StreamTrace, direct: Optional[t.StreamTrace] = None) -> None:
        self.traces = {False: same, True: direct}
        self.asked: List[bool] = []

    def __call__(self, direct: bool) -> t.StreamTrace:
        self.asked.append(direct)
        trace = self.traces[direct]
        assert trace is not None, "a direct retry that should not have been made"
        return trace


# --- judge_buffering under a Content-Encoding ------------------------------------------------------


def test_an_early_gzip_header_read_does_not_make_a_burst_streamed() -> None:
    # A gzip-ing server: its 10-byte header read at 3 ms, every event inflated only at the end.
    verdict = figures.judge_buffering(burst(reads=(3.0,), encoding="gzip"))
    assert verdict.verdict == figures.BUFFERED
    assert "only compressed bytes, no text, arrived before them" in verdict.reason
    assert "nothing arrived before" in figures.judge_buffering(burst(encoding="gzip")).reason


def test_the_same_early_read_without_an_encoding_still_counts_as_early_bytes() -> None:
    # Plain bytes read early (keep-alive comments) prove the stream was moving: not buffered.
    assert figures.judge_buffering(burst(reads=(3.0,))).verdict == figures.STREAMED
    assert figures.judge_buffering(burst(reads=(3.0,), encoding="identity")).verdict == figures.STREAMED


def test_an_early_decoded_role_chunk_still_counts_under_gzip() -> None:
    # A server that flushes its compressor: the role chunk was inflated early, the tokens came at once.
    trace = burst(reads=(3.0,), encoding="gzip")
    trace = t.StreamTrace(**{**trace.__dict__, "chunks": (chunk(3.0, t.ROLE, 3.0), *trace.chunks[1:])})
    assert figures.judge_buffering(trace).verdict == figures.STREAMED


def test_a_paced_gzip_stream_is_streamed() -> None:
    trace = t.StreamTrace(**{**paced().__dict__, "extra": t.encoding_note("gzip")})
    assert figures.judge_buffering(trace).verdict == figures.STREAMED


# --- which retries, and what they mean -------------------------------------------------------------


def test_identity_streams_so_compression_and_no_direct_retry() -> None:
    rerun = Reruns(paced())
    cause = bc.find_cause(rerun, host=HOST, proxy="http://127.0.0.1:3128", direct_withheld=None)
    assert (cause.cause, rerun.asked) == (bc.COMPRESSION, [False])
    assert cause.retries[0].verdict == figures.STREAMED and not cause.retries[0].direct


def test_no_proxy_and_still_buffered_is_upstream_after_one_retry() -> None:
    rerun = Reruns(burst())
    cause = bc.find_cause(rerun, host=HOST, proxy=None, direct_withheld=None)
    assert (cause.cause, rerun.asked) == (bc.UPSTREAM, [False])
    assert cause.retries[0].verdict == figures.BUFFERED and cause.direct_not_tried is None


def test_a_proxy_and_direct_streams_is_the_proxy() -> None:
    rerun = Reruns(burst(), paced())
    cause = bc.find_cause(rerun, host=HOST, proxy="http://127.0.0.1:3128", direct_withheld=None)
    assert (cause.cause, rerun.asked) == (bc.PROXY, [False, True])
    assert [r.direct for r in cause.retries] == [False, True]


def test_a_proxy_and_direct_buffered_too_is_upstream() -> None:
    rerun = Reruns(burst(), burst())
    cause = bc.find_cause(rerun, host=HOST, proxy="http://127.0.0.1:3128", direct_withheld=None)
    assert (cause.cause, cause.proxy_required) == (bc.UPSTREAM, False)


def test_a_direct_route_that_cannot_connect_means_the_proxy_is_required() -> None:
    rerun = Reruns(burst(), refused())
    cause = bc.find_cause(rerun, host=HOST, proxy="http://127.0.0.1:3128", direct_withheld=None)
    assert (cause.cause, cause.proxy_required) == (bc.UPSTREAM, True)
    assert cause.retries[1].no_connection and cause.retries[1].failure == t.ERR_CONNECTION
    assert any("the proxy http://127.0.0.1:3128 is required" in line for line in cause.details())


def test_a_withheld_key_makes_no_direct_retry_and_says_why() -> None:
    rerun = Reruns(burst())
    cause = bc.find_cause(rerun, host=HOST, proxy="http://127.0.0.1:3128", direct_withheld="plain http to x")
    assert (cause.cause, rerun.asked) == (bc.UPSTREAM, [False])
    assert cause.direct_not_tried == "plain http to x"
    assert any("may not travel" in line and "plain http to x" in line for line in cause.details())


@pytest.mark.parametrize("unjudged", [burst(tokens=3), refused()])
def test_only_a_streamed_retry_is_evidence(unjudged: t.StreamTrace) -> None:
    cause = bc.find_cause(Reruns(unjudged), host=HOST, proxy=None, direct_withheld=None)
    assert cause.cause == bc.UPSTREAM


def test_the_direct_route_drops_the_proxy_and_the_key_rule_decides_it() -> None:
    proxied = Route("http://127.0.0.1:8000/v1", "http", "127.0.0.1", 8000, proxy_url="http://u:p@10.0.0.9:3128",
                    proxy_shown="http://u:***@10.0.0.9:3128", proxy_scheme="http", proxy_host="10.0.0.9", proxy_port=3128,
                    proxy_variable="HTTP_PROXY")
    direct = bc.direct_route(proxied)
    assert (direct.proxy_url, direct.proxied, direct.host, direct.port) == (None, False, "127.0.0.1", 8000)
    assert bc.direct_withheld(proxied, allow_insecure=False) is None  # straight to this machine
    remote = Route("http://api.example.invalid/v1", "http", HOST, 80, proxy_host="127.0.0.1", proxy_scheme="http")
    assert "not this machine" in (bc.direct_withheld(remote, allow_insecure=False) or "")
    assert bc.direct_withheld(remote, allow_insecure=True) is None
    https = Route("https://api.example.invalid/v1", "https", HOST, 443, proxy_host="127.0.0.1", proxy_scheme="http")
    assert bc.direct_withheld(https, allow_insecure=False) is None


# --- what stream.chat reports ----------------------------------------------------------------------


def judged(cause: Optional[bc.BufferCause]) -> CheckResult:
    s = figures.summarise([burst()], model="m", base_url=f"http://{HOST}/v1", sdk=SDK)
    return stream_chat.judge(stream_chat.StreamChatFacts(smoke=s, beside=(), python="/usr/bin/python3", buffer_cause=cause))


def fix_text(result: CheckResult) -> str:
    return " ".join(f"{f.text} {f.command or ''}" for f in result.fixes)


def test_compression_gets_only_the_compression_fixes_and_the_data() -> None:
    cause = bc.decide(bc.retry_of(False, paced()), None, host=HOST, proxy=None)
    result = judged(cause)
    assert (result.status, result.code, result.data["cause"]) == (Status.WARN, "stream_buffered", "compression")
    assert "gzip off;" in fix_text(result) and "NO_PROXY" not in fix_text(result)
    evidence = result.data["cause_evidence"]
    assert evidence["retries"][0]["buffering"] == "streamed" and evidence["retries"][0]["accept_encoding"] == "identity"
    assert evidence["retries"][0]["ttft_ms"] == 200.0  # the retry's own figures, beside the measured run's
    assert result.data["runs"][0]["ttft_ms"] == 500.1
    assert result.details[1] == "cause: compression (the stream is held while it is gzipped)"


def test_proxy_gets_the_proxy_fixes_only() -> None:
    cause = bc.decide(bc.retry_of(False, burst()), bc.retry_of(True, paced()), host=HOST, proxy="http://127.0.0.1:3128")
    result = judged(cause)
    assert result.data["cause"] == "proxy"
    assert f'"${{NO_PROXY:+$NO_PROXY,}}"{HOST}' in fix_text(result)
    assert "gzip off;" not in fix_text(result)


def test_upstream_gets_the_servers_own_settings() -> None:
    cause = bc.decide(bc.retry_of(False, burst()), None, host=HOST, proxy=None)
    result = judged(cause)
    assert result.data["cause"] == "upstream"
    assert "server's own streaming settings" in fix_text(result) and "NO_PROXY" not in fix_text(result)


def test_without_a_cause_the_generic_fixes_stay() -> None:
    result = judged(None)
    assert result.code == "stream_buffered" and "cause" not in result.data
    assert "proxy_buffering off" in fix_text(result)


def test_the_retries_are_in_the_runs_stated_bound() -> None:
    from doctor.session import deadline_s
    from doctor.settings import Settings, SmokeOptions
    from doctor.stream.budget import Budget, cause_bound_s, smoke_bound_s

    assert cause_bound_s(10.0, 64) == bc.RETRIES * (20.0 + Budget(10.0, 64).attempt_s) == 252.0
    deadline = deadline_s(Settings(timeout_s=10.0, smoke=SmokeOptions(runs=3)))
    assert deadline > smoke_bound_s(10.0, 64, 3) + cause_bound_s(10.0, 64)


# --- retries only for a verdict that shows them ------------------------------------------------------


def overran(trace: t.StreamTrace) -> t.StreamTrace:
    limit = t.StreamLimit(t.LIMIT_TOKENS, 32, 33, "token chunks")
    return t.StreamTrace(**{**trace.__dict__, "overrun": limit, "max_tokens": 8, "limit_field": "max_tokens"})


@pytest.mark.parametrize("traces, max_ttft_s, code", [
    ([burst()], None, "stream_buffered"),
    ([burst(), paced()], None, "stream_buffered"),  # one buffered run of two is enough
    ([burst()], 0.1, "ttft_over_limit"),  # TTFT 500 ms over 100 ms: the threshold is the verdict
    ([burst()], 1.0, "stream_buffered"),  # under the threshold: buffering again
    ([overran(burst(tokens=33))], None, "max_tokens_ignored"),
    ([burst(), refused()], None, "stream_connection_failed"),  # a failed run outranks it all
    ([paced()], None, "stream_no_usage"),  # streamed (the fixture has no usage): nothing to find
])
def test_the_cause_is_searched_exactly_when_the_verdict_shows_it(traces: List[t.StreamTrace],
                                                                 max_ttft_s: Optional[float],
                                                                 code: str) -> None:
    """cause_shown mirrors doctor.checks.smoke_judging.verdict's order: pinned here against it."""
    s = figures.summarise(traces, model="m", base_url=f"http://{HOST}/v1", sdk=SDK, max_ttft_s=max_ttft_s)
    result = stream_chat.judge(stream_chat.StreamChatFacts(smoke=s, beside=(), python="/usr/bin/python3"))
    assert result.code == code, (result.code, result.summary)
    failed = [m.problem is not None for m in s.metrics]
    assert bc.cause_shown(s, failed) is (code == "stream_buffered")


def test_a_run_the_check_finds_failed_makes_no_retry() -> None:
    """stream.responses fails runs on its own verdicts too (no terminal event): its `failed` says so."""
    s = figures.summarise([burst()], model="m", base_url=f"http://{HOST}/v1", sdk=SDK)
    assert bc.cause_shown(s, [False]) and not bc.cause_shown(s, [True])
