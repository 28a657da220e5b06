"""What is wrong with a Responses API run beyond what chat's rules find (doctor.stream.problems). Pure.

A run's trace is judged first by the shared rules; this adds the Responses API's own:
- 404 or 405 on `POST /responses` (not a missing model): the server has no Responses API
  (`responses_api_unsupported`), a warning under `--api both` (chat's verdict stands there), a
  failure when the Responses API is what was asked for;
- a body that ended without `response.completed` / `.incomplete` / `.failed` is stream_interrupted,
  said in this API's words (chat's rule sees only a missing finish_reason);
- `response.failed` and the `error` event are stream_error_event already (ERR_EVENT, the server's
  message shown), as for chat;
and two warnings over a run that otherwise passed: `response.incomplete` (stream_incomplete, with
its reason) and sequence numbers that skip or repeat (stream_sequence_gap; none at all is fine).
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional

from doctor.checks.findings import Finding
from doctor.knowledge.wording import stream as words
from doctor.knowledge.wording import stream_responses as say
from doctor.model import Status
from doctor.stream import trace as t
from doctor.stream.problems import RunProblem
from doctor.stream.responses_events import INCOMPLETE, ResponsesRun, sequence_gaps

UNSUPPORTED_STATUSES = (404, 405)


def unsupported(trace: t.StreamTrace) -> bool:
    """POST /responses answered 404/405 before any stream: no such API here (a 404 naming a missing
    model is model_not_found, as for chat)."""
    failure = trace.failure
    return (failure is not None and failure.kind == t.ERR_STATUS and failure.phase == t.PHASE_REQUEST
            and failure.status in UNSUPPORTED_STATUSES and failure.code != "model_not_found")


def run_problem(trace: t.StreamTrace, run: ResponsesRun, shared: Optional[RunProblem], both: bool) -> Optional[RunProblem]:
    """The run's problem: `shared` (doctor.stream.problems' verdict on its trace) in this API's terms."""
    if unsupported(trace):
        failure = trace.failure
        assert failure is not None
        details = (say.ONLY_CHAT, *((say.CHAT_STANDS,) if both else ()))
        return RunProblem("responses_api_unsupported", say.unsupported(failure.status, failure.message), details,
                          status=Status.WARN if both else Status.FAIL)
    if (shared is not None and shared.code == "stream_interrupted" and trace.failure is None
            and run.terminal is None):
        return replace(shared, summary=say.no_terminal(trace.count(t.CONTENT)),
                       details=(say.NO_TERMINAL_DETAIL, say.events_seen(run.event_types)))
    return shared


def run_warnings(index: int, runs: int, trace: t.StreamTrace, run: ResponsesRun) -> List[Finding]:
    """The warnings of a run that passed: an incomplete answer, then sequence gaps."""
    prefix = words.run_prefix(index, runs)
    found = []
    if run.terminal == INCOMPLETE:
        found.append(Finding("stream_incomplete", say.incomplete(prefix, trace.finish_reason),
                             details=(say.incomplete_detail(trace.finish_reason),)))
    gaps = sequence_gaps(run.sequence_numbers)
    if gaps:
        found.append(Finding("stream_sequence_gap", say.sequence_gap(prefix, gaps), details=(say.SEQUENCE_DETAIL,)))
    return found
