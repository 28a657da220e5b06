"""The Responses API's stream events in chat-doctor's terms: plain data, shared by both paths.

A Responses stream is typed events (`response.created`, `response.output_text.delta`, ...) ending
in `response.completed`, `response.incomplete` or `response.failed`, with no `[DONE]`. The
target runner reads them with doctor/stream/target_reading.py's `response_event` (stdlib, run
inside the target); `ResponsesReader` applies the same function in chat-doctor's own interpreter
(doctor.stream.sdk's in-process path), so the two paths cannot read an event differently. What
only this API has (each event's type and `sequence_number`, which terminal event came) is kept
per run as a `ResponsesRun`, beside the run's StreamTrace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from doctor.stream import target_reading as reading
from doctor.stream import trace as t
from doctor.stream.chunks import OddChunk

RESPONSES = "responses"  # StreamRequest.api / RunnerJob.api of a Responses run
LIMIT_FIELD = "max_output_tokens"  # how the Responses API takes the token limit
CREATED = "response.created"
COMPLETED = "response.completed"
INCOMPLETE = "response.incomplete"
TERMINAL = reading.TERMINAL

# target_reading's kinds as trace kinds. The opening `response.created` is timed like chat's
# role chunk: the first sign of the stream, not a token.
KINDS = {"content": t.CONTENT, "reasoning": t.REASONING, "role": t.ROLE, "created": t.ROLE,
         "empty": t.EMPTY, "no_choices": t.NO_CHOICES}

Reading = Tuple[str, str, Optional[str], Optional[int]]  # doctor.stream.chunks.inspect_chunk's shape


@dataclass(frozen=True)
class ResponsesRun:
    """What one run's events said beyond its trace (per event, in order of arrival)."""

    event_types: Tuple[Optional[str], ...] = ()
    sequence_numbers: Tuple[Optional[int], ...] = ()
    terminal: Optional[str] = None  # response.completed / .incomplete / .failed / error; None: none came
    created_ms: Optional[float] = None  # wire time of `response.created` (ms since the request was sent)


class EventFailed(Exception):
    """A `response.failed` or `error` event: the server's in-band failure (ERR_EVENT)."""

    def __init__(self, failure: t.StreamFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def event_failure(fields: Dict[str, Any]) -> t.StreamFailure:
    """target_reading.event_failure's plain data as a StreamFailure (in-process)."""
    from doctor.words import shorten

    return t.StreamFailure(kind=t.ERR_EVENT, phase=t.PHASE_STREAM, message=shorten(str(fields.get("message") or "")),
                           exception=str(fields.get("exception") or "?"), code=fields.get("code"), type=fields.get("type"))


class ResponsesReader:
    """Reads one attempt's events in-process: each call returns (kind, text, finish, usage) as
    doctor.stream.chunks.inspect_chunk does for chat, and records the event's type and number.
    A failed or error event raises EventFailed, which doctor.stream.sdk reports as the stream's
    failure; a value of the wrong type raises chunks.OddChunk (malformed), as for chat."""

    def __init__(self) -> None:
        self.types: List[Optional[str]] = []
        self.seqs: List[Optional[int]] = []
        self.terminal: Optional[str] = None

    def __call__(self, event: Any) -> Reading:
        try:
            kind, text, finish, tokens, kind_of, seq = reading.response_event(event)
        except reading.OddChunk as exc:
            raise OddChunk(str(exc)) from None
        self.types.append(kind_of)
        self.seqs.append(seq)
        if kind_of in TERMINAL or kind_of == "error":
            self.terminal = kind_of
            failed = reading.event_failure(event)
            if failed is not None:
                raise EventFailed(event_failure(failed))
        return KINDS.get(kind, t.EMPTY), text, finish, tokens

    def run(self, trace: t.StreamTrace) -> ResponsesRun:
        return responses_run(trace, self.types, self.seqs, self.terminal)


def responses_run(trace: t.StreamTrace, types: Any, seqs: Any, terminal: Optional[str]) -> ResponsesRun:
    """The run's extras; `response.created` is timed from the trace's chunk of the same index
    (an event that raised, the failed or error one, has no chunk and comes last)."""
    types, seqs = tuple(types), tuple(seqs)
    created = next((i for i, kind in enumerate(types) if kind == CREATED), None)
    created_ms = trace.chunks[created].wire_ms if created is not None and created < len(trace.chunks) else None
    return ResponsesRun(event_types=types, sequence_numbers=seqs, terminal=terminal,
                        created_ms=round(created_ms, 1) if created_ms is not None else None)


def sequence_gaps(numbers: Any) -> Tuple[Tuple[int, int], ...]:
    """(expected, got) wherever a `sequence_number` is not the one after the previous: a skip, a
    repeat or a step back. Events without one are passed over, and a stream with none has no gaps
    (llama-server's dialect omits the field: not a gap)."""
    present = [n for n in numbers if n is not None]
    return tuple((a + 1, b) for a, b in zip(present, present[1:]) if b != a + 1)


@dataclass(frozen=True)
class ResponsesSmoke:
    """The `smoke_responses` fact: the runs' summary (as chat's `smoke`) and each run's extras."""

    summary: Any  # doctor.stream.figures.SmokeSummary (not imported: figures imports the analysis)
    runs: Tuple[ResponsesRun, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """The report's `smoke_responses` object: `smoke`'s shape, plus what only this API has."""
        document = dict(self.summary.to_dict(), api=RESPONSES)
        runs = []
        for index, run in enumerate(document.get("runs") or []):
            extra = self.runs[index] if index < len(self.runs) else ResponsesRun()
            gaps = sequence_gaps(extra.sequence_numbers)
            runs.append(dict(run, terminal=extra.terminal, created_ms=extra.created_ms, events=len(extra.event_types),
                             sequence_numbers=any(n is not None for n in extra.sequence_numbers),
                             sequence_gaps=[{"expected": e, "got": g} for e, g in gaps[:20]]))
        document["runs"] = runs
        return document
