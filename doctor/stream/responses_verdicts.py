"""What is wrong with a Responses API run beyond what chat's rules find (doctor.stream.problems). Pure.

A run's trace is judged first by the shared rules; this adds the Responses API's own:
- 404 or 405 on `POST /responses` (not a missing model): the server has no Responses API
  (`responses_api_unsupported`), a warning under `--api both` (chat's verdict stands there), a
  failure when the Responses API is what was asked for;
- a body that ended without `response.completed` / `.incomplete` / `.failed` is stream_interrupted,
  said in this API's words (chat's rule sees only a missing finish_reason);
- `response.failed` and the `error` event are stream_error_event already (ERR_EVENT, the server's
  message shown), as for chat;
and the warnings over runs that otherwise passed, in this order: `response.incomplete` with reason
`content_filter` (content_filtered: a policy cut the answer, doctor.stream.integrity's verdict on
the reason, as chat's finish_reason), `response.incomplete` for any other reason (stream_incomplete,
with it), sequence numbers that skip or repeat (stream_sequence_gap; none at all is fine), and a
terminal event without usage (stream_no_usage: this API always reports usage there, so it counts
as asked for, integrity.usage_missing's note).
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Sequence

from doctor.checks.findings import Finding
from doctor.knowledge.wording import stream as words
from doctor.knowledge.wording import stream_responses as say
from doctor.model import Status
from doctor.stream import integrity
from doctor.stream import trace as t
from doctor.stream.problems import RunProblem
from doctor.stream.responses_events import COMPLETED, INCOMPLETE, ResponsesRun, sequence_gaps

UNSUPPORTED_STATUSES = (404, 405)


def unsupported(trace: t.StreamTrace) -> bool:
    """POST /responses answered 404/405 before any stream: no such API here (a 404 naming a missing
    model is model_not_found, as for chat)."""
    failure = trace.failure
    return (failure is not None and failure.kind == t.ERR_STATUS and failure.phase == t.PHASE_REQUEST
            and failure.status in UNSUPPORTED_STATUSES and "model_not_found" not in (failure.code, failure.type))


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
    failure = trace.failure
    if shared is not None and shared.code == "stream_error_event" and failure is not None and failure.exception in say.ERROR_EVENTS:
        # The event's own name (response.failed / error) rather than chat's "in-band error event".
        return replace(shared, summary=say.error_event(failure.exception, trace.count(t.CONTENT), failure.message))
    return shared


def run_warnings(traces: Sequence[t.StreamTrace], runs: Sequence[ResponsesRun]) -> List[Finding]:
    """The warnings over the runs (each code once, from its first run, counting the others): a
    filtered answer, an otherwise incomplete one, sequence gaps, then missing usage. `runs[i]`
    goes with `traces[i]`."""
    n = len(traces)
    found = []
    incomplete = [i for i, run in enumerate(runs[:n]) if run.terminal == INCOMPLETE]
    filtered = [i for i in incomplete if _filtered(traces[i])]
    if filtered:
        first = filtered[0]
        found.append(Finding("content_filtered",
                             say.filtered(words.run_prefix(first, n), traces[first].count(t.CONTENT))
                             + say.in_runs(len(filtered), n),
                             details=(say.FILTER_DETAIL,), fixes=say.FILTER_FIXES))
    cut = [i for i in incomplete if i not in filtered]
    if cut:
        first = cut[0]
        # Without incomplete_details.reason the reader's finish is the response's status: no reason.
        reason = traces[first].finish_reason if traces[first].finish_reason != "incomplete" else None
        found.append(Finding("stream_incomplete",
                             say.incomplete(words.run_prefix(first, n), reason) + say.in_runs(len(cut), n),
                             details=(say.incomplete_detail(reason),)))
    gapped = [(i, gaps) for i, gaps in ((i, sequence_gaps(run.sequence_numbers)) for i, run in enumerate(runs[:n])) if gaps]
    if gapped:
        first, gaps = gapped[0]
        found.append(Finding("stream_sequence_gap",
                             say.sequence_gap(words.run_prefix(first, n), gaps) + say.in_runs(len(gapped), n),
                             details=(say.SEQUENCE_DETAIL,)))
    unreported = [i for i, run in enumerate(runs[:n]) if _usage_missing(traces[i], run)]
    if unreported:
        first = unreported[0]
        found.append(Finding("stream_no_usage", words.run_prefix(first, n) + say.no_usage(len(unreported), n),
                             details=(say.NO_USAGE_DETAIL,), fixes=say.USAGE_FIXES))
    return found


def _filtered(trace: t.StreamTrace) -> bool:
    """The incomplete reason is a content filter's, by integrity's rule over finish reasons."""
    found = integrity.finish_verdict(trace.finish_reason, trace.count(t.CONTENT))
    return found is not None and found.code == "content_filtered"


def _usage_missing(trace: t.StreamTrace, run: ResponsesRun) -> bool:
    """A run that ended with its answer (completed or incomplete) whose terminal event had no usage.
    A failed or cut run has no terminal usage to expect: its problem is reported instead."""
    ended = trace.failure is None and run.terminal in (COMPLETED, INCOMPLETE)
    # Always "asked for" on this API: the terminal event's response carries usage by contract.
    return ended and integrity.usage_missing(True, trace.completion_tokens is not None)
