"""HTTP answers of an OpenAI-compatible API -> diagnosis codes, as data.

`RULES` is read top to bottom; the first rule whose status range, endpoint kind, error
code/type and message pattern all match names the diagnosis. Sources: the official error
table and billing codes (shared/facts/openai-api.md §3.1), the SDK's status -> exception
mapping (§1.7), and the shapes compatible servers use (vLLM, llama.cpp, Azure: §3.2).

Pure: no I/O. `parse_error` reads the error body of any of those servers; `rate_limit_notes`
turns the rate-limit headers into sentences. A body is whatever the server sent: `load_json`
never raises (deep nesting, numbers too long for int(), invalid UTF-8), and only values of the
expected type are read from it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

# error.code values that mean billing, not pace: retrying does not help (facts §3.1, help.openai.com 6614457).
BILLING_CODES: FrozenSet[str] = frozenset({
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_usage_limit_exceeded",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
})


@dataclass(frozen=True)
class ApiError:
    """The `error` object of a refusal, whatever server sent it; every field may be missing."""

    message: Optional[str] = None
    type: Optional[str] = None
    code: Optional[str] = None  # str() of the value: vLLM and llama.cpp send ints ("404")
    param: Optional[str] = None


@dataclass(frozen=True)
class ErrorRule:
    diagnosis: str
    statuses: Tuple[Tuple[int, int], ...]  # inclusive ranges
    codes: FrozenSet[str] = frozenset()  # matches error.code or error.type; empty = any
    message: Optional[str] = None  # regex searched (case-insensitive) in error.message; None = any
    kinds: FrozenSet[str] = frozenset()  # endpoint kinds ("openai", "azure", "compatible"); empty = any
    note: Optional[str] = None  # an extra sentence for the details

    def matches(self, status: int, error: ApiError, kind: str) -> bool:
        if not any(lo <= status <= hi for lo, hi in self.statuses):
            return False
        if self.kinds and kind not in self.kinds:
            return False
        if self.codes and not ({(error.code or "").lower(), (error.type or "").lower()} & self.codes):
            return False
        if self.message is not None and not re.search(self.message, error.message or "", re.IGNORECASE):
            return False
        return True


def _s(*statuses: int) -> Tuple[Tuple[int, int], ...]:
    return tuple((s, s) for s in statuses)


RULES: Tuple[ErrorRule, ...] = (
    # LiteLLM's proxy without a database answers any key but its master key with 400 {"message": "No
    # connected db.", "type": "no_db_connection", "code": "400"} (litellm 1.108.7, on /models, /chat/completions
    # and /responses alike: tests/machine/test_real_server.py): a refused key, not a malformed request.
    ErrorRule("gateway_no_key_db", _s(400, 401, 403), codes=frozenset({"no_db_connection"})),
    ErrorRule("gateway_no_key_db", _s(400, 401, 403), message=r"^\s*no connected db\b"),
    # 401/403 with a specific cause first; the plain status is the fallback.
    ErrorRule("ip_not_authorized", _s(401, 403), codes=frozenset({"ip_not_authorized"})),
    ErrorRule("ip_not_authorized", _s(401, 403), message=r"\bIP\b.{0,60}not (?:authorized|allowed)|allowlist"),
    ErrorRule("missing_scopes", _s(401, 403), message=r"missing scopes|insufficient permissions for this operation"),
    ErrorRule("invalid_api_key", _s(401)),
    ErrorRule("unsupported_region", _s(403), codes=frozenset({"unsupported_country_region_territory"})),
    ErrorRule("unsupported_region", _s(403), message=r"country, region,? or territory"),
    ErrorRule("permission_denied", _s(403)),
    ErrorRule("endpoint_not_found", _s(404)),
    # Azure uses insufficient_quota for per-deployment TPM/RPM limits too (facts §3.1, doctor rule).
    ErrorRule("rate_limited", _s(429), codes=BILLING_CODES, kinds=frozenset({"azure"}),
              note="On Azure, insufficient_quota usually means the deployment's tokens/requests-per-minute quota, not billing."),
    ErrorRule("insufficient_quota", _s(429), codes=BILLING_CODES, note="Retrying will not help: this is billing, not pace."),
    ErrorRule("rate_limited", _s(429)),
    ErrorRule("overloaded", _s(503, 529)),
    ErrorRule("server_error", ((500, 599),)),
    ErrorRule("api_bad_request", _s(400)),
)


def diagnosis_for(status: int, error: ApiError, kind: str) -> Tuple[str, Optional[str]]:
    """(diagnosis code, extra note) for a non-2xx, non-3xx answer."""
    for rule in RULES:
        if rule.matches(status, error, kind):
            return rule.diagnosis, rule.note
    return "unexpected_status", None


def parse_error(body: bytes) -> Optional[ApiError]:
    """The error object of an API refusal, or None when the body is not a JSON error.

    Shapes: OpenAI `{"error": {"message", "type", "param", "code"}}`; vLLM's
    `{"error": "Unauthorized"}`; FastAPI/others `{"detail": "..."}` or `{"message": "..."}`.
    """
    document = load_json(body)
    if not isinstance(document, Mapping):
        return None
    error = document.get("error", document)
    if isinstance(error, str):
        return ApiError(message=error)
    if not isinstance(error, Mapping):
        return None
    message = error.get("message", error.get("detail"))
    if not isinstance(message, str):
        message = _compact(message)
    known = ("message", "detail", "type", "code")
    if not any(name in error for name in known):
        return None
    return ApiError(
        message=message,
        type=_text(error.get("type")),
        code=_text(error.get("code")),
        param=_text(error.get("param")),
    )


def load_json(body: bytes, *, strict: bool = False) -> Any:
    """The JSON document in `body`, or None when there is none (never raises).

    RecursionError is the one to remember: `json.loads` of `[[[[...` 100,000 deep raises it,
    not ValueError. Invalid UTF-8 is replaced (enough to read an error message), or with
    `strict` makes the body no JSON at all, as for the SDK (httpx's `response.json()`).
    """
    if not body.strip():
        return None
    try:
        return json.loads(body.decode("utf-8", "strict" if strict else "replace"))
    except (ValueError, RecursionError):
        return None


def _text(value: Any) -> Optional[str]:
    """A scalar as text (vLLM and llama.cpp send error codes as ints); None for anything else."""
    if value is None or isinstance(value, (list, dict)):
        return None
    return str(value)


def _compact(value: Any, limit: int = 300) -> Optional[str]:
    """A non-string error message as short JSON text (FastAPI's `detail` list), bounded."""
    if value is None:
        return None
    try:
        return json.dumps(value)[:limit]
    except (ValueError, TypeError, RecursionError):
        return None


def is_model_list(body: bytes) -> Optional[List[Mapping[str, Any]]]:
    """The `data` entries of a `{"object": "list", "data": [{"id": ...}, ...]}` answer, else None.

    Ollama and some proxies omit `"object"`; an entry without a string `id` disqualifies.
    """
    document = load_json(body, strict=True)
    if not isinstance(document, Mapping) or not isinstance(document.get("data"), list):
        return None
    if document.get("object", "list") != "list":
        return None
    entries = document["data"]
    if not all(isinstance(e, Mapping) and isinstance(e.get("id"), str) for e in entries):
        return None
    return list(entries)


# Rate-limit headers (facts §2.3); reset values are Go-style durations ("1s", "6m0s", "120ms").
_LIMIT_KINDS = ("requests", "tokens")


def rate_limit_notes(headers: Mapping[str, str]) -> List[str]:
    """Sentences such as "requests: 0 of 3 left, resets in 20s" and "retry after 20 s"."""
    lower = {k.lower(): v for k, v in headers.items()}
    notes = []
    for kind in _LIMIT_KINDS:
        limit = lower.get(f"x-ratelimit-limit-{kind}")
        remaining = lower.get(f"x-ratelimit-remaining-{kind}")
        reset = lower.get(f"x-ratelimit-reset-{kind}")
        if limit is None and remaining is None and reset is None:
            continue
        parts = []
        if remaining is not None and limit is not None:
            parts.append(f"{remaining} of {limit} left")
        elif remaining is not None:
            parts.append(f"{remaining} left")
        if reset is not None:
            parts.append(f"resets in {reset}")
        notes.append(f"{kind}: " + ", ".join(parts))
    if "retry-after-ms" in lower:
        notes.append(f"the server asks to retry after {lower['retry-after-ms']} ms")
    elif "retry-after" in lower:
        value = lower["retry-after"]
        notes.append(f"the server asks to retry after {value} s" if value.isdigit() else f"the server asks to retry after {value}")
    return notes


REQUEST_ID_HEADERS: Tuple[str, ...] = ("x-request-id", "apim-request-id", "x-ms-request-id", "cf-ray")


def request_id(headers: Iterable[Tuple[str, str]]) -> Optional[str]:
    """The server's id for this request (OpenAI/vLLM x-request-id, Azure apim-request-id)."""
    lookup = {k.lower(): v for k, v in headers}
    for name in REQUEST_ID_HEADERS[:3]:
        if lookup.get(name):
            return lookup[name]
    return None


def suggestions_for_404(base_path: str) -> Sequence[str]:
    """Base-path variants worth trying when `{base}/models` is 404: add or drop `/v1`."""
    path = base_path.rstrip("/")
    if path.endswith("/v1"):
        return ()
    return (path + "/v1",)
