"""The endpoint's dialect: what a client of it must handle, read off the wire (issue 11).

Pure: from the runs' doctor.stream.trace.WireFacts (recorded in both paths from the bytes the SDK
parses) and their timings. Not a finding: a section of the smoke output and `smoke.dialect` in the
JSON. The family guess needs a clue only that family's servers send (checked against their
sources, README "The endpoint's dialect"); gateways come first, since OpenRouter and Azure pass
an upstream's own fields through:

- OpenRouter: a `provider` field, `native_finish_reason` in the choices, `: OPENROUTER PROCESSING`.
- Azure OpenAI: `prompt_filter_results` / `content_filter_results`, `apim-request-id`, `x-ms-region`.
- Ollama: `system_fingerprint: fp_ollama` (its openai layer writes that literal).
- llama.cpp: `system_fingerprint` is its build ("b6097-9515c613"), or a `server: llama...` header;
  its `timings` object counts only beside one of those (dasLLAMA sends a `timings` too).
- vLLM: `stop_reason` in the choices, `prompt_token_ids` (vllm/entrypoints/openai/protocol.py).
- OpenAI: `obfuscation` padding, `fp_` fingerprints, `openai-version` / `openai-processing-ms`.

A Responses API stream (typed events, no choices) gets what applies to it: its SSE comments, its
`obfuscation`, the `server` header, whether the headers were held, and the family guess from the
clues that are not chat chunks' (headers, comments, event fields); the usage is the terminal
event's by the API's definition, and there is no first chunk of choices to describe (`api` says
which API the dialect was read from).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from doctor.knowledge.wording import dialect as words
from doctor.stream import trace as t
from doctor.stream.stats import percentile

# "Headers held until the first token": the first token (of any kind) came within this much of the
# headers, and took long enough for holding the headers to be told apart from a fast server that
# answers and generates at once (on loopback everything is within a few ms: then it cannot tell).
HELD_MIN_FIRST_TOKEN_MS = 100.0
HELD_GAP_FLOOR_MS = 25.0
HELD_GAP_FRACTION = 0.1

_LLAMA_BUILD = re.compile(r"^b\d+-[0-9a-f]{6,}$")

OPENAI = "OpenAI"
AZURE = "Azure OpenAI"
VLLM = "vLLM"
LLAMA_CPP = "llama.cpp"
OLLAMA = "Ollama"
OPENROUTER = "OpenRouter"


@dataclass(frozen=True)
class Dialect:
    family: Optional[str]  # one of the names above; None: not recognised
    evidence: Tuple[str, ...]
    usage: str  # words.USAGE_*
    reasoning_field: Optional[str]
    empty_choices_first: bool
    role_only_first: bool
    comments: int
    comment: Optional[str]
    obfuscation: bool
    server: Optional[str]
    fields: Tuple[str, ...]
    headers_held: Optional[bool]  # None: could not tell (no token, or everything too fast)
    headers_ms: Optional[float] = None  # the medians behind headers_held
    first_token_ms: Optional[float] = None
    api: str = "chat"  # "chat" (chat completions' chunks) or "responses" (the Responses API's events)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "api": self.api, "family": self.family, "evidence": list(self.evidence), "usage": self.usage,
            "reasoning_field": self.reasoning_field, "empty_choices_first_chunk": self.empty_choices_first,
            "role_only_first_chunk": self.role_only_first, "sse_comments": self.comments,
            "first_comment": self.comment, "obfuscation": self.obfuscation, "server": self.server,
            "fields": list(self.fields), "headers_held_until_first_token": self.headers_held,
            "headers_ms": _r(self.headers_ms), "first_token_any_ms": _r(self.first_token_ms),
        }


def read_dialect(traces: Sequence[t.StreamTrace], first_tokens: Sequence[Optional[float]]) -> Optional[Dialect]:
    """The dialect from the runs that read a body (the first such run's shape; comments over all
    of them, of the same API as the first); None when no run got that far. `first_tokens` is each
    run's first_token_any_ms (doctor.stream.figures)."""
    seen = [(tr, ft) for tr, ft in zip(traces, first_tokens) if tr.wire is not None and tr.wire.events]
    if not seen:
        return None
    wire = seen[0][0].wire
    assert wire is not None
    responses = _responses_api(wire)
    seen = [(tr, ft) for tr, ft in seen if tr.wire is not None and _responses_api(tr.wire) == responses]
    family, evidence = guess_family(wire)
    held, headers_ms, token_ms = headers_held([tr.headers_ms for tr, _ in seen], [ft for _, ft in seen])
    usage = words.USAGE_TERMINAL if responses else usage_placement(wire, seen[0][0].usage_requested)
    reasoning = None if responses else next((tr.wire.reasoning_field for tr, _ in seen
                                            if tr.wire and tr.wire.reasoning_field), None)
    return Dialect(
        family=family, evidence=evidence, usage=usage, reasoning_field=reasoning,
        empty_choices_first=not responses and wire.first == "no_choices",
        role_only_first=not responses and wire.first == "role_only",
        comments=sum(tr.wire.comments for tr, _ in seen if tr.wire), comment=wire.comment,
        obfuscation=wire.obfuscation, server=wire.header("server"), fields=wire.fields,
        headers_held=held, headers_ms=headers_ms, first_token_ms=token_ms,
        api="responses" if responses else "chat",
    )


def _responses_api(wire: t.WireFacts) -> bool:
    """A Responses API stream (typed events, no choices): this dialect is chat completions'."""
    return "type" in wire.fields and "choices" not in wire.fields


def usage_placement(wire: t.WireFacts, requested: bool) -> str:
    if wire.usage_chunks == 0:
        if "timings" in wire.fields:
            return words.USAGE_VENDOR
        return words.USAGE_NOWHERE if requested else words.USAGE_NOT_ASKED
    if wire.usage_on_choices >= 2:
        return words.USAGE_EVERY
    return words.USAGE_ON_LAST if wire.usage_on_choices == 1 else words.USAGE_CHUNK


def headers_held(headers: Sequence[Optional[float]], tokens: Sequence[Optional[float]]
                 ) -> Tuple[Optional[bool], Optional[float], Optional[float]]:
    """Were the headers held until the first token? On the runs' medians (see HELD_*)."""
    pairs = [(h, f) for h, f in zip(headers, tokens) if h is not None and f is not None]
    if not pairs:
        return None, None, None
    head = percentile([h for h, _ in pairs], 50) or 0.0
    token = percentile([f for _, f in pairs], 50) or 0.0
    if token < HELD_MIN_FIRST_TOKEN_MS:
        return None, head, token
    return token - head <= max(HELD_GAP_FLOOR_MS, HELD_GAP_FRACTION * token), head, token


Clue = Callable[[t.WireFacts], Optional[str]]


def _field(name: str) -> Clue:
    return lambda w: words.field_in_chunks(name) if name in w.fields else None


def _choice(name: str) -> Clue:
    return lambda w: words.field_in_choices(name) if name in w.choice_fields else None


def _header(name: str, test: Callable[[str], bool] = lambda _v: True, show: bool = False) -> Clue:
    def clue(w: t.WireFacts) -> Optional[str]:
        value = w.header(name)
        return words.header(name, value if show else None) if value is not None and test(value) else None
    return clue


def _fingerprint(test: Callable[[str], bool]) -> Clue:
    return lambda w: words.fingerprint(w.fingerprint) if w.fingerprint is not None and test(w.fingerprint) else None


# Family -> its clues, in the order families are tried (gateways first: see the module docstring).
FAMILIES: Tuple[Tuple[str, Tuple[Clue, ...]], ...] = (
    (OPENROUTER, (_field("provider"), _choice("native_finish_reason"),
                  lambda w: words.comment(w.comment or "") if (w.comment or "").startswith("OPENROUTER") else None)),
    (AZURE, (_field("prompt_filter_results"), _choice("content_filter_results"), _header("apim-request-id"),
             _header("x-ms-region"))),
    (OLLAMA, (_fingerprint(lambda v: v == "fp_ollama"),)),
    (LLAMA_CPP, (_field("timings"), _fingerprint(lambda v: bool(_LLAMA_BUILD.match(v))),
                 _header("server", lambda v: v.lower().startswith("llama"), show=True))),
    (VLLM, (_choice("stop_reason"), _field("prompt_token_ids"), _field("kv_transfer_params"))),
    (OPENAI, (lambda w: words.field_in_chunks("obfuscation") if w.obfuscation else None,
              _fingerprint(lambda v: v.startswith("fp_")), _header("openai-version"), _header("openai-processing-ms"),
              _header("x-request-id", lambda v: v.startswith("req_")))),
)
# A lone clue this weak is not enough (OpenAI's own headers are copied by many proxies).
_WEAK = {OPENAI: 2}
# Clues others copy: alone they name no family. A `timings` object is llama.cpp's, but dasLLAMA
# sends one too ({ttft_ms, gen_ms}, not llama.cpp's prompt_n/predicted_n: seen on dasllama 0.6.6,
# tests/machine/test_real_model_server.py).
_NOT_ALONE = frozenset({words.field_in_chunks("timings")})


def guess_family(wire: t.WireFacts) -> Tuple[Optional[str], Tuple[str, ...]]:
    for family, clues in FAMILIES:
        found = tuple(e for e in (clue(wire) for clue in clues) if e is not None)
        if len(found) >= _WEAK.get(family, 1) and not set(found) <= _NOT_ALONE:
            return family, found
    return None, ()


def _r(value: Optional[float]) -> Optional[float]:
    return round(value, 1) if value is not None else None
