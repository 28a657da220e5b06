"""What `POST /v1/responses` answers, given the request and the scenario: one plan, then JSON or a timed stream.

No sockets, no sleeping (like the server's `_Responder`, which calls this): a stream is a list of
`(due, payload)` pairs whose dues are absolute `time.monotonic()` deadlines from the same
first-token delay and token interval as chat, so both APIs are paced alike. The shapes come from
doctor/mock/responses_wire.py; the scenario's `ResponsesBehaviour` decides how the stream ends
and how its events are numbered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from doctor.mock import responses_wire as rw
from doctor.mock import wire
from doctor.mock.scenario_parts import ResponsesBehaviour, ResponsesEnding

Timed = Tuple[float, Dict[str, Any]]  # (due, event body without sequence_number)


@dataclass(frozen=True)
class ResponsesPlan:
    """Everything about one response that both the JSON and the SSE answers need."""

    model: str
    tokens: Tuple[str, ...]  # the output text, token by token (already cut to the limit)
    incomplete: bool  # a token limit (or the scenario's cap) cut the answer: status "incomplete"
    input_tokens: int
    max_output_tokens: Optional[int]  # as requested (echoed in the response object)
    obfuscation: bool
    first_due: float
    interval_s: float
    incomplete_reason: str = "max_output_tokens"  # the cap's reason (the request's own limit: always this)
    usage_reported: bool = True  # False: the final response's usage is null

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def status(self) -> str:
        return "incomplete" if self.incomplete else "completed"

    def due(self, index: int) -> float:
        return self.first_due + index * self.interval_s

    @property
    def done_at(self) -> float:
        return self.due(len(self.tokens) - 1) if self.tokens else self.first_due

    def usage(self) -> Optional[Dict[str, Any]]:
        return rw.usage(self.input_tokens, len(self.tokens)) if self.usage_reported else None


def plan_response(body: Dict[str, Any], model: str, content: Sequence[str], behaviour: ResponsesBehaviour,
                  first_due: float, interval_s: float) -> ResponsesPlan:
    """Cut the reply at the smaller of the request's max_output_tokens and the scenario's cap."""
    requested = body.get("max_output_tokens")
    max_output_tokens = requested if isinstance(requested, int) and not isinstance(requested, bool) else None
    limits = [n for n in (max_output_tokens, behaviour.output_cap) if n is not None and n >= 0]
    limit = min(limits) if limits else None
    stream_options = body.get("stream_options")
    options: Dict[str, Any] = stream_options if isinstance(stream_options, dict) else {}
    # The request's own limit cuts first when it is the smaller: that is max_output_tokens whatever the cap says.
    by_cap = behaviour.output_cap is not None and limit == behaviour.output_cap and limit != max_output_tokens
    return ResponsesPlan(
        model=model,
        tokens=tuple(content[:limit] if limit is not None else content),
        incomplete=limit is not None and limit < len(content),
        input_tokens=input_tokens(body.get("input")),
        max_output_tokens=max_output_tokens,
        obfuscation=options.get("include_obfuscation", True) is not False,
        first_due=first_due,
        interval_s=interval_s,
        incomplete_reason=behaviour.incomplete_reason if by_cap else "max_output_tokens",
        usage_reported=behaviour.usage,
    )


def input_tokens(value: Any) -> int:
    """A rough count for `input`: a plain string, or a list of message items (as chat's messages)."""
    if isinstance(value, str):
        return wire.estimate_prompt_tokens([{"content": value}])
    return wire.estimate_prompt_tokens(value)


def whole_response(plan: ResponsesPlan) -> Dict[str, Any]:
    """The non-streamed answer: one `response` object."""
    meta = rw.ResponseMeta.new(plan.model, plan.max_output_tokens, plan.obfuscation)
    return _final(meta, plan)


def _final(meta: rw.ResponseMeta, plan: ResponsesPlan) -> Dict[str, Any]:
    return rw.response_object(
        meta, plan.status, [rw.message_item(meta, plan.text, plan.status)], plan.usage(),
        incomplete_reason=plan.incomplete_reason if plan.incomplete else None,
    )


def stream_events(plan: ResponsesPlan, behaviour: ResponsesBehaviour, start: float) -> List[Tuple[float, bytes]]:
    """The streamed answer as (due, one SSE event) pairs, numbered as the scenario says."""
    meta = rw.ResponseMeta.new(plan.model, plan.max_output_tokens, plan.obfuscation)
    in_progress = rw.response_object(meta, "in_progress", [])
    # Like chat's role chunk, the opening events go out with the head, before any delay: the
    # first event is not the first token.
    events: List[Timed] = [
        (start, rw.lifecycle_event("response.created", in_progress)),
        (start, rw.lifecycle_event("response.in_progress", in_progress)),
        (start, rw.output_item_event("response.output_item.added", rw.message_item(meta, None, "in_progress"))),
        (start, rw.content_part_event("response.content_part.added", meta, "")),
    ]
    tokens = plan.tokens
    if behaviour.ending in (ResponsesEnding.FAILED, ResponsesEnding.ERROR_EVENT) and behaviour.content_tokens is not None:
        tokens = tokens[: behaviour.content_tokens]
    events += [(plan.due(i), rw.text_delta_event(meta, token)) for i, token in enumerate(tokens)]
    last_due = plan.due(len(tokens) - 1) if tokens else start
    events += [(last_due, body) for body in _closing(meta, plan, behaviour.ending, "".join(tokens))]
    return _numbered(events, behaviour)


def _closing(meta: rw.ResponseMeta, plan: ResponsesPlan, ending: ResponsesEnding, sent: str) -> List[Dict[str, Any]]:
    """The events after the last delta; `sent` is the text the deltas carried."""
    if ending is ResponsesEnding.ERROR_EVENT:
        return [rw.error_event("server_error", rw.SERVER_ERROR_MESSAGE)]
    if ending is ResponsesEnding.FAILED:
        failed = rw.response_object(meta, "failed", [rw.message_item(meta, sent, "incomplete")],
                                    error={"code": "server_error", "message": rw.SERVER_ERROR_MESSAGE})
        return [rw.lifecycle_event("response.failed", failed)]
    done = [
        rw.text_done_event(meta, plan.text),
        rw.content_part_event("response.content_part.done", meta, plan.text),
        rw.output_item_event("response.output_item.done", rw.message_item(meta, plan.text, plan.status)),
    ]
    if ending is ResponsesEnding.NONE:
        return done
    return done + [rw.lifecycle_event(f"response.{plan.status}", _final(meta, plan))]


def _numbered(events: Sequence[Timed], behaviour: ResponsesBehaviour) -> List[Tuple[float, bytes]]:
    """Add sequence_number 0, 1, 2, ... (minus the scenario's skipped one), or none at all."""
    numbered: List[Tuple[float, bytes]] = []
    number = 0
    for due, body in events:
        if number == behaviour.skipped_sequence_number:
            number += 1
        sent = {**body, "sequence_number": number} if behaviour.sequence_numbers else body
        number += 1
        numbered.append((due, rw.sse_event(sent)))
    return numbered
