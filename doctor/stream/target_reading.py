"""What the target runner (doctor.stream.target_runner) reads: SDK chunks and Responses API events
as plain tuples, and the SDK's exceptions as plain data. Runs inside the TARGET's Python, so
stdlib only, Python 3.8.

The rules are doctor/stream/chunks.py's and classify.py's (`inspect_chunk`, `classify`,
`rejected_field`): attributes only, never `str(e)` of an SDK error (its format changed between
majors), every field may be missing, a value of the wrong type is `OddChunk` (reported as
malformed). Texts are sent long (TEXT_CAP) and shortened by the launcher with
doctor.words.shorten, as in-process.
"""

import json
import re
from typing import Any, Dict, List, Optional, Tuple

if __name__ != "chat_doctor_runner":  # in chat-doctor itself; in the target the launcher ran it first
    from doctor.stream.target_wire import LimitReached

TEXT_CAP = 4000  # characters of any exception text reported
Reading = Tuple[str, str, Optional[str], Optional[int], Optional[str], Optional[int]]


class OddChunk(ValueError):
    """A chunk holding a value of the wrong type (the SDK does not validate chunks)."""


def _shape(value: Any) -> str:
    """A short description of a value a server sent, never the whole of it (chunks._shape)."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return "{} ({})".format(shown if len(shown) <= 24 else shown[:23] + "\u2026", kind)


def _text(obj: Any, name: str) -> Optional[str]:
    value = getattr(obj, name, None)
    if value is not None and not isinstance(value, str):
        raise OddChunk(name + " is " + _shape(value) + ", not text")
    return value


class ErrorChunk(Exception):
    """vLLM's mid-stream `{"object": "error", "message": ...}`, which the SDK yields as a chunk (chunks.ErrorChunk)."""

    def __init__(self, message: str, type_: Optional[str], code: Optional[str]) -> None:
        super().__init__(message)
        self.message, self.type, self.code = message, type_, code


def _scalar(value: Any) -> Optional[str]:
    return _cap(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def chat_chunk(chunk: Any) -> Reading:
    """(kind, text, finish_reason, usage tokens, event type, sequence number): chunks.inspect_chunk's rules."""
    if chunk is None or isinstance(chunk, (list, tuple, str, int, float)):  # chunks.inspect_chunk's rule
        raise OddChunk("the chunk is " + _shape(chunk) + ", not an object")
    if getattr(chunk, "object", None) == "error":
        message = getattr(chunk, "message", None)
        raise ErrorChunk(_cap(message) if isinstance(message, str) else "", _scalar(getattr(chunk, "type", None)),
                         _scalar(getattr(chunk, "code", None)))
    tokens = getattr(getattr(chunk, "usage", None), "completion_tokens", None)
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
        raise OddChunk("usage.completion_tokens is " + _shape(tokens) + ", not a count")
    choices = getattr(chunk, "choices", None) or []
    if not isinstance(choices, (list, tuple)):
        raise OddChunk("choices is " + _shape(choices) + ", not a list")
    if not choices:
        return "no_choices", "", None, tokens, None, None
    finish, delta = _text(choices[0], "finish_reason"), getattr(choices[0], "delta", None)
    if delta is None:
        return "empty", "", finish, tokens, None, None
    content = _text(delta, "content") or _text(delta, "refusal") or ""
    if content or getattr(delta, "tool_calls", None):
        return "content", content, finish, tokens, None, None
    for field in ("reasoning_content", "reasoning"):  # each apart: `or` would pass over a 0
        odd = getattr(delta, field, None)
        if isinstance(odd, (bool, int, float)):  # chunks._reasoning's rule
            raise OddChunk(field + " is " + _shape(odd) + ", not text")
    reasoning = getattr(delta, "reasoning_content", None) or getattr(delta, "reasoning", None)
    if reasoning:
        return "reasoning", str(reasoning), finish, tokens, None, None
    return ("role" if getattr(delta, "role", None) else "empty"), "", finish, tokens, None, None


_RESPONSE_KINDS = {"response.output_text.delta": "content", "response.refusal.delta": "content",
                   "response.function_call_arguments.delta": "content", "response.reasoning_text.delta": "reasoning",
                   "response.reasoning_summary_text.delta": "reasoning", "response.created": "created"}
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def response_event(event: Any) -> Reading:
    """The same tuple for a Responses API stream event, from its `type`."""
    kind_of = getattr(event, "type", None)
    if not isinstance(kind_of, str):
        raise OddChunk("an event without a type")
    seq = getattr(event, "sequence_number", None)
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
    kind = _RESPONSE_KINDS.get(kind_of, "empty")
    text = (_text(event, "delta") or "") if kind in ("content", "reasoning") else ""
    finish, tokens = None, None
    if kind_of in TERMINAL:
        response = getattr(event, "response", None)
        tokens = getattr(getattr(response, "usage", None), "output_tokens", None)
        reason = getattr(getattr(response, "incomplete_details", None), "reason", None)
        finish = reason if isinstance(reason, str) else getattr(response, "status", None) or kind_of.split(".")[-1]
    return kind, text, finish, tokens if isinstance(tokens, int) else None, kind_of, seq




def event_failure(event: Any) -> Optional[Dict[str, Any]]:
    """`response.failed` and the `error` event are in-band errors (ERR_EVENT), as chat's data: {"error"}."""
    kind_of = getattr(event, "type", None)
    error = getattr(getattr(event, "response", None), "error", None) if kind_of == "response.failed" else event
    if kind_of not in ("response.failed", "error"):
        return None
    message = getattr(error, "message", None)
    return {"kind": "error_event", "exception": kind_of, "message": _cap(message if isinstance(message, str) else ""),
            "code": _opt(getattr(error, "code", None)),
            # The `error` event's own `type` is the event's ("error"), not an error type.
            "type": _opt(getattr(error, "type", None)) if kind_of == "response.failed" else None}


def _cap(text: str) -> str:
    return text[:TEXT_CAP]


def _opt(value: Any) -> Optional[str]:
    return None if value is None else _cap(str(value))


def _header(response: Any, *names: str) -> Optional[str]:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = next((headers.get(name) for name in names if headers.get(name)), None)
    return _cap(str(value)) if value else None


def _body_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return _cap(body["message"])
    if isinstance(body, str) and body.strip():
        return "the body is an HTML page, not an API error" if body.strip().startswith("<") else _cap(body.strip())
    message = getattr(exc, "message", "")
    return _cap(message) if isinstance(message, str) else ""


def _cause(exc: BaseException) -> Optional[str]:
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return None
    text = str(cause)
    if "header" in text.lower() and "b'" in text:
        # httpx's "Illegal header value b'Bearer sk-...\\n'" quotes the key: keep only the verdict.
        text = text.split("b'", 1)[0].strip() + " (the key or a header has whitespace or a control character)"
    return type(cause).__name__ + ": " + _cap(text)


def classify(exc: BaseException, openai: Any, library: Any) -> Dict[str, Any]:
    """The exception as plain data (classify.classify's rules); bounds are the caller's business."""
    name = type(exc).__name__
    if isinstance(exc, ErrorChunk):
        return {"kind": "error_event", "message": exc.message, "exception": 'an error chunk ("object": "error")',
                "code": exc.code, "type": exc.type}
    if isinstance(exc, OddChunk):
        return {"kind": "malformed", "message": _cap(str(exc)), "exception": "a value of the wrong type"}
    if isinstance(exc, openai.APIStatusError):
        response = getattr(exc, "response", None)
        return {"kind": "status", "message": _body_message(exc), "exception": name,
                "status": getattr(exc, "status_code", None), "code": _opt(getattr(exc, "code", None)),
                "type": _opt(getattr(exc, "type", None)), "retry_after": _header(response, "retry-after"),
                "location": _header(response, "location")}
    if isinstance(exc, openai.APITimeoutError):
        return {"kind": "timeout", "message": "timed out", "exception": name, "cause": _cause(exc)}
    if isinstance(exc, openai.APIConnectionError):
        return {"kind": "connection", "message": "connection error", "exception": name, "cause": _cause(exc)}
    # openai 1.x lets the HTTP library's own exceptions escape from a stream it is iterating.
    for kind, base, message in (("timeout", "TimeoutException", "timed out"), ("connection", "TransportError", "connection error")):
        if library is not None and isinstance(exc, getattr(library, base, ())):
            return {"kind": kind, "message": message, "exception": name, "cause": name + ": " + _cap(str(exc))}
    if isinstance(exc, openai.APIError):
        return {"kind": "error_event", "message": _body_message(exc), "exception": name,
                "code": _opt(getattr(exc, "code", None)), "type": _opt(getattr(exc, "type", None))}
    # json.loads' RecursionError (nested too deep) and ValueError past int()'s digits: malformed too.
    if isinstance(exc, (json.JSONDecodeError, RecursionError)) or (
            isinstance(exc, ValueError) and ("JSON" in name or "digits" in str(exc))):
        return {"kind": "malformed", "message": "invalid JSON: " + _cap(str(getattr(exc, "msg", exc))), "exception": name}
    if isinstance(exc, UnicodeEncodeError):
        return {"kind": "connection", "message": "a header value is not ASCII", "exception": name,
                "cause": "UnicodeEncodeError: the API key or a header contains a non-ASCII character (smart quotes?)"}
    return {"kind": "other", "message": _cap(str(exc)), "exception": name}


def rejected_field(exc: BaseException, openai: Any, sent: Tuple[str, ...]) -> Optional[str]:
    """The request field a 400/422 names, when it was sent (classify.rejected_field)."""
    if not isinstance(exc, openai.APIStatusError) or getattr(exc, "status_code", None) not in (400, 422):
        return None
    text = " ".join(str(getattr(exc, part, "")) for part in ("message", "param", "body"))
    return next((name for name in sent if name in text), None)


def failure_of(exc: BaseException, openai: Any, library: Any, tripped: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """What stopped an attempt: a bound that was reached (whatever the SDK made of the cut), else the exception."""
    reached = exc.limit if isinstance(exc, LimitReached) else tripped
    if reached is None:
        return classify(exc, openai, library)
    return {"kind": "limit", "message": reached["kind"], "exception": type(exc).__name__, "limit": reached}


# --- the reply's dialect, from its bytes (trace.WireFacts; judged by doctor.stream.dialect) -------
# Bounds mirror trace.WIRE_*: the names come from a server. Only the first PARSED_EVENTS events are
# parsed whole (the rest are token chunks of the same shape, and parsing each again would add a
# fifth to the client's per-chunk cost: scripts/bench.py ttft); after them, only an event that can
# say something new is: a usage object, llama.cpp's timings, the finish chunk, the first reasoning.
NAMES_KEPT = 24
NAME_CHARS = 40
PARSED_EVENTS = 16
_WORTH_PARSING = re.compile(rb'"usage"\s*:\s*\{|"timings"|"finish_reason"\s*:\s*"')
LINE_BYTES = 1024 * 1024  # longer lines are skipped (the guard's event bound ends such a reply anyway)
HEADERS = ("server", "x-request-id", "apim-request-id", "openai-processing-ms", "openai-version",
           "x-ms-region", "via", "x-powered-by")


class WireWatch:
    """Reads the decoded bytes the SDK is about to parse, and notes how the endpoint speaks:
    field names, where usage comes, SSE comments, the first event's shape. Never raises."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.skipping = False  # inside a line longer than LINE_BYTES: dropped, not kept
        self.facts: Dict[str, Any] = {"events": 0, "comments": 0, "comment": None, "fields": [], "choice_fields": [],
                      "delta_fields": [], "first": None, "usage_chunks": 0, "usage_on_choices": 0,
                      "reasoning_field": None, "obfuscation": False, "fingerprint": None, "id_prefix": None,
                      "headers": []}

    def wrap(self, response: Any) -> None:
        """Watch what `response.iter_bytes` yields (the SDK looks it up when it starts reading)."""
        original = getattr(response, "iter_bytes", None)
        self.facts["headers"] = _headers(response)
        if original is None:
            return
        watch = self

        def iter_bytes(chunk_size: Optional[int] = None) -> Any:
            for piece in original(chunk_size):
                watch.feed(piece)
                yield piece

        response.iter_bytes = iter_bytes

    def feed(self, piece: bytes) -> None:
        """Linear in the bytes whatever the reads' sizes (a line that trickles in a byte at a time)."""
        try:
            start = 0
            while True:
                end = piece.find(b"\n", start)
                if end < 0:
                    if not self.skipping:
                        self.pending += piece[start:]
                        if len(self.pending) > LINE_BYTES:
                            self.pending, self.skipping = bytearray(), True
                    return
                if not self.skipping:
                    self.pending += piece[start:end]
                    if len(self.pending) <= LINE_BYTES:
                        self.line(bytes(self.pending).rstrip(b"\r"))
                self.pending, self.skipping = bytearray(), False
                start = end + 1
        except Exception:  # noqa: BLE001  # watching is a side line: the SDK reports what is wrong
            self.pending, self.skipping = bytearray(), False

    def line(self, line: bytes) -> None:
        facts = self.facts
        if line.startswith(b":"):
            facts["comments"] += 1
            if facts["comment"] is None:
                facts["comment"] = line[1:].strip()[:NAME_CHARS].decode("utf-8", "replace")
            return
        if not line.startswith(b"data:"):
            return
        payload = line[5:].strip()
        if payload == b"[DONE]":
            return
        facts["events"] += 1
        if facts["events"] > PARSED_EVENTS and not _WORTH_PARSING.search(payload) and not (
                facts["reasoning_field"] is None and b'"reasoning' in payload):
            return
        try:
            chunk = json.loads(payload)
        except (ValueError, RecursionError):
            return
        if isinstance(chunk, dict):
            self.chunk(chunk)

    def chunk(self, chunk: Dict[str, Any]) -> None:
        facts = self.facts
        _names(facts["fields"], chunk)
        choices = chunk.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        delta = choice.get("delta") if choice is not None else None
        delta = delta if isinstance(delta, dict) else None
        if choice is not None:
            _names(facts["choice_fields"], choice)
        if delta is not None:
            _names(facts["delta_fields"], delta)
            for name in ("reasoning_content", "reasoning"):
                if facts["reasoning_field"] is None and delta.get(name):
                    facts["reasoning_field"] = name
        if isinstance(chunk.get("usage"), dict):
            facts["usage_chunks"] += 1
            facts["usage_on_choices"] += 1 if choices else 0
        facts["obfuscation"] = facts["obfuscation"] or "obfuscation" in chunk
        if facts["fingerprint"] is None and isinstance(chunk.get("system_fingerprint"), str):
            facts["fingerprint"] = chunk["system_fingerprint"][:NAME_CHARS]
        if facts["id_prefix"] is None and isinstance(chunk.get("id"), str):
            facts["id_prefix"] = _id_prefix(chunk["id"])
        if facts["first"] is None:
            facts["first"] = _shape_of(choices, delta)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.facts)


def _names(kept: List[str], obj: Dict[str, Any]) -> None:
    if len(kept) >= NAMES_KEPT:
        return
    for name in obj:
        short = str(name)[:NAME_CHARS]
        if short not in kept:
            kept.append(short)
            if len(kept) >= NAMES_KEPT:
                return


def _id_prefix(value: str) -> str:
    """"chatcmpl-", "gen-", "resp_": up to the first separator within 12 characters; "" for an empty id."""
    for index, char in enumerate(value[:13]):
        if char in "-_":
            return value[:index + 1]
    return value[:12] if value else ""


def _shape_of(choices: Any, delta: Optional[Dict[str, Any]]) -> str:
    if isinstance(choices, list) and not choices:
        return "no_choices"
    if delta is None:
        return "other"
    if delta.get("content") or delta.get("tool_calls") or delta.get("reasoning_content") or delta.get("reasoning"):
        return "token"
    return "role_only" if delta.get("role") else "empty"


def _headers(response: Any) -> List[List[str]]:
    headers = getattr(response, "headers", None)
    found = []
    for name in HEADERS:
        value = headers.get(name) if headers is not None else None
        if value:
            found.append([name, str(value)[:NAME_CHARS * 2]])
    return found
