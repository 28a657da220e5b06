"""Builders for what the local endpoint puts on the wire: ids, headers, JSON bodies, SSE chunks.

Everything here is pure (no sockets, no clocks except `created` timestamps) so the shapes can be
checked in isolation. The shapes follow real OpenAI captures (shared/facts/openai-api.md §2).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import string
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

_ALNUM = string.ascii_letters + string.digits
# One "word-ish" token: optional leading whitespace, then a word or a punctuation run glued to the
# word after it ("-doctor", "'s"). Trailing whitespace is its own token so the pieces join back
# to exactly the reply text.
_TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s]\w*)|\s+$")

# The snapshot a model alias resolves to: real responses name the snapshot, not the alias, and a
# client comparing `chunk.model == requested` is a bug this mock should surface.
MODEL_SNAPSHOTS: Mapping[str, str] = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
}

AZURE_FILTER_SAFE: Mapping[str, Any] = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}


def random_text(length: int, alphabet: str = _ALNUM) -> str:
    """Random characters for ids and obfuscation padding (shared with responses_wire.py)."""
    return "".join(random.choice(alphabet) for _ in range(length))


def request_id() -> str:
    """`req_` + 32 hex digits, as OpenAI's x-request-id."""
    return "req_" + os.urandom(16).hex()


def completion_id() -> str:
    return "chatcmpl-" + random_text(29)


def system_fingerprint() -> str:
    return "fp_" + os.urandom(5).hex()


def azure_request_id() -> str:
    return str(uuid.uuid4())


def resolved_model(model: str) -> str:
    return MODEL_SNAPSHOTS.get(model, model)


def go_duration(seconds: float) -> str:
    """Go-style duration as in x-ratelimit-reset-*: 6ms, 1s, 20s, 6m0s, 1m26.4s."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.3f}".rstrip("0").rstrip(".")
    if minutes:
        return f"{int(minutes)}m{rest_text}s"
    return f"{rest_text}s"


def split_tokens(text: str) -> List[str]:
    """Split a reply into word-ish tokens that concatenate back to the text."""
    return _TOKEN_RE.findall(text)


def estimate_prompt_tokens(messages: Any) -> int:
    """A rough prompt token count (about 4 characters a token plus per-message overhead)."""
    if not isinstance(messages, list):
        return 0
    total = 3
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        text = content if isinstance(content, str) else json.dumps(content or "")
        total += 4 + math.ceil(len(text) / 4)
    return total


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- error bodies -----------------------------------------------------------------------------


def openai_error(message: str, type_: Optional[str], code: Optional[str], param: Optional[str] = None) -> Dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def azure_error(code: str, message: str) -> Dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# --- models -----------------------------------------------------------------------------------

_CREATED_BASE = 1_715_367_049  # a fixed, plausible epoch so listings are stable between runs


def model_object(model_id: str, owned_by: str = "system") -> Dict[str, Any]:
    return {"id": model_id, "object": "model", "created": _CREATED_BASE, "owned_by": owned_by}


def model_list(model_ids: Iterable[str], owned_by: str = "system") -> Dict[str, Any]:
    return {"object": "list", "data": [model_object(m, owned_by) for m in model_ids]}


def azure_model_list(model_ids: Iterable[str]) -> Dict[str, Any]:
    data = [
        {
            "id": m,
            "object": "model",
            "created_at": _CREATED_BASE,
            "status": "succeeded",
            "capabilities": {"chat_completion": True, "completion": False, "embeddings": False},
            "lifecycle_status": "generally-available",
        }
        for m in model_ids
    ]
    return {"object": "list", "data": data}


# --- chat completions -------------------------------------------------------------------------


def usage(prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> Dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


@dataclass(frozen=True)
class CompletionMeta:
    """What stays the same in every chunk of one completion."""

    id: str
    created: int
    model: str
    system_fingerprint: str
    azure_filters: bool = False
    obfuscation: bool = True

    @classmethod
    def new(cls, model: str, azure_filters: bool = False, obfuscation: bool = True) -> CompletionMeta:
        return cls(completion_id(), int(time.time()), resolved_model(model), system_fingerprint(),
                   azure_filters, obfuscation)


def _choice_extras(meta: CompletionMeta, filtered: bool) -> Dict[str, Any]:
    if not meta.azure_filters:
        return {}
    return {"content_filter_results": dict(AZURE_FILTER_SAFE) if filtered else {}}


def chunk(meta: CompletionMeta, delta: Mapping[str, Any], finish_reason: Optional[str] = None) -> Dict[str, Any]:
    """One `chat.completion.chunk` with a single choice."""
    choice: Dict[str, Any] = {"index": 0, "delta": dict(delta), "logprobs": None, "finish_reason": finish_reason}
    has_text = bool(delta.get("content") or delta.get("reasoning_content"))
    choice.update(_choice_extras(meta, filtered=has_text))
    body = _chunk_body(meta, choices=[choice], usage=None)
    if meta.obfuscation:
        # Real streams pad each chunk with a random string so sizes don't leak the tokens.
        body["obfuscation"] = random_text(random.randint(1, 12))
    return body


def _chunk_body(meta: CompletionMeta, *, choices: List[Dict[str, Any]], usage: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The fields every `chat.completion.chunk` of one completion shares."""
    return {
        "id": meta.id,
        "object": "chat.completion.chunk",
        "created": meta.created,
        "model": meta.model,
        "service_tier": "default",
        "system_fingerprint": meta.system_fingerprint,
        "choices": choices,
        "usage": usage,
    }


def usage_chunk(meta: CompletionMeta, usage_body: Mapping[str, Any]) -> Dict[str, Any]:
    """The extra chunk sent with stream_options.include_usage: no choices, just usage."""
    body = _chunk_body(meta, choices=[], usage=dict(usage_body))
    if meta.obfuscation:
        body["obfuscation"] = random_text(random.randint(1, 12))
    return body


MID_STREAM_ERROR_MESSAGE = "The server had an error while processing your request."
# vLLM's engine failing mid-generation, as its flat ErrorResponse (object "error", code an int status).
VLLM_ERROR_MESSAGE = "Internal server error: the engine core died unexpectedly (EngineDeadError)."


def stream_error_event(shape: str) -> Dict[str, Any]:
    """An in-band error sent after some tokens: OpenAI's `{"error": {...}}`, or ("vllm") vLLM's flat
    `{"object": "error", "message", "type", "param", "code"}`, which carries no `error` key."""
    if shape == "vllm":
        return {"object": "error", "message": VLLM_ERROR_MESSAGE, "type": "InternalServerError", "param": None,
                "code": 500}
    return {"error": {"message": MID_STREAM_ERROR_MESSAGE, "type": "server_error", "param": None, "code": None}}


def azure_prompt_filter_chunk() -> Dict[str, Any]:
    """Azure's first chunk: empty id/model/object, no choices, only the prompt filter verdict."""
    return {
        "id": "",
        "choices": [],
        "created": 0,
        "model": "",
        "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": dict(AZURE_FILTER_SAFE)}],
    }


def completion(
    meta: CompletionMeta,
    content: str,
    finish_reason: str,
    usage_body: Mapping[str, Any],
    reasoning: Optional[str] = None,
) -> Dict[str, Any]:
    """A whole (non-streamed) `chat.completion`."""
    message: Dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    choice: Dict[str, Any] = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
    choice.update(_choice_extras(meta, filtered=True))
    body: Dict[str, Any] = {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [choice],
        "usage": dict(usage_body),
        "service_tier": "default",
        "system_fingerprint": meta.system_fingerprint,
    }
    if meta.azure_filters:
        body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": dict(AZURE_FILTER_SAFE)}]
    return body


# --- SSE and chunked framing ------------------------------------------------------------------


def sse_data(value: Any) -> bytes:
    """One SSE event carrying JSON (or a raw string such as `[DONE]`)."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return b"data: " + text.encode("utf-8") + b"\n\n"


def sse_comment(text: str) -> bytes:
    return b": " + text.encode("utf-8") + b"\n\n"


SSE_DONE = sse_data("[DONE]")


def http_chunk(payload: bytes) -> bytes:
    """One HTTP/1.1 chunk of a `Transfer-Encoding: chunked` body."""
    return b"%x\r\n" % len(payload) + payload + b"\r\n"


LAST_HTTP_CHUNK = b"0\r\n\r\n"


def format_head(status: int, reason: str, headers: Sequence[Tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
