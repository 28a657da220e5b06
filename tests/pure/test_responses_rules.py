"""stream.responses' rules from hand-made traces: a server without the Responses API (warn under
--api both, fail under --api responses; a missing model stays model_not_found), a stream without
a terminal event, a failed or error event with the server's message, an incomplete answer with
its reason (content_filtered when a content filter stopped it), a terminal event without usage
(stream_no_usage), sequence numbers that skip (none at all is fine), each warning once over the runs,
and the in-process reader of the SDK's events (doctor.stream.responses_events).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional, Sequence, Tuple

import pytest

from doctor.checks import stream_responses
from doctor.model import CheckResult, Status
from doctor.stream import figures
from doctor.stream import trace as t
from doctor.stream.chunks import OddChunk
from doctor.stream.responses_events import (
    EventFailed,
    ResponsesReader,
    ResponsesRun,
    ResponsesSmoke,
    responses_run,
    sequence_gaps,
)

COMPLETED, INCOMPLETE, FAILED = "response.completed", "response.incomplete", "response.failed"


def streamed(tokens: int = 8, finish: Optional[str] = "completed", failure: Optional[t.StreamFailure] = None) -> t.StreamTrace:
    """A Responses run as the runner reports it: response.created, `tokens` text deltas 40 ms apart."""
    chunks = [t.Chunk(wire_ms=100.0, yield_ms=100.5, kind=t.ROLE)]
    chunks += [t.Chunk(wire_ms=300.0 + 40 * i, yield_ms=300.5 + 40 * i, kind=t.CONTENT, chars=3, waited_ms=40.0)
               for i in range(tokens)]
    return t.StreamTrace(model="gpt-4o-mini", sdk="openai 3.57.0", status=200, content_type="text/event-stream",
                         headers_ms=90.0, end_ms=310.0 + 40 * tokens, chunks=tuple(chunks), finish_reason=finish,
                         completion_tokens=tokens if finish else None, failure=failure, text="abc" * tokens,
                         max_tokens=64, limit_field="max_output_tokens", usage_requested=False, endpoint_kind="compatible")


def refused(status: int, code: Optional[str] = None, message: str = "Invalid URL (POST /v1/responses)") -> t.StreamTrace:
    failure = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message=message, exception="NotFoundError",
                              status=status, code=code)
    return t.StreamTrace(model="gpt-4o-mini", sdk="openai 3.57.0", status=status, failure=failure, end_ms=5.0,
                         endpoint_kind="compatible")


def extras(types: Sequence[Optional[str]] = (), seqs: Sequence[Optional[int]] = (), terminal: Optional[str] = COMPLETED) -> ResponsesRun:
    return ResponsesRun(event_types=tuple(types), sequence_numbers=tuple(seqs), terminal=terminal)


def judge(runs: Sequence[Tuple[t.StreamTrace, ResponsesRun]], both: bool = False) -> CheckResult:
    summary = figures.summarise([trace for trace, _ in runs], model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1",
                                sdk="openai 3.57.0")
    smoke = ResponsesSmoke(summary=summary, runs=tuple(run for _, run in runs))
    return stream_responses.judge(stream_responses.StreamResponsesFacts(smoke=smoke, beside=(), python="/usr/bin/python3",
                                                                        both=both))


# --- sequence numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("numbers, gaps", [
    ((0, 1, 2, 3), ()),
    ((), ()),
    ((None, None, None), ()),  # llama-server's dialect: no numbers at all is not a gap
    ((0, 1, None, 2), ()),  # an event without one is passed over
    ((0, 1, 2, 3, 4, 5, 7, 8), ((6, 7),)),
    ((0, 1, 1, 2), ((2, 1),)),  # a repeat (the step after it is in order again)
    ((5, 6, 9), ((7, 9),)),  # numbering need not start at 0
])
def test_sequence_gaps(numbers: Tuple[Optional[int], ...], gaps: Tuple[Tuple[int, int], ...]) -> None:
    assert sequence_gaps(numbers) == gaps


# --- the verdicts -------------------------------------------------------------------------------


def test_a_complete_stream_is_ok_with_its_timings() -> None:
    result = judge([(streamed(), extras(seqs=range(12)))])
    assert (result.status, result.code) == (Status.OK, None)
    assert result.summary.startswith("8 tokens, TTFT 300 ms")
    assert result.data["api"] == "responses" and result.data["terminal"] == [COMPLETED]


@pytest.mark.parametrize("both, status", [(True, Status.WARN), (False, Status.FAIL)])
@pytest.mark.parametrize("http", [404, 405])
def test_a_server_without_the_responses_api(both: bool, status: Status, http: int) -> None:
    result = judge([(refused(http), extras(terminal=None))], both=both)
    assert (result.code, result.status) == ("responses_api_unsupported", status)
    assert f"HTTP {http}" in result.summary and "no Responses API" in result.summary
    assert any("only Chat Completions" in line for line in result.details)
    assert any("stream.chat" in line for line in result.details) is both
    assert result.fixes[0].command == "chat-doctor smoke --api chat"


def test_a_missing_model_on_responses_is_model_not_found_not_unsupported() -> None:
    result = judge([(refused(404, code="model_not_found", message="The model `x` does not exist"), extras(terminal=None))],
                   both=True)
    assert (result.code, result.status) == ("model_not_found", Status.FAIL)


def test_a_401_on_responses_keeps_its_api_code() -> None:
    result = judge([(refused(401, code="invalid_api_key", message="Incorrect API key provided"), extras(terminal=None))])
    assert (result.code, result.status) == ("invalid_api_key", Status.FAIL)


def test_a_stream_without_a_terminal_event_is_interrupted_in_this_apis_words() -> None:
    types = ["response.created", *["response.output_text.delta"] * 8, "response.output_text.done"]
    result = judge([(streamed(finish=None), extras(types=types, terminal=None))])
    assert (result.code, result.status) == ("stream_interrupted", Status.FAIL)
    assert "without response.completed" in result.summary and "after 8 text deltas" in result.summary
    last = ", ".join(["response.output_text.delta"] * 4 + ["response.output_text.done"])
    assert f"last events: {last}" in result.details


@pytest.mark.parametrize("event", [FAILED, "error"])
def test_a_failed_or_error_event_shows_the_servers_message(event: str) -> None:
    failure = t.StreamFailure(kind=t.ERR_EVENT, phase=t.PHASE_STREAM, message="The server had an error", exception=event,
                              code="server_error")
    result = judge([(streamed(tokens=1, finish=None, failure=failure), extras(terminal=event))])
    assert (result.code, result.status) == ("stream_error_event", Status.FAIL)
    assert result.summary == f"the server sent {event} after 1 text deltas: The server had an error"


@pytest.mark.parametrize("reason, said", [("max_output_tokens", "max_output_tokens (--max-tokens)"),
                                          ("eos", "no reason"), (None, "no reason")])
# None: no incomplete_details.reason, so the runner's finish is the response's status, "incomplete".
def test_an_incomplete_answer_warns_with_its_reason(reason: Optional[str], said: str) -> None:
    result = judge([(streamed(tokens=3, finish=reason or "incomplete"), extras(terminal=INCOMPLETE))])
    assert (result.code, result.status) == ("stream_incomplete", Status.WARN)
    assert f"reason: {reason or 'not given'}" in result.summary
    assert said in result.details[0]


def test_an_answer_a_content_filter_stopped_is_content_filtered() -> None:
    result = judge([(streamed(tokens=3, finish="content_filter"), extras(terminal=INCOMPLETE))])
    assert (result.code, result.status) == ("content_filtered", Status.WARN)
    assert result.summary == ("the provider's content filter stopped the answer after 3 text deltas "
                              "(response.incomplete, reason: content_filter)")
    assert "content policy" in result.details[0] and "content_filter" in result.fixes[0].text


def test_filtered_and_cut_runs_give_both_codes_filtered_first() -> None:
    runs = [(streamed(tokens=3, finish="max_output_tokens"), extras(terminal=INCOMPLETE)),
            (streamed(tokens=2, finish="content_filter"), extras(terminal=INCOMPLETE))]
    result = judge(runs)
    assert result.data["findings"] == ["content_filtered", "stream_incomplete"]
    assert result.summary.startswith("run 2/2: the provider's content filter")
    assert "also [stream_incomplete]: run 1/2: the answer was cut short" in " ".join(result.details)


def no_usage(tokens: int = 8, finish: Optional[str] = "completed") -> t.StreamTrace:
    trace = streamed(tokens=tokens, finish=finish)
    return t.StreamTrace(**{**trace.__dict__, "completion_tokens": None})


@pytest.mark.parametrize("terminal, finish", [(COMPLETED, "completed"), (INCOMPLETE, "max_output_tokens")])
def test_a_terminal_event_without_usage_is_stream_no_usage(terminal: str, finish: str) -> None:
    result = judge([(no_usage(finish=finish), extras(terminal=terminal))])
    codes = result.data.get("findings") or [result.code]
    assert codes[-1] == "stream_no_usage" and result.status is Status.WARN
    assert (terminal == COMPLETED) == (result.code == "stream_no_usage")  # after stream_incomplete when both


def test_no_usage_counts_the_runs_and_a_run_without_a_terminal_event_is_not_asked() -> None:
    two = judge([(no_usage(), extras()), (streamed(), extras()), (no_usage(), extras())])
    said = ("run 1/3: the terminal event of 2 of 3 runs (response.completed / .incomplete) carried no usage: "
            "token and cost accounting reads zero")
    assert (two.code, two.summary) == ("stream_no_usage", said)
    assert "response.usage" in two.fixes[0].text  # this API's fix, not chat's include_usage
    with_usage = judge([(streamed(), extras())])
    assert (with_usage.code, with_usage.status) == (None, Status.OK)
    # No terminal event: that run's problem is stream_interrupted, not missing usage.
    cut = judge([(no_usage(finish=None), extras(terminal=None))])
    assert cut.code == "stream_interrupted"


def test_a_sequence_gap_warns_and_none_at_all_is_fine() -> None:
    gap = judge([(streamed(), extras(seqs=[0, 1, 2, 3, 4, 5, 7, 8, 9, 10]))])
    assert (gap.code, gap.status) == ("stream_sequence_gap", Status.WARN)
    assert "expected 6, got 7" in gap.summary
    none = judge([(streamed(), extras(seqs=[None] * 10))])
    assert (none.code, none.status) == (None, Status.OK)


def test_each_warning_once_over_the_runs_and_both_listed() -> None:
    runs = [(streamed(tokens=3, finish="max_output_tokens"), extras(seqs=[0, 2], terminal=INCOMPLETE))] * 3
    result = judge(runs)
    assert (result.code, result.status) == ("stream_incomplete", Status.WARN)
    assert result.summary.startswith("run 1/3: ") and result.summary.endswith("(in 3 of 3 runs)")
    assert result.data["findings"] == ["stream_incomplete", "stream_sequence_gap"]
    also = [line for line in result.details if line.startswith("also [")]
    gap = "run 1/3: sequence_number skipped or repeated: expected 1, got 2 (in 3 of 3 runs)"
    assert also == [f"also [stream_sequence_gap]: {gap}"]
    assert any(line.startswith("3 runs, TTFT p50") for line in result.details)  # the headline, once


def test_a_failed_run_outranks_the_warnings() -> None:
    runs = [(streamed(tokens=3, finish="max_output_tokens"), extras(terminal=INCOMPLETE)),
            (streamed(finish=None), extras(terminal=None))]
    result = judge(runs)
    assert (result.code, result.status) == ("stream_interrupted", Status.FAIL)
    assert result.summary.startswith("run 2/2: ")


# --- the in-process reader ----------------------------------------------------------------------


def event(kind: str, seq: Optional[int] = None, **fields: Any) -> SimpleNamespace:
    return SimpleNamespace(type=kind, sequence_number=seq, **fields)


def test_the_reader_reads_events_as_chat_chunks_and_records_them() -> None:
    reader = ResponsesReader()
    usage = SimpleNamespace(output_tokens=2)
    readings = [reader(e) for e in (
        event("response.created", 0, response=SimpleNamespace(status="in_progress")),
        event("response.output_text.delta", 1, delta="Hi"),
        event("response.reasoning_text.delta", 2, delta="hmm"),
        event("response.output_text.done", 3),
        event(COMPLETED, 4, response=SimpleNamespace(status="completed", usage=usage, incomplete_details=None)),
    )]
    assert readings == [(t.ROLE, "", None, None), (t.CONTENT, "Hi", None, None), (t.REASONING, "hmm", None, None),
                        (t.EMPTY, "", None, None), (t.EMPTY, "", "completed", 2)]
    assert (reader.seqs, reader.terminal) == ([0, 1, 2, 3, 4], COMPLETED)
    trace = t.StreamTrace(model="m", sdk="s", chunks=tuple(t.Chunk(wire_ms=10.0 * i, yield_ms=10.0 * i, kind=k)
                                                          for i, (k, *_) in enumerate(readings)))
    assert reader.run(trace).created_ms == 0.0


def test_the_reader_turns_a_failed_event_into_the_streams_failure() -> None:
    reader = ResponsesReader()
    error = SimpleNamespace(message="The server had an error", code="server_error", type=None)
    with pytest.raises(EventFailed) as raised:
        reader(event(FAILED, 7, response=SimpleNamespace(status="failed", error=error, usage=None, incomplete_details=None)))
    failure = raised.value.failure
    assert (failure.kind, failure.exception, failure.message, failure.code) == (
        t.ERR_EVENT, FAILED, "The server had an error", "server_error")
    assert reader.terminal == FAILED and reader.seqs == [7]


def test_the_reader_calls_a_typeless_event_malformed() -> None:
    with pytest.raises(OddChunk):
        ResponsesReader()(SimpleNamespace(type=None))


def test_created_is_timed_from_its_own_chunk() -> None:
    trace = streamed()
    run = responses_run(trace, ["response.created"] + ["response.output_text.delta"] * 8, range(9), COMPLETED)
    assert run.created_ms == 100.0
    assert responses_run(trace, ["response.output_text.delta"], [0], None).created_ms is None


def test_the_report_object_is_smokes_shape_plus_the_responses_fields() -> None:
    trace = streamed()
    summary = figures.summarise([trace], model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", sdk="openai 3.57.0")
    run = responses_run(trace, ["response.created"], [0, 2], COMPLETED)
    document = ResponsesSmoke(summary=summary, runs=(run,)).to_dict()
    assert set(summary.to_dict()) | {"api"} == set(document) and document["api"] == "responses"
    (one,) = document["runs"]
    assert set(summary.to_dict()["runs"][0]) < set(one)
    assert (one["terminal"], one["created_ms"], one["events"], one["sequence_numbers"], one["sequence_gaps"]) == (
        COMPLETED, 100.0, 1, True, [{"expected": 1, "got": 2}])
