"""Streamed chat answers shaped like other servers' wire dialects, for `smoke.dialect` (issue 11).

Each writer answers a streamed chat completion the way that server family does, as its sources
write it (README, "The endpoint's dialect"): which fields the chunks carry, where usage comes,
the first chunk, SSE comments, a few telling headers. The reply is the mock's usual one, a first
token after FIRST_TOKEN_S and the rest TOKEN_S apart, so the smoke test passes on each.

- `dialect_vllm`: `chatcmpl-` ids, a role-only first chunk, `stop_reason` in the choices (vLLM's
  ChatCompletionResponseStreamChoice), reasoning in `reasoning_content`, a usage chunk; uvicorn.
- `dialect_llamacpp`: system_fingerprint is the build ("b6097-9515c613"), usage and `timings` on
  the last chunk that has choices (tools/server's final chunk).
- `dialect_ollama`: `system_fingerprint: fp_ollama`, no role-only chunk (role and content come
  together), reasoning in `reasoning`, a usage chunk.
- `dialect_azure`: the `choices: []` prompt-filter chunk first, `content_filter_results` in each
  choice, `obfuscation`, `apim-request-id` and `x-ms-region`.
- `dialect_openrouter`: `: OPENROUTER PROCESSING` comments first, `gen-` ids, a `provider` field,
  `native_finish_reason`, usage on the last chunk.

They run as doctor.mock.hostile's writers do (they own the connection, then close it), so the
server needs no new path; doctor/mock/scenarios.py lists them.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from doctor.mock import wire
from doctor.mock.scenario_parts import Scenario

Write = Callable[[bytes], object]
FIRST_TOKEN_S = 0.05
TOKEN_S = 0.01
REPLY = "Hello from chat-doctor's local endpoint."
REASONING = "A greeting, then."


def _head(*extra: Tuple[str, str]) -> bytes:
    return wire.format_head(200, "OK", (("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"),
                                        *extra, ("transfer-encoding", "chunked"), ("connection", "close")))


def _event(value: Any) -> bytes:
    return wire.http_chunk(wire.sse_data(value))


class _Shape:
    """One family's chunk: the top-level fields, the choice's extra fields, the reasoning field."""

    def __init__(self, top: Dict[str, Any], choice: Dict[str, Any], reasoning: Optional[str]) -> None:
        self.top, self.choice_extra, self.reasoning = top, choice, reasoning

    def chunk(self, delta: Dict[str, Any], finish: Optional[str] = None, **more: Any) -> Dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish, **self.choice_extra}
        return {**self.top, "choices": [choice], **more}

    def usage(self, tokens: int, **more: Any) -> Dict[str, Any]:
        return {**self.top, "choices": [], "usage": _usage(tokens), **more}


def _usage(tokens: int) -> Dict[str, int]:
    return {"prompt_tokens": 9, "completion_tokens": tokens, "total_tokens": 9 + tokens}


def _tokens(shape: _Shape) -> List[Dict[str, Any]]:
    thinking = [{shape.reasoning: piece} for piece in wire.split_tokens(REASONING)] if shape.reasoning else []
    return thinking + [{"content": piece} for piece in wire.split_tokens(REPLY)]


def _paced(write: Write, stopping: threading.Event, payloads: List[bytes]) -> bool:
    """Write the token events on the schedule; False when the server is stopping."""
    for index, payload in enumerate(payloads):
        if stopping.wait(FIRST_TOKEN_S if index == 0 else TOKEN_S):
            return False
        write(payload)
    return True


def _meta_top(meta: wire.CompletionMeta, **fields: Any) -> Dict[str, Any]:
    return {"id": meta.id, "object": "chat.completion.chunk", "created": meta.created, "model": meta.model, **fields}


def _vllm(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    shape = _Shape(_meta_top(meta, id="chatcmpl-" + wire.random_text(32, "0123456789abcdef")), {"stop_reason": None},
                   "reasoning_content")
    write(_head(("server", "uvicorn"), ("x-request-id", wire.random_text(32, "0123456789abcdef"))))
    write(_event(shape.chunk({"role": "assistant", "content": ""})))
    tokens = _tokens(shape)
    if _paced(write, stopping, [_event(shape.chunk(delta)) for delta in tokens]):
        write(_event(shape.chunk({}, "stop")) + _event(shape.usage(len(tokens))) + wire.http_chunk(wire.SSE_DONE)
              + wire.LAST_HTTP_CHUNK)


def _llamacpp(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    shape = _Shape(_meta_top(meta, system_fingerprint="b6097-9515c613"), {}, None)
    write(_head())
    write(_event(shape.chunk({"role": "assistant", "content": None})))
    tokens = _tokens(shape)
    if _paced(write, stopping, [_event(shape.chunk(delta)) for delta in tokens]):
        timings = {"prompt_n": 9, "prompt_ms": 20.5, "predicted_n": len(tokens), "predicted_ms": 93.6}
        write(_event(shape.chunk({}, "stop", usage=_usage(len(tokens)), timings=timings)) + wire.http_chunk(wire.SSE_DONE)
              + wire.LAST_HTTP_CHUNK)


def _ollama(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    shape = _Shape(_meta_top(meta, id="chatcmpl-" + str(int(time.time()) % 1000), system_fingerprint="fp_ollama"), {},
                   "reasoning")
    write(_head())
    tokens = [dict(delta, role="assistant") for delta in _tokens(shape)]
    if _paced(write, stopping, [_event(shape.chunk(delta)) for delta in tokens]):
        write(_event(shape.chunk({"role": "assistant", "content": ""}, "stop")) + _event(shape.usage(len(tokens)))
              + wire.http_chunk(wire.SSE_DONE) + wire.LAST_HTTP_CHUNK)


def _azure(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    shape = _Shape(_meta_top(meta, system_fingerprint=meta.system_fingerprint),
                   {"content_filter_results": dict(wire.AZURE_FILTER_SAFE)}, None)
    write(_head(("apim-request-id", wire.azure_request_id()), ("x-ms-region", "Sweden Central"),
                ("x-request-id", wire.azure_request_id())))
    write(_event(wire.azure_prompt_filter_chunk()))
    write(_event(shape.chunk({"role": "assistant", "content": ""}, obfuscation="x")))
    tokens = _tokens(shape)
    if _paced(write, stopping, [_event(shape.chunk(delta, obfuscation=wire.random_text(4))) for delta in tokens]):
        write(_event(shape.chunk({}, "stop", obfuscation="y")) + _event(shape.usage(len(tokens), obfuscation="z"))
              + wire.http_chunk(wire.SSE_DONE) + wire.LAST_HTTP_CHUNK)


def _openrouter(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    shape = _Shape(_meta_top(meta, id="gen-" + wire.random_text(20), provider="Azure",
                             system_fingerprint=meta.system_fingerprint), {"native_finish_reason": None}, None)
    write(_head(("x-request-id", wire.request_id())))
    write(wire.http_chunk(wire.sse_comment("OPENROUTER PROCESSING")))
    if stopping.wait(FIRST_TOKEN_S):
        return
    write(wire.http_chunk(wire.sse_comment("OPENROUTER PROCESSING")))
    tokens = [dict(delta, role="assistant") for delta in _tokens(shape)]
    if _paced(write, stopping, [_event(shape.chunk(delta)) for delta in tokens]):
        write(_event(shape.chunk({"role": "assistant", "content": ""}, "stop", usage=_usage(len(tokens))))
              + wire.http_chunk(wire.SSE_DONE) + wire.LAST_HTTP_CHUNK)


WRITERS: Dict[str, Callable[[Write, threading.Event, wire.CompletionMeta], None]] = {
    "dialect_vllm": _vllm,
    "dialect_llamacpp": _llamacpp,
    "dialect_ollama": _ollama,
    "dialect_azure": _azure,
    "dialect_openrouter": _openrouter,
}

DIALECT_SCENARIOS: Tuple[Scenario, ...] = (
    Scenario("dialect_vllm", "Streamed chat shaped like vLLM: stop_reason, reasoning_content, a usage chunk, uvicorn.",
             hostile="dialect_vllm", openai_headers=False),
    Scenario("dialect_llamacpp", "Streamed chat shaped like llama.cpp's llama-server: build fingerprint, usage and "
             "timings on the last chunk.", hostile="dialect_llamacpp", openai_headers=False),
    Scenario("dialect_ollama", "Streamed chat shaped like Ollama's /v1: fp_ollama, reasoning, no role-only chunk.",
             hostile="dialect_ollama", openai_headers=False),
    Scenario("dialect_azure", "Streamed chat shaped like Azure OpenAI: the prompt-filter chunk (choices: []) first, "
             "content filter results, apim-request-id.", hostile="dialect_azure", openai_headers=False),
    Scenario("dialect_openrouter", "Streamed chat shaped like OpenRouter: ': OPENROUTER PROCESSING' comments, gen- ids, "
             "a provider field.", hostile="dialect_openrouter", openai_headers=False),
)
