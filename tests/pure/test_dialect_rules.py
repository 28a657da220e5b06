"""The TTFT ladder and the endpoint's dialect, from hand-made bytes and traces (pure).

WireWatch (doctor.stream.target_reading) reads the decoded bytes of a reply; doctor.stream.dialect
judges what it noted; doctor.stream.figures puts the ladder's rungs in each run; the -v drawing
(doctor.render.smoke_ladder) and the dialect section (doctor.render.smoke) are text from the
check's data.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.knowledge.wording import dialect as words
from doctor.render.smoke import dialect_lines
from doctor.render.smoke_ladder import ladder
from doctor.render.timeline import draw_columns as draw
from doctor.stream import dialect as d
from doctor.stream import figures
from doctor.stream import trace as t
from doctor.stream.target_reading import LINE_BYTES, NAME_CHARS, NAMES_KEPT, WireWatch


def sse(*chunks: Any, comments: tuple = (), done: bool = True) -> bytes:
    head = b"".join(b": " + c.encode() + b"\n\n" for c in comments)
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return head + body + (b"data: [DONE]\n\n" if done else b"")


def watched(data: bytes, pieces: int = 1, headers: Optional[Dict[str, str]] = None) -> t.WireFacts:
    watch = WireWatch()

    class Response:
        def __init__(self) -> None:
            self.headers = headers or {}

        def iter_bytes(self, chunk_size: Optional[int] = None) -> Any:  # noqa: ARG002  # httpx's signature
            step = max(1, len(data) // pieces)
            for start in range(0, len(data), step):
                yield data[start:start + step]

    response = Response()
    watch.wrap(response)
    assert b"".join(response.iter_bytes()) == data  # the SDK gets every byte, unchanged
    facts = t.WireFacts.from_dict(watch.to_dict())
    assert facts is not None
    return facts


def choice(delta: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": None, **extra}


OPENAI_WIRE = sse(
    {"id": "chatcmpl-A1", "object": "chat.completion.chunk", "system_fingerprint": "fp_0a", "obfuscation": "x",
     "choices": [choice({"role": "assistant", "content": ""})], "usage": None},
    {"id": "chatcmpl-A1", "system_fingerprint": "fp_0a", "obfuscation": "yy", "choices": [choice({"content": "Hi"})], "usage": None},
    {"id": "chatcmpl-A1", "system_fingerprint": "fp_0a", "obfuscation": "z", "choices": [],
     "usage": {"completion_tokens": 1}},
)


# --- what WireWatch notes ----------------------------------------------------------------------


def test_an_openai_stream_is_read_field_by_field() -> None:
    wire = watched(OPENAI_WIRE, headers={"x-request-id": "req_1", "openai-version": "2020-10-01", "server": "cloudflare"})
    assert (wire.events, wire.comments, wire.first, wire.usage_chunks, wire.usage_on_choices) == (3, 0, "role_only", 1, 0)
    assert wire.fields == ("id", "object", "system_fingerprint", "obfuscation", "choices", "usage")
    assert (wire.obfuscation, wire.fingerprint, wire.id_prefix, wire.reasoning_field) == (True, "fp_0a", "chatcmpl-", None)
    assert wire.header("server") == "cloudflare" and wire.header("via") is None
    assert d.guess_family(wire)[0] == d.OPENAI
    assert d.usage_placement(wire, requested=True) == words.USAGE_CHUNK


@pytest.mark.parametrize("pieces", [1, 2, 7, 50, len(OPENAI_WIRE)])
def test_where_the_reads_split_the_bytes_does_not_matter(pieces: int) -> None:
    assert watched(OPENAI_WIRE, pieces) == watched(OPENAI_WIRE, 1)


def test_crlf_lines_comments_done_and_garbage() -> None:
    data = (b": ping\r\n\r\n:keep-alive\r\n\r\ndata: not json\r\n\r\nevent: x\r\n"
            b"data: {\"choices\": [{\"delta\": {\"reasoning\": \"hm\"}}]}\r\n\r\ndata: [DONE]\r\n\r\n")
    wire = watched(data, 5)
    assert (wire.comments, wire.comment, wire.events, wire.first, wire.reasoning_field) == (2, "ping", 2, "token", "reasoning")


def test_past_the_first_events_only_those_that_say_something_new_are_read() -> None:
    tokens = [{"id": "x", "choices": [choice({"content": "a"})]} for _ in range(40)]
    data = sse(*tokens, {"id": "x", "choices": [choice({"reasoning": "hm"})]},
               {"id": "x", "choices": [choice({}, finish_reason="stop", stop_reason=None)], "timings": {}},
               {"id": "x", "choices": [], "usage": {"completion_tokens": 40}, "late": 1})
    wire = watched(data, 9)
    assert (wire.events, wire.reasoning_field, wire.usage_chunks, wire.usage_on_choices) == (43, "reasoning", 1, 0)
    assert wire.fields == ("id", "choices", "timings", "usage", "late") and "stop_reason" in wire.choice_fields
    # The late finish chunk's stop_reason was read: vLLM's clue (timings alone names no family).
    assert d.guess_family(wire)[0] == d.VLLM


def test_names_from_a_server_are_few_and_short() -> None:
    many = {str(i) + ("f" * 100): i for i in range(1000)}
    wire = watched(sse({**many, "choices": [{"delta": {("d" * 60): 1}}]}))
    assert len(wire.fields) == NAMES_KEPT and all(len(name) == NAME_CHARS for name in wire.fields)
    assert wire.delta_fields == ("d" * NAME_CHARS,)


def test_a_line_that_never_ends_is_dropped_not_kept() -> None:
    watch = WireWatch()
    for _ in range(5):
        watch.feed(b"x" * (LINE_BYTES // 2))
    assert len(watch.pending) <= LINE_BYTES
    watch.feed(b"tail\ndata: {\"choices\": []}\n\n")  # the rest of the endless line is not an event
    assert watch.to_dict()["events"] == 1 and watch.to_dict()["first"] == "no_choices"


def test_deep_or_odd_json_is_ignored_without_raising() -> None:
    wire = watched(b"data: " + b"[" * 100_000 + b"\n\ndata: [1, 2]\n\ndata: {\"choices\": 5, \"id\": 7}\n\n")
    assert wire.events == 3 and wire.fields == ("choices", "id") and wire.id_prefix is None and wire.first == "other"


def test_from_dict_refuses_wrong_types() -> None:
    odd = {"events": "many", "comments": -1, "fields": ["ok", 5, "x" * 99], "first": 3, "obfuscation": "yes",
           "headers": [["server", "nginx"], ["set-cookie", "a"], ["via", 5], "junk"], "usage_chunks": True}
    wire = t.WireFacts.from_dict(odd)
    assert wire == t.WireFacts(fields=("ok", "x" * t.WIRE_NAME_CHARS), headers=(("server", "nginx"),))
    assert t.WireFacts.from_dict(None) is None and t.WireFacts.from_dict([1]) is None


# --- the family and the rest of the dialect ----------------------------------------------------


def facts(**fields: Any) -> t.WireFacts:
    return t.WireFacts(events=5, **fields)


@pytest.mark.parametrize("wire, family", [
    (facts(fields=("id", "provider", "choices"), fingerprint="fp_1"), d.OPENROUTER),
    (facts(comment="OPENROUTER PROCESSING"), d.OPENROUTER),
    (facts(choice_fields=("delta", "content_filter_results"), obfuscation=True, fingerprint="fp_1"), d.AZURE),
    (facts(headers=(("apim-request-id", "1"),)), d.AZURE),
    (facts(fingerprint="fp_ollama"), d.OLLAMA),
    (facts(fingerprint="b6097-9515c613"), d.LLAMA_CPP),
    (facts(fields=("timings",), fingerprint="b6097-9515c613"), d.LLAMA_CPP),
    (facts(fields=("timings",)), None),  # dasLLAMA sends a timings object too: alone it names no family
    (facts(headers=(("server", "llama.cpp"),)), d.LLAMA_CPP),
    (facts(choice_fields=("stop_reason",)), d.VLLM),
    (facts(fields=("prompt_token_ids",)), d.VLLM),
    (facts(obfuscation=True, fingerprint="fp_1"), d.OPENAI),
    # One OpenAI-looking clue alone is what many proxies and clones copy: not enough.
    (facts(headers=(("x-request-id", "req_1"),)), None),
    (facts(fingerprint="fp_1"), None),
    (facts(), None),
])
def test_the_family_needs_a_clue_only_it_sends(wire: t.WireFacts, family: Optional[str]) -> None:
    found, evidence = d.guess_family(wire)
    assert found == family and (len(evidence) >= 1) == (family is not None)


@pytest.mark.parametrize("wire, requested, where", [
    (facts(usage_chunks=1), True, words.USAGE_CHUNK),
    (facts(usage_chunks=1, usage_on_choices=1), True, words.USAGE_ON_LAST),
    (facts(usage_chunks=9, usage_on_choices=8), True, words.USAGE_EVERY),
    (facts(fields=("timings",)), True, words.USAGE_VENDOR),
    (facts(), True, words.USAGE_NOWHERE),
    (facts(), False, words.USAGE_NOT_ASKED),
])
def test_where_usage_arrives(wire: t.WireFacts, requested: bool, where: str) -> None:
    assert d.usage_placement(wire, requested) == where


@pytest.mark.parametrize("headers, first_token, held", [
    ([300.0], [305.0], True),  # a gateway held its head until the upstream's first token
    ([300.0, 310.0, 900.0], [320.0, 330.0, 2000.0], True),  # on the medians
    ([1000.0], [1090.0], True),  # within 10% of the first token
    ([300.0], [400.0], False),  # the head came well before the token
    ([10.0], [300.0], False),
    ([20.0], [21.0], None),  # all fast: cannot tell
    ([None], [300.0], None),
])
def test_headers_held_until_the_first_token(headers: List[Optional[float]], first_token: List[Optional[float]],
                                            held: Optional[bool]) -> None:
    assert d.headers_held(headers, first_token)[0] is held


def trace_with(wire: Optional[t.WireFacts], headers_ms: Optional[float] = 10.0, **fields: Any) -> t.StreamTrace:
    return t.StreamTrace(model="m", sdk="openai 3.57.0", headers_ms=headers_ms, wire=wire, **fields)


def test_read_dialect_from_the_runs_that_read_a_body() -> None:
    first = facts(first="no_choices", comments=2, comment="ping", fields=("prompt_filter_results",),
                  headers=(("server", "istio-envoy"),), usage_chunks=1)
    later = facts(comments=1, reasoning_field="reasoning_content")
    dialect = d.read_dialect([trace_with(None), trace_with(first), trace_with(later)], [None, 320.0, 330.0])
    assert dialect is not None
    got = dialect.to_dict()
    assert (got["family"], got["usage"], got["empty_choices_first_chunk"], got["role_only_first_chunk"]) == (
        d.AZURE, words.USAGE_CHUNK, True, False)
    assert (got["sse_comments"], got["first_comment"], got["reasoning_field"], got["server"]) == (3, "ping", "reasoning_content", "istio-envoy")
    assert got["headers_held_until_first_token"] is False  # headers at 10 ms, tokens at 320 ms: not held
    assert d.read_dialect([trace_with(None), trace_with(t.WireFacts())], [None, None]) is None
    assert got["api"] == "chat"


def test_a_responses_stream_records_what_applies_to_it() -> None:
    """SSE comments, the server header, headers held, the family from headers: yes; no choices."""
    responses = facts(fields=("type", "sequence_number", "delta"), first="no_choices", comments=2, comment="ping",
                      headers=(("apim-request-id", "abc"), ("server", "istio-envoy")), reasoning_field="reasoning")
    dialect = d.read_dialect([trace_with(responses, headers_ms=300.0)], [310.0])
    assert dialect is not None
    got = dialect.to_dict()
    assert (got["api"], got["family"], got["evidence"]) == ("responses", d.AZURE, ["apim-request-id header"])
    assert (got["sse_comments"], got["first_comment"], got["server"]) == (2, "ping", "istio-envoy")
    assert (got["usage"], got["reasoning_field"]) == (words.USAGE_TERMINAL, None)
    assert (got["empty_choices_first_chunk"], got["role_only_first_chunk"]) == (False, False)
    assert got["headers_held_until_first_token"] is True  # headers at 300 ms, first token at 310 ms


# --- the ladder --------------------------------------------------------------------------------


@st.composite
def traces(draw_: Any) -> t.StreamTrace:
    """A stream as either path records it: times only move forward (reads, then the chunks they completed)."""
    times = sorted(draw_(st.lists(st.floats(0.0, 5000.0), min_size=3, max_size=30)))
    headers, *rest = times
    kinds = draw_(st.lists(st.sampled_from([t.ROLE, t.CONTENT, t.REASONING, t.EMPTY, t.NO_CHOICES]),
                           min_size=len(rest) - 1, max_size=len(rest) - 1))
    reads = tuple(rest[:-1])
    chunks = tuple(t.Chunk(wire_ms=at, yield_ms=at, kind=kind) for at, kind in zip(rest[:-1], kinds))
    return t.StreamTrace(model="m", sdk="s", status=200, headers_ms=headers, reads=reads, chunks=chunks, end_ms=rest[-1])


LADDER = ("headers_ms", "first_byte_ms", "first_chunk_ms", "first_token_any_ms", "ttft_ms", "last_token_ms", "total_ms")


@settings(max_examples=300, deadline=None)
@given(traces())
def test_the_rungs_come_in_their_order(trace: t.StreamTrace) -> None:
    m = figures.measure(trace)
    rungs = [getattr(m, name) for name in LADDER]
    present = [value for value in rungs if value is not None]
    assert present == sorted(present)
    assert (m.first_token_any_ms is None) == (trace.first(*t.TOKEN_KINDS) is None)
    assert m.ttft_ms is None or (m.first_token_any_ms is not None and m.first_token_any_ms <= m.ttft_ms)
    if m.first_reasoning_ms is not None:
        assert m.first_token_any_ms is not None and m.first_token_any_ms <= m.first_reasoning_ms
    assert m.first_byte_ms == (round(trace.reads[0], 1) if trace.reads else None)


def test_first_token_any_counts_reasoning_and_tool_calls_ttft_content_only() -> None:
    trace = t.StreamTrace(model="m", sdk="s", status=200, content_type="text/event-stream", finish_reason="stop",
                          headers_ms=5.0, reads=(6.0, 50.0, 90.0), end_ms=95.0, chunks=(
        t.Chunk(6.0, 6.0, t.ROLE), t.Chunk(50.0, 50.0, t.REASONING), t.Chunk(90.0, 90.0, t.CONTENT)))
    m = figures.measure(trace)
    assert (m.headers_ms, m.first_byte_ms, m.first_chunk_ms, m.first_token_any_ms, m.ttft_ms) == (5.0, 6.0, 6.0, 50.0, 90.0)
    summary = figures.summarise([trace, trace], model="m", base_url="u", sdk="s")
    document = summary.to_dict()
    assert document["runs"][0]["first_byte_ms"] == 6.0 and document["runs"][0]["first_token_any_ms"] == 50.0
    assert document["timings_ms"]["first_token_any_ms"]["p50"] == 50.0 and document["timings_ms"]["first_byte_ms"]["max"] == 6.0
    assert document["dialect"] is None  # no WireFacts: no body was watched


# --- the drawings ------------------------------------------------------------------------------


RUN = {"headers_ms": 40.0, "first_byte_ms": 41.0, "first_chunk_ms": 41.5, "first_token_any_ms": 250.0,
       "ttft_ms": 290.0, "total_ms": 400.0, "connect_ms": 3.0}


def test_the_ladder_hangs_each_rung_under_the_end_of_its_column() -> None:
    lines = ladder({"runs": [RUN], "net_ms": {"dns": 1.0, "connect": 0.5, "tls": 4.0}})
    assert lines[0] == words.LADDER_TITLE.format(run=1)
    bar = lines[2]
    assert bar.strip().startswith("[") and bar.endswith("]") and bar.count("|") == 8
    names = [line.strip().split("|")[-1].strip() or line.strip() for line in lines[4:13]]
    assert [n.split(":")[0].split()[-1] for n in names] == [
        "namelookup", "connect", "pretransfer", "headers", "first_byte", "first_chunk", "first_token_any", "ttft", "total"]
    # Each name ends where its column does (the "|" above it).
    for row, line in enumerate(lines[4:13]):
        assert lines[3][len(line) - 1] == "|" if row < 8 else len(line) == len(bar)
    assert "first_token_any:250 ms" in lines[10] and "ttft:290 ms" in lines[11] and "pretransfer:5.5 ms" in lines[6]
    assert lines[13] == words.NET_NOTE.format(connect="3.0 ms") and lines[14] == words.PEERS


def test_the_ladder_without_net_checks_or_runs() -> None:
    lines = ladder({"runs": [{"headers_ms": None}, dict(RUN, first_byte_ms=None, connect_ms=None)]})
    assert lines[0] == words.LADDER_TITLE.format(run=2) and "first_byte" not in "".join(lines[:-1])
    assert not [line for line in lines if line.startswith("*")] and lines[-1] == words.PEERS
    assert ladder({"runs": []}) == [] and ladder({}) == [] and draw([]) == []


def test_the_dialect_section() -> None:
    dialect = d.Dialect(family=d.VLLM, evidence=("`stop_reason` in the choices",), usage=words.USAGE_CHUNK,
                        reasoning_field="reasoning_content", empty_choices_first=False, role_only_first=True,
                        comments=2, comment="ping", obfuscation=False, server="uvicorn", fields=("id",),
                        headers_held=True, headers_ms=300.0, first_token_ms=305.0)
    lines = dialect_lines({"dialect": dialect.to_dict()})
    assert lines == [
        "dialect: looks like vLLM (`stop_reason` in the choices)",
        "  usage arrives in a usage chunk; reasoning in `reasoning_content`",
        "  first chunk is role-only (no token: counts as TTFT for vLLM's benchmark only)",
        "  2 SSE comment line(s), first ': ping' (the SDK skips them)",
        "  server: uvicorn",
        words.held_line(300.0, 305.0),
    ]
    assert dialect_lines({"dialect": None}) == [] and dialect_lines({}) == []
