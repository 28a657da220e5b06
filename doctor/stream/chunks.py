"""Reading one chunk the openai SDK yields: its kind, text, finish reason and usage count.

Attribute access only, so every major of the SDK (pydantic v1 or v2 models, built with or
without validation) reads the same; a value of the wrong type is refused (OddChunk), never
passed on to fail later.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from doctor.stream import trace as t


class OddChunk(ValueError):
    """A chunk that parsed as JSON but holds a value of the wrong type (reported as malformed)."""


class ErrorChunk(Exception):
    """vLLM's mid-stream error `data: {"object": "error", "message": ...}`: the SDK raises only for
    an `error` key, so it passes this through as a chunk without choices (reported as an error event)."""

    def __init__(self, message: str, type_: Optional[str], code: Optional[str]) -> None:
        super().__init__(message)
        self.message, self.type, self.code = message, type_, code


def error_chunk(chunk: Any) -> Optional[ErrorChunk]:
    """The in-band error a chunk is (`"object": "error"`), or None."""
    if getattr(chunk, "object", None) != "error":
        return None
    message, type_, code = (getattr(chunk, name, None) for name in ("message", "type", "code"))
    return ErrorChunk(message if isinstance(message, str) else "", _scalar(type_), _scalar(code))


def _scalar(value: Any) -> Optional[str]:
    # vLLM sends the code as an int HTTP status (400), OpenAI as a string; anything else is dropped.
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def inspect_chunk(chunk: Any) -> Tuple[str, str, Optional[str], Optional[int]]:
    """(kind, content text, finish_reason, usage.completion_tokens) of one SDK chunk object.

    Attribute access only (pydantic v1 and v2 both expose unknown fields such as
    `reasoning_content` as attributes), and every field may be missing: Azure's first chunk
    has `choices: []`, the usage chunk has no choices, local servers omit fields. The SDK does
    not validate chunks, so a value of the wrong type (`"completion_tokens": "many"`,
    `"content": 5`, `"reasoning_content": 7`, a chunk that is a list) arrives as is: that raises
    OddChunk, never a TypeError later. vLLM's error chunk raises ErrorChunk.
    """
    # The SDK builds its model only from a JSON object: any other JSON value (`data: [1, 2]`,
    # `data: 5`, `data: null`) is handed on as it is, and an app reading `.choices` would fail.
    if chunk is None or isinstance(chunk, (list, tuple, str, int, float)):
        raise OddChunk(f"the chunk is {_shape(chunk)}, not an object")
    failed = error_chunk(chunk)
    if failed is not None:
        raise failed
    usage = getattr(chunk, "usage", None)
    tokens = getattr(usage, "completion_tokens", None) if usage is not None else None
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
        raise OddChunk(f"usage.completion_tokens is {_shape(tokens)}, not a count")
    choices = getattr(chunk, "choices", None) or []
    if not isinstance(choices, (list, tuple)):
        raise OddChunk(f"choices is {_shape(choices)}, not a list")
    if not choices:
        return t.NO_CHOICES, "", None, tokens
    choice = choices[0]
    finish = _text_field(choice, "finish_reason")
    delta = getattr(choice, "delta", None)
    if delta is None:
        return t.EMPTY, "", finish, tokens
    content = _text_field(delta, "content") or _text_field(delta, "refusal") or ""
    if content:
        return t.CONTENT, content, finish, tokens
    if getattr(delta, "tool_calls", None):
        return t.CONTENT, "", finish, tokens
    reasoning = _reasoning(delta)
    if reasoning:
        return t.REASONING, reasoning, finish, tokens
    if getattr(delta, "role", None):
        return t.ROLE, "", finish, tokens
    return t.EMPTY, "", finish, tokens


def _reasoning(delta: Any) -> str:
    """The reasoning text of a delta ("" for none). Lenient about its shape (servers send text, or
    an object): any counts. A scalar that is not text (`"reasoning_content": 7`) is malformed: the
    SDK keeps it as it came (an unknown field, never validated), so an app adding it to its text fails."""
    for name in ("reasoning_content", "reasoning"):
        value = getattr(delta, name, None)
        if isinstance(value, (bool, int, float)):
            raise OddChunk(f"{name} is {_shape(value)}, not text")
        if value:
            return str(value)
    return ""


def _text_field(obj: Any, name: str) -> Optional[str]:
    value = getattr(obj, name, None)
    if value is not None and not isinstance(value, str):
        raise OddChunk(f"{name} is {_shape(value)}, not text")
    return value


def _shape(value: Any) -> str:
    """A short description of a value a server sent, never the whole of it."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{shown if len(shown) <= 24 else shown[:23] + '…'} ({kind})"
