"""Builders for the Responses API's wire format (`POST /v1/responses`): the response object and its SSE events.

Pure, like doctor/mock/wire.py (ids and `created_at` are the only randomness and clock). The
shapes follow openai-python's types (`openai/types/responses/response.py`,
`response_stream_event.py`, openai 3.57) and shared/facts/openai-api.md: a streamed answer is
`event: <type>` + `data: {"type": <type>, ..., "sequence_number": n}` per event, never `[DONE]`;
a whole answer is one `response` object. Numbering the events is the caller's business
(doctor/mock/responses_answer.py), because the scenarios bend it.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from doctor.mock import wire

# A generation failure as OpenAI words it (the same sentence as its 500s).
SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"


def response_id() -> str:
    """`resp_` + 48 hex digits, as OpenAI's response ids."""
    return "resp_" + os.urandom(24).hex()


def message_id() -> str:
    """`msg_` + 48 hex digits, as the ids of OpenAI's output message items."""
    return "msg_" + os.urandom(24).hex()


@dataclass(frozen=True)
class ResponseMeta:
    """What stays the same in every event of one response."""

    id: str
    message_id: str
    created_at: int
    model: str  # the resolved snapshot, as for chat (wire.MODEL_SNAPSHOTS)
    max_output_tokens: Optional[int]
    obfuscation: bool = True

    @classmethod
    def new(cls, model: str, max_output_tokens: Optional[int], obfuscation: bool = True) -> ResponseMeta:
        return cls(response_id(), message_id(), int(time.time()), wire.resolved_model(model),
                   max_output_tokens, obfuscation)


def usage(input_tokens: int, output_tokens: int) -> Dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def output_text_part(text: str) -> Dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def message_item(meta: ResponseMeta, text: Optional[str], status: str) -> Dict[str, Any]:
    """The assistant's output message; `text` None: no content part yet (output_item.added)."""
    content: List[Dict[str, Any]] = [] if text is None else [output_text_part(text)]
    return {"id": meta.message_id, "type": "message", "status": status, "content": content, "role": "assistant"}


def response_object(
    meta: ResponseMeta,
    status: str,
    output: List[Dict[str, Any]],
    usage_body: Optional[Dict[str, Any]] = None,
    error: Optional[Dict[str, Any]] = None,
    incomplete_reason: Optional[str] = None,
) -> Dict[str, Any]:
    """A whole `response` object: the non-streamed answer, and the payload of the lifecycle events."""
    return {
        "id": meta.id,
        "object": "response",
        "created_at": meta.created_at,
        "status": status,
        "background": False,
        "completed_at": int(time.time()) if status == "completed" else None,
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": None,
        "max_output_tokens": meta.max_output_tokens,
        "max_tool_calls": None,
        "model": meta.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage_body,
        "user": None,
        "metadata": {},
    }


# --- stream events (without sequence_number: see the module docstring) -----------------------


def lifecycle_event(type_: str, response: Dict[str, Any]) -> Dict[str, Any]:
    """response.created / .in_progress / .completed / .incomplete / .failed: the whole response."""
    return {"type": type_, "response": response}


def output_item_event(type_: str, item: Dict[str, Any]) -> Dict[str, Any]:
    """response.output_item.added / .done."""
    return {"type": type_, "output_index": 0, "item": item}


def content_part_event(type_: str, meta: ResponseMeta, text: str) -> Dict[str, Any]:
    """response.content_part.added / .done."""
    return {"type": type_, "item_id": meta.message_id, "output_index": 0, "content_index": 0,
            "part": output_text_part(text)}


def text_delta_event(meta: ResponseMeta, delta: str) -> Dict[str, Any]:
    body: Dict[str, Any] = {"type": "response.output_text.delta", "item_id": meta.message_id, "output_index": 0,
                            "content_index": 0, "delta": delta, "logprobs": []}
    if meta.obfuscation:
        # As on chat chunks: random padding so event sizes don't leak the tokens (on by default).
        body["obfuscation"] = wire.random_text(random.randint(1, 12))
    return body


def text_done_event(meta: ResponseMeta, text: str) -> Dict[str, Any]:
    return {"type": "response.output_text.done", "item_id": meta.message_id, "output_index": 0,
            "content_index": 0, "text": text, "logprobs": []}


def error_event(code: Optional[str], message: str, param: Optional[str] = None) -> Dict[str, Any]:
    """The stream-level `error` event: flat, no `error` object and no `response`."""
    return {"type": "error", "code": code, "message": message, "param": param}


def sse_event(body: Dict[str, Any]) -> bytes:
    """One typed SSE event: an `event:` line naming the type, then its JSON `data:` line."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return f"event: {body['type']}\ndata: {data}\n\n".encode()
