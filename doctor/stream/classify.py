"""The openai SDK's exceptions as plain data (`StreamFailure`), the same for every major.

Attributes, never `str(e)`: its format changed between majors, and the exception may hold the
key. The HTTP library is found through the SDK (doctor.stream.client.http_library), never
imported by name.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

from doctor.knowledge.gateways import page_server, page_title
from doctor.knowledge.wording import gateways as gw
from doctor.stream import trace as t
from doctor.stream.chunks import ErrorChunk, OddChunk
from doctor.stream.client import http_library
from doctor.words import shorten

ERROR_CHUNK = 'an error chunk ("object": "error")'  # what raised, for a vLLM error chunk (chunks.ErrorChunk)


def classify(exc: BaseException, openai: Any, phase: str) -> t.StreamFailure:
    """The SDK's exception as plain data. Attributes, never `str(e)`: its format changed
    between majors (3.4+ prints the message, earlier ones the whole body).
    """
    name = type(exc).__name__
    if isinstance(exc, ErrorChunk):
        return t.StreamFailure(kind=t.ERR_EVENT, phase=phase, message=shorten(exc.message), exception=ERROR_CHUNK,
                               code=exc.code, type=exc.type)
    if isinstance(exc, OddChunk):
        return t.StreamFailure(kind=t.ERR_MALFORMED, phase=phase, message=str(exc), exception="a value of the wrong type")
    if isinstance(exc, openai.APIStatusError):
        response = getattr(exc, "response", None)
        return t.StreamFailure(
            kind=t.ERR_STATUS, phase=phase, message=_body_message(exc), exception=name,
            status=getattr(exc, "status_code", None), code=_opt_str(getattr(exc, "code", None)),
            type=_opt_str(getattr(exc, "type", None)), retry_after=header(response, "retry-after"),
            location=header(response, "location"),
        )
    if isinstance(exc, openai.APITimeoutError):
        return t.StreamFailure(kind=t.ERR_TIMEOUT, phase=phase, message="timed out", exception=name, cause=_cause(exc))
    if isinstance(exc, openai.APIConnectionError):
        return t.StreamFailure(kind=t.ERR_CONNECTION, phase=phase, message="connection error", exception=name, cause=_cause(exc))
    # openai 1.x lets the HTTP library's own exceptions escape from a stream it is iterating
    # (later majors wrap them in APITimeoutError / APIConnectionError): classify those too.
    library = http_library(openai)
    if library is not None and isinstance(exc, getattr(library, "TimeoutException", ())):
        return t.StreamFailure(kind=t.ERR_TIMEOUT, phase=phase, message="timed out", exception=name,
                               cause=f"{name}: {shorten(str(exc))}")
    if library is not None and isinstance(exc, getattr(library, "TransportError", ())):
        return t.StreamFailure(kind=t.ERR_CONNECTION, phase=phase, message="connection error", exception=name,
                               cause=f"{name}: {shorten(str(exc))}")
    if isinstance(exc, openai.APIError):
        # In-band `data: {"error": ...}`: a plain APIError whose body is the inner error object.
        return t.StreamFailure(
            kind=t.ERR_EVENT, phase=phase, message=_body_message(exc), exception=name,
            code=_opt_str(getattr(exc, "code", None)), type=_opt_str(getattr(exc, "type", None)),
        )
    # The SDK's json.loads also raises RecursionError (nested too deep) and ValueError (a number
    # past int()'s 4300 digits): a malformed chunk too, not a cut connection.
    if isinstance(exc, (json.JSONDecodeError, RecursionError)) or (
            isinstance(exc, ValueError) and ("JSON" in name or "digits" in str(exc))):
        return t.StreamFailure(kind=t.ERR_MALFORMED, phase=phase, message=f"invalid JSON: {shorten(str(getattr(exc, 'msg', exc)))}", exception=name)
    if isinstance(exc, UnicodeEncodeError):
        # A non-ASCII character (smart quotes) in the key or a header: raised before sending.
        return t.StreamFailure(
            kind=t.ERR_CONNECTION, phase=phase, message="a header value is not ASCII", exception=name,
            cause="UnicodeEncodeError: the API key or a header contains a non-ASCII character (smart quotes?)",
        )
    return t.StreamFailure(kind=t.ERR_OTHER, phase=phase, message=shorten(str(exc)), exception=name)


def setup_failure(exc: BaseException) -> t.StreamFailure:
    return t.StreamFailure(kind=t.ERR_SETUP, phase=t.PHASE_SETUP, message=shorten(str(exc)), exception=type(exc).__name__)


def rejected_field(exc: BaseException, openai: Any, sent: Sequence[str]) -> Optional[str]:
    """The field of `sent` (the optional request fields that were sent) a 400/422 names, or None."""
    if not isinstance(exc, openai.APIStatusError) or getattr(exc, "status_code", None) not in (400, 422):
        return None
    text = " ".join(str(part) for part in (getattr(exc, "message", ""), getattr(exc, "param", ""), getattr(exc, "body", "")))
    for name in sent:
        if name in text:
            return name
    return None


def _body_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return shorten(message)
    if isinstance(body, str) and body.strip():
        stripped = body.strip()
        if stripped.startswith("<"):
            # Its title names a gateway's failure (nginx's "502 Bad Gateway"): kept for
            # doctor.knowledge.gateways, which api.auth uses on the same page.
            return gw.html_page(page_title(stripped), page_server(stripped))
        return shorten(stripped)
    message = getattr(exc, "message", "")
    return shorten(message) if isinstance(message, str) else ""


def _cause(exc: BaseException) -> Optional[str]:
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return None
    text = str(cause)
    if "header" in text.lower() and "b'" in text:
        # httpx's "Illegal header value b'Bearer sk-...\n'" quotes the key: keep only the verdict.
        text = text.split("b'", 1)[0].strip() + " (the key or a header has whitespace or a control character)"
    return f"{type(cause).__name__}: {shorten(text)}"


def header(response: Any, *names: str) -> Optional[str]:
    """The first of these headers the response (or an exception's response) has, or None."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name in names:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def _opt_str(value: Any) -> Optional[str]:
    return None if value is None else str(value)

