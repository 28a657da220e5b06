"""The smoke test's judgement, from hand-built stream traces (pure: no sockets, no SDK calls).

The traces mirror what doctor.stream.sdk records: a wire time per chunk (when the network read
carrying it returned), how long the client waited for it, and the body reads.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import pytest

from doctor.checks import stream_chat
from doctor.model import CheckResult, ExitCode, Status, exit_code_for
from doctor.stream import figures
from doctor.stream import trace as t
from doctor.stream.stats import percentile, spread

SDK = "openai 3.57.0"


def chunk(ms: float, kind: str = t.CONTENT, waited: Optional[float] = None, chars: int = 3) -> t.Chunk:
    return t.Chunk(wire_ms=ms, yield_ms=ms + 0.05, kind=kind, chars=chars, waited_ms=ms if waited is None else waited)


def streamed(
    first_token_ms: float = 300.0,
    interval_ms: float = 40.0,
    tokens: int = 8,
    *,
    role_ms: Optional[float] = 2.0,
    jitter: Sequence[float] = (),
    finish: Optional[str] = "stop",
    kind: str = t.CONTENT,
    extra_reads: Sequence[float] = (),
    **fields,
) -> t.StreamTrace:
    """A healthy stream: optional role chunk, `tokens` token chunks `interval_ms` apart."""
    chunks: List[t.Chunk] = []
    if role_ms is not None:
        chunks.append(chunk(role_ms, t.ROLE, chars=0))
    at = first_token_ms
    previous = role_ms or 0.0
    for index in range(tokens):
        if index:
            at += interval_ms + (jitter[index % len(jitter)] if jitter else 0.0)
        chunks.append(chunk(at, kind, waited=at - previous))
        previous = at
    chunks.append(chunk(at + 0.1, t.EMPTY, waited=0.0, chars=0))
    reads = sorted([c.wire_ms for c in chunks] + list(extra_reads))
    values = dict(
        model="gpt-4o-mini", sdk=SDK, status=200, content_type="text/event-stream; charset=utf-8",
        request_id="req_1", headers_ms=1.5, end_ms=at + 0.5, chunks=tuple(chunks), reads=tuple(reads),
        finish_reason=finish, completion_tokens=tokens, text="x" * tokens, connection="new", connect_ms=0.3,
    )
    values.update(fields)
    return t.StreamTrace(**values)


def buffered_trace(tokens: int = 8, at: float = 480.0) -> t.StreamTrace:
    """Head, role chunk and every token delivered in one write at the end (a buffering proxy)."""
    chunks = [chunk(at, t.ROLE, waited=at, chars=0)]
    chunks += [chunk(at + 0.3 * (i + 1), waited=0.0) for i in range(tokens)]
    chunks.append(chunk(at + 0.3 * (tokens + 1), t.EMPTY, waited=0.0, chars=0))
    return t.StreamTrace(
        model="gpt-4o-mini", sdk=SDK, status=200, content_type="text/event-stream", headers_ms=at - 1,
        end_ms=at + 5, chunks=tuple(chunks), reads=tuple(c.wire_ms for c in chunks), finish_reason="stop",
        completion_tokens=tokens,
    )


def failed(kind: str, phase: str = t.PHASE_REQUEST, **failure) -> t.StreamTrace:
    values = dict(kind=kind, phase=phase, message=failure.pop("message", "m"), exception=failure.pop("exception", "E"))
    values.update(failure)
    return t.StreamTrace(model="gpt-4o-mini", sdk=SDK, failure=t.StreamFailure(**values), end_ms=3.0)


def summary(*traces: t.StreamTrace, max_ttft_s: Optional[float] = None) -> figures.SmokeSummary:
    return figures.summarise(traces, model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk=SDK, max_ttft_s=max_ttft_s)


def judge(s: figures.SmokeSummary) -> CheckResult:
    """stream.chat's verdict on a summary, as `smoke` gives it (no other check in the run)."""
    return stream_chat.judge(stream_chat.StreamChatFacts(smoke=s, beside=(), python="/usr/bin/python3"))


# --- timings -------------------------------------------------------------------------------------


def test_role_only_first_chunk_is_not_the_first_token() -> None:
    m = figures.measure(streamed(first_token_ms=300.0, role_ms=2.0))
    assert m.first_chunk_ms == 2.0  # vLLM's TTFT would be this
    assert m.ttft_ms == 300.0  # ours: the first non-empty content
    assert m.headers_ms == 1.5


def test_reasoning_is_reported_beside_ttft_not_as_it() -> None:
    reasoning = streamed(first_token_ms=100.0, tokens=3, kind=t.REASONING)
    content = [chunk(400.0 + 10 * i) for i in range(3)]
    trace = t.StreamTrace(**{**reasoning.__dict__, "chunks": reasoning.chunks[:-1] + tuple(content)})
    m = figures.measure(trace)
    assert m.first_reasoning_ms == 100.0
    assert m.ttft_ms == 400.0
    assert m.last_token_ms == 420.0


def test_azure_filter_chunk_with_empty_choices_is_tolerated() -> None:
    base = streamed(first_token_ms=50.0)
    trace = t.StreamTrace(**{**base.__dict__, "chunks": (chunk(1.0, t.NO_CHOICES, chars=0),) + base.chunks})
    m = figures.measure(trace)
    assert m.problem is None
    assert m.first_chunk_ms == 1.0 and m.ttft_ms == 50.0


def test_tokens_per_second_is_the_decode_rate_after_the_first_token() -> None:
    m = figures.measure(streamed(first_token_ms=100.0, interval_ms=50.0, tokens=11))
    assert m.tokens_per_s == pytest.approx(20.0)  # 10 tokens in the 500 ms after the first
    assert m.itl_ms == {"p50": 50.0, "p90": 50.0, "max": 50.0}
    assert m.content_chunks == 11


def test_usage_tokens_are_preferred_to_the_chunk_count() -> None:
    m = figures.measure(streamed(first_token_ms=100.0, interval_ms=50.0, tokens=11, completion_tokens=21))
    assert m.completion_tokens == 21
    assert m.tokens_per_s == pytest.approx(40.0)


def test_percentiles_interpolate_like_numpy() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)
    assert percentile([], 50) is None
    assert spread([300.0, 310.0, 305.0, None, 400.0]) == {"min": 300.0, "p50": 307.5, "p90": 373.0, "max": 400.0}


def test_percentiles_over_runs_in_the_summary() -> None:
    runs = [streamed(first_token_ms=ms) for ms in (310.0, 300.0, 340.0, 305.0, 320.0)]
    s = summary(*runs)
    assert s.ttft == {"min": 300.0, "p50": 310.0, "p90": 332.0, "max": 340.0}
    document = s.to_dict()
    assert [r["ttft_ms"] for r in document["runs"]] == [310.0, 300.0, 340.0, 305.0, 320.0]
    assert document["ttft_ms"] == s.ttft
    assert set(document["timings_ms"]) >= {"headers_ms", "first_chunk_ms", "total_ms", "tokens_per_s"}
    result = judge(s)
    assert result.status is Status.OK
    assert "5 runs, TTFT p50 310 ms (min 300 ms, p90 332 ms, max 340 ms)" == result.summary


def test_summary_object_has_the_design_keys() -> None:
    document = summary(streamed()).to_dict()
    assert {"model", "base_url", "runs", "ttft_ms", "buffered"} <= set(document)
    run = document["runs"][0]
    assert {"ttft_ms", "headers_ms", "first_chunk_ms", "total_ms", "content_chunks", "completion_tokens",
            "tokens_per_s", "itl_ms", "buffered", "finish_reason", "request_id", "error"} <= set(run)
    assert set(run["itl_ms"]) == {"p50", "p90", "max"}
    assert run["error"] is None and run["connection"] == "new"


# --- buffering -----------------------------------------------------------------------------------


def test_everything_at_once_is_buffered_with_the_proxy_fixes() -> None:
    s = summary(buffered_trace())
    assert s.metrics[0].buffering.verdict == figures.BUFFERED
    assert s.metrics[0].tokens_per_s is None  # a rate over a burst would be meaningless
    result = judge(s)
    assert result.status is Status.WARN and result.code == "stream_buffered"
    fixes = " ".join(f"{f.text} {f.command or ''}" for f in result.fixes)
    assert "proxy_buffering off" in fixes and "X-Accel-Buffering: no" in fixes
    assert s.to_dict()["buffered"] is True


@pytest.mark.parametrize("jitter", [(), (12.0, -15.0, 30.0, -5.0, 0.0, 22.0, -18.0)])
def test_a_normal_stream_with_jitter_is_not_buffered(jitter: Tuple[float, ...]) -> None:
    m = figures.measure(streamed(first_token_ms=800.0, interval_ms=40.0, tokens=20, jitter=jitter))
    assert m.buffering.verdict == figures.STREAMED


def test_keep_alive_comments_before_a_fast_burst_are_not_buffering() -> None:
    # `: ping` comments every 100 ms while the model thinks, then tokens faster than 1 ms apart:
    # the early bytes prove nothing in between holds the stream back.
    trace = streamed(first_token_ms=600.0, interval_ms=0.2, tokens=12, role_ms=None,
                     extra_reads=(100.0, 200.0, 300.0, 400.0, 500.0))
    trace = t.StreamTrace(**{**trace.__dict__, "chunks": tuple(
        t.Chunk(c.wire_ms, c.yield_ms, c.kind, c.chars, waited_ms=0.0 if i else 100.0) for i, c in enumerate(trace.chunks)
    )})
    assert figures.measure(trace).buffering.verdict == figures.STREAMED


def test_instant_generation_after_a_delay_with_an_early_role_chunk_is_not_buffering() -> None:
    trace = streamed(first_token_ms=1000.0, interval_ms=0.1, tokens=10, role_ms=1.0)
    trace = t.StreamTrace(**{**trace.__dict__, "chunks": tuple(
        t.Chunk(c.wire_ms, c.yield_ms, c.kind, c.chars, waited_ms=0.0) if c.wire_ms > 1000.0 else c for c in trace.chunks
    )})
    assert figures.measure(trace).buffering.verdict == figures.STREAMED


def test_a_reply_too_short_to_judge_says_so() -> None:
    s = summary(streamed(tokens=3))
    assert s.metrics[0].buffering.verdict == figures.TOO_SHORT
    result = judge(s)
    assert result.status is Status.OK
    assert any("too short to judge" in line for line in result.details)


def test_a_reply_faster_than_anyone_could_see_is_not_judged() -> None:
    s = summary(buffered_trace(at=5.0))
    assert s.metrics[0].buffering.verdict == figures.TOO_FAST
    assert judge(s).status is Status.OK


# --- stream problems ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, code",
    [
        (t.ERR_EVENT, "stream_error_event"),
        (t.ERR_MALFORMED, "stream_malformed"),
        (t.ERR_TIMEOUT, "stream_stalled"),
        (t.ERR_CONNECTION, "stream_interrupted"),
        (t.ERR_OTHER, "stream_interrupted"),
    ],
)
def test_failures_after_the_stream_began(kind: str, code: str) -> None:
    base = streamed(tokens=3, finish=None)
    trace = t.StreamTrace(**{**base.__dict__, "failure": t.StreamFailure(kind, t.PHASE_STREAM, "boom", "X")})
    result = judge(summary(trace))
    assert (result.status, result.code) == (Status.FAIL, code)
    assert "after 3 content chunks" in result.summary
    assert result.fixes


def test_json_instead_of_sse_is_not_sse() -> None:
    trace = t.StreamTrace(model="m", sdk=SDK, status=200, content_type="application/json", headers_ms=2.0, end_ms=3.0,
                          reads=(2.5,))
    result = judge(summary(trace))
    assert result.code == "stream_not_sse" and result.status is Status.FAIL


def test_an_html_page_instead_of_a_stream_is_not_the_api() -> None:
    trace = t.StreamTrace(model="m", sdk=SDK, status=200, content_type="text/html; charset=utf-8", headers_ms=2.0, end_ms=3.0)
    assert judge(summary(trace)).code == "not_openai_api"


def test_a_clean_end_without_finish_reason_is_interrupted() -> None:
    result = judge(summary(streamed(finish=None)))
    assert result.code == "stream_interrupted" and "without a finish_reason" in result.summary


def test_finished_without_content_is_empty() -> None:
    trace = t.StreamTrace(model="m", sdk=SDK, status=200, content_type="text/event-stream", headers_ms=1.0, end_ms=2.0,
                          chunks=(chunk(1.2, t.ROLE, chars=0), chunk(1.5, t.EMPTY, chars=0)), finish_reason="stop")
    result = judge(summary(trace))
    assert (result.code, result.status) == ("stream_empty", Status.FAIL)


def test_all_tokens_spent_on_reasoning_is_a_warning_with_the_fix() -> None:
    trace = streamed(tokens=6, kind=t.REASONING, finish="length")
    result = judge(summary(trace))
    assert (result.code, result.status) == ("stream_empty", Status.WARN)
    assert "--max-tokens" in " ".join(result.details)


def test_first_failed_run_is_reported_and_numbered() -> None:
    bad = failed(t.ERR_TIMEOUT, message="timed out")
    result = judge(summary(streamed(), bad))
    assert result.code == "stream_timeout" and result.summary.startswith("run 2/2: ")


# --- errors at request time ------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, code, type_, expected",
    [
        (401, "invalid_api_key", "invalid_request_error", "invalid_api_key"),
        (429, "insufficient_quota", "insufficient_quota", "insufficient_quota"),
        (429, "rate_limit_exceeded", "requests", "rate_limited"),
        (404, "model_not_found", "invalid_request_error", "model_not_found"),
        (500, None, "server_error", "server_error"),
        (302, None, None, "endpoint_redirects"),
        (418, None, None, "unexpected_status"),
    ],
)
def test_http_errors_use_the_api_error_codes_and_always_fail(status, code, type_, expected) -> None:
    trace = failed(t.ERR_STATUS, status=status, code=code, type=type_, message="the server's words")
    result = judge(summary(trace))
    assert result.code == expected
    assert result.status is Status.FAIL  # rate_limited only warns in api.auth; no stream happened here
    assert "the server's words" in result.summary


@pytest.mark.parametrize(
    "kind, exception, expected",
    [
        (t.ERR_TIMEOUT, "APITimeoutError", "stream_timeout"),
        (t.ERR_CONNECTION, "APIConnectionError", "stream_connection_failed"),
        (t.ERR_SETUP, "OpenAIError", "stream_client_setup"),
        (t.ERR_SETUP, "ModuleNotFoundError", "stream_sdk_unavailable"),
    ],
)
def test_failures_before_any_response(kind: str, exception: str, expected: str) -> None:
    phase = t.PHASE_SETUP if kind == t.ERR_SETUP else t.PHASE_REQUEST
    result = judge(summary(failed(kind, phase=phase, exception=exception)))
    assert (result.code, result.status) == (expected, Status.FAIL)


# --- the threshold ---------------------------------------------------------------------------


def test_median_ttft_over_the_limit_is_a_threshold_failure_exit_4() -> None:
    s = summary(*(streamed(first_token_ms=ms) for ms in (900.0, 1200.0, 1300.0)), max_ttft_s=1.0)
    result = judge(s)
    assert (result.code, result.status) == ("ttft_over_limit", Status.FAIL)
    assert "median TTFT 1200 ms is over the limit of 1000 ms" in result.summary
    assert exit_code_for([result]) is ExitCode.THRESHOLD
    assert s.to_dict()["max_ttft_ms"] == 1000.0


def test_under_the_limit_passes() -> None:
    result = judge(summary(streamed(first_token_ms=300.0), max_ttft_s=0.5))
    assert result.status is Status.OK


def test_a_buffered_stream_over_the_limit_keeps_the_threshold_and_names_the_buffering() -> None:
    """Buffering holds the first token back until the reply ends: the threshold's verdict must not hide it."""
    from doctor.knowledge.wording import stream as words

    result = judge(summary(buffered_trace(at=480.0), max_ttft_s=0.1))
    assert (result.code, result.status) == ("ttft_over_limit", Status.FAIL)
    assert exit_code_for([result]) is ExitCode.THRESHOLD
    assert result.summary.startswith("TTFT 480 ms is over the limit of 100 ms") and "(stream_buffered)" in result.summary
    also = [d for d in result.details if d.startswith("also [stream_buffered]: the reply arrived all at once")]
    assert len(also) == 1 and words.BUFFERED_BEHIND_TTFT in " ".join(result.details)
    assert result.data["findings"] == ["ttft_over_limit", "stream_buffered"]
    assert result.fixes == (*words.BUFFER_FIXES, *words.TTFT_FIXES)  # the cause's fixes first, each once


def test_only_one_of_threshold_and_buffering_is_reported_as_before() -> None:
    from doctor.knowledge.wording import stream as words

    over = judge(summary(streamed(first_token_ms=300.0), max_ttft_s=0.1))
    assert (over.code, over.summary, over.fixes) == ("ttft_over_limit", "TTFT 300 ms is over the limit of 100 ms",
                                                     words.TTFT_FIXES)
    assert "findings" not in over.data and not any("stream_buffered" in d for d in over.details)
    held = judge(summary(buffered_trace(at=480.0), max_ttft_s=1.0))
    assert (held.code, held.status, held.fixes) == ("stream_buffered", Status.WARN, words.BUFFER_FIXES)
    assert "findings" not in held.data and held.summary == judge(summary(buffered_trace(at=480.0))).summary


def test_a_broken_stream_outranks_the_threshold() -> None:
    s = summary(streamed(first_token_ms=2000.0, finish=None), max_ttft_s=1.0)
    assert judge(s).code == "stream_interrupted"


# --- reading SDK chunk objects ------------------------------------------------------------------


def test_inspect_chunk_reads_real_sdk_objects() -> None:
    import openai.types.chat as types  # a dependency: its absence is a failure, not a skip

    from doctor.stream.chunks import inspect_chunk

    def make(choices, **extra):  # type: ignore[no-untyped-def]
        return types.ChatCompletionChunk.model_validate(
            {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": choices, **extra}
        ) if hasattr(types.ChatCompletionChunk, "model_validate") else types.ChatCompletionChunk.parse_obj(
            {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": choices, **extra})

    role = make([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
    content = make([{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}])
    reasoning = make([{"index": 0, "delta": {"reasoning_content": "hmm"}, "finish_reason": None}])
    finish = make([{"index": 0, "delta": {}, "finish_reason": "stop"}])
    usage = make([], usage={"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10})
    azure = make([], prompt_filter_results=[{"prompt_index": 0}])
    assert inspect_chunk(role) == (t.ROLE, "", None, None)
    assert inspect_chunk(content) == (t.CONTENT, "Hi", None, None)
    assert inspect_chunk(reasoning) == (t.REASONING, "hmm", None, None)
    assert inspect_chunk(finish) == (t.EMPTY, "", "stop", None)
    assert inspect_chunk(usage) == (t.NO_CHOICES, "", None, 7)
    assert inspect_chunk(azure) == (t.NO_CHOICES, "", None, None)


def test_inspect_chunk_refuses_values_of_the_wrong_type() -> None:
    """The SDK builds chunks without validation (construct), so odd types arrive as they are."""
    import openai.types.chat as types  # a dependency: its absence is a failure, not a skip

    from doctor.stream.chunks import OddChunk, inspect_chunk

    def unvalidated(choices, **extra):  # type: ignore[no-untyped-def]
        from openai._models import construct_type

        body = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": choices, **extra}
        return construct_type(type_=types.ChatCompletionChunk, value=body)

    many = unvalidated([], usage={"prompt_tokens": 3, "completion_tokens": "many", "total_tokens": 10})
    five = unvalidated([{"index": 0, "delta": {"content": 5}, "finish_reason": None}])
    finish = unvalidated([{"index": 0, "delta": {}, "finish_reason": ["stop"]}])
    negative = unvalidated([], usage={"prompt_tokens": 3, "completion_tokens": -1, "total_tokens": 2})
    seven = unvalidated([{"index": 0, "delta": {"reasoning_content": 7}, "finish_reason": None}])
    flag = unvalidated([{"index": 0, "delta": {"reasoning": True}, "finish_reason": None}])
    # What the SDK yields for `data: [1, 2]` and `data: null`: the value itself, not a chunk.
    listed = construct_type_of([1, 2], types.ChatCompletionChunk)
    null = construct_type_of(None, types.ChatCompletionChunk)
    assert listed == [1, 2] and null is None
    for odd, words in ((many, "usage.completion_tokens is 'many' (a string), not a count"),
                       (five, "content is 5 (a number), not text"), (finish, "finish_reason is ['stop'] (a list)"),
                       (negative, "completion_tokens is -1"), (seven, "reasoning_content is 7 (a number), not text"),
                       (flag, "reasoning is True (a boolean), not text"),
                       (listed, "the chunk is [1, 2] (a list), not an object"),
                       (null, "the chunk is None (null), not an object")):
        with pytest.raises(OddChunk, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            inspect_chunk(odd)


def construct_type_of(value: Any, type_: Any) -> Any:
    from openai._models import construct_type

    return construct_type(type_=type_, value=value)


def test_inspect_chunk_keeps_reasoning_of_any_object_shape() -> None:
    """Servers differ on reasoning's shape (text, or an object): any object counts as reasoning."""
    import openai.types.chat as types

    from doctor.stream.chunks import inspect_chunk

    body = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"reasoning": {"text": "hmm"}}, "finish_reason": None}]}
    kind, text, _finish, _tokens = inspect_chunk(construct_type_of(body, types.ChatCompletionChunk))
    assert (kind, text) == (t.REASONING, "{'text': 'hmm'}")


# --- an ignored token limit ---------------------------------------------------------------------


def overran(trace: t.StreamTrace, observed: int = 33) -> t.StreamTrace:
    limit = t.StreamLimit(t.LIMIT_TOKENS, 32, observed, "token chunks")
    return t.StreamTrace(**{**trace.__dict__, "overrun": limit, "finish_reason": None,
                            "max_tokens": 8, "limit_field": "max_tokens"})


def test_an_ignored_limit_warns_and_keeps_the_runs_timings() -> None:
    s = summary(overran(streamed(first_token_ms=100.0, tokens=33)), streamed(first_token_ms=200.0))
    result = judge(s)
    assert (result.code, result.status) == ("max_tokens_ignored", Status.WARN)
    assert "run 1/2: the server ignored the token limit: asked for 8 tokens (`max_tokens`)" in result.summary
    assert result.data["limit"] == {"kind": "tokens", "bound": 32, "observed": 33, "unit": "token chunks"}
    assert s.ttft == {"min": 100.0, "p50": 150.0, "p90": 190.0, "max": 200.0}  # the cut run still counts
    assert s.metrics[0].problem is None  # no finish_reason, yet not "interrupted": chat-doctor stopped it


def test_a_failure_outranks_an_ignored_limit_which_outranks_buffering() -> None:
    cut = streamed(finish=None)
    assert judge(summary(overran(streamed()), cut)).code == "stream_interrupted"
    buffered = streamed(first_token_ms=400.0, interval_ms=0.01, tokens=20, role_ms=None)
    assert judge(summary(buffered)).code == "stream_buffered"
    assert judge(summary(buffered, overran(streamed()))).code == "max_tokens_ignored"


@pytest.mark.parametrize("kind, code", [(t.LIMIT_HEADERS, "stream_timeout"), (t.LIMIT_STALL, "stream_stalled"),
                                        (t.LIMIT_RUN_TIME, "stream_too_long"), (t.LIMIT_EVENT_BYTES, "stream_too_long"),
                                        (t.LIMIT_REPLY_BYTES, "stream_too_long"), (t.LIMIT_EVENTS, "stream_too_long")])
def test_each_bound_has_its_code_and_figures(kind: str, code: str) -> None:
    from doctor.knowledge.wording.stream import describe_limit

    limit = t.StreamLimit(kind, 3.0, 3.2, "s")
    phase = t.PHASE_REQUEST if kind == t.LIMIT_HEADERS else t.PHASE_STREAM
    failure = t.StreamFailure(kind=t.ERR_LIMIT, phase=phase, message=describe_limit(limit),
                              exception="LimitReached", limit=limit)
    trace = t.StreamTrace(model="m", sdk=SDK, failure=failure, status=200, content_type="text/event-stream",
                          headers_ms=1.0 if phase == t.PHASE_STREAM else None, end_ms=3200.0)
    result = judge(summary(trace))
    assert (result.code, result.status) == (code, Status.FAIL)
    assert "3.2 s (the limit is 3.0 s)" in result.summary and result.data["limit"]["kind"] == kind


@pytest.mark.parametrize("sdk, extra", [("openai 3.57.0", "'httpx2[socks]'"), ("openai 1.109.1", "'httpx[socks]'"),
                                        ("openai (not importable)", "'httpx[socks]'")])
def test_socks_support_goes_into_the_interpreter_the_smoke_test_ran_in(sdk: str, extra: str) -> None:
    trace = failed(t.ERR_SETUP, phase=t.PHASE_SETUP, exception="ImportError",
                   message="Using SOCKS proxy, but the 'socksio' package is not installed.")
    s = figures.summarise([trace], model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk=sdk)
    result = stream_chat.judge(stream_chat.StreamChatFacts(smoke=s, beside=(), python="/opt/py 3/bin/python"))
    assert (result.code, result.status) == ("proxy_socks_unsupported", Status.FAIL)
    assert result.fixes[0].command == f"'/opt/py 3/bin/python' -m pip install {extra}"


def test_socks_support_is_installed_without_the_variables_that_hold_the_socks_proxy() -> None:
    trace = failed(t.ERR_SETUP, phase=t.PHASE_SETUP, exception="ImportError",
                   message="Using SOCKS proxy, but the 'socksio' package is not installed.")
    s = figures.summarise([trace], model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk="openai 1.109.1")
    facts = stream_chat.StreamChatFacts(smoke=s, beside=(), python="/opt/py/bin/python", socks_unset=("ALL_PROXY", "all_proxy"))
    assert stream_chat.judge(facts).fixes[0].command == "env -u ALL_PROXY -u all_proxy /opt/py/bin/python -m pip install 'httpx[socks]'"
