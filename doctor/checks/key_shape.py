"""The shape of what the SDK sends as headers: the API key, and OPENAI_ORG_ID / OPENAI_PROJECT_ID
beside it. Pure rules, shared by config.api_key for the key it will send and for a key found
only in .env; this module declares no check.

Each rule returns `Finding`s (doctor.checks.findings), most consequential first, worded by
doctor.knowledge.wording.config_api_key. The key never enters a finding: only its length,
prefix kind, variable name and the positions and names of the characters that are wrong do.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

from doctor.checks.findings import Finding
from doctor.credentials import OPENAI_KEY_VAR
from doctor.knowledge.wording import config_api_key as words
from doctor.knowledge.wording.config import WS_NAMES, WS_PLURALS

# Prefixes of OpenAI keys (facts §4.1), longest first; the value is what people call them.
_KEY_KINDS = (
    ("sk-proj-", "project key"),
    ("sk-svcacct-", "service-account key"),
    ("sk-admin-", "admin key"),
    ("sk-None-", "legacy user key"),
    ("sk-", "legacy user key"),
)
_OPENAI_KEY_CHARS = re.compile(r"^[A-Za-z0-9_\-]+$")
_MIN_OPENAI_KEY_LENGTH = 40  # legacy keys are 51 chars, project keys ~164; shorter means truncated
_QUOTES = "\"'"
# ASCII control characters that are not the whitespace `_describe_whitespace` reports.
_CONTROL_CHARS = frozenset(chr(c) for c in (*range(0x09), *range(0x0E, 0x20), 0x7F))
_CONTROL_NAMES = {"\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL", "\r": "CR", "\n": "LF", "\t": "TAB"}
# Sent by the SDK beside the key, as `OpenAI-Organization` / `OpenAI-Project` headers.
ID_HEADER_VARS = ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


def key_prefix_kind(key: str) -> str:
    cleaned = key.strip().strip(_QUOTES + "“”‘’").strip()
    for prefix, kind in _KEY_KINDS:
        if cleaned.startswith(prefix):
            return kind
    return "unknown"


def inspect_key(key: str, *, name: str = OPENAI_KEY_VAR, header: str = "Authorization: Bearer", kind: str = "openai") -> List[Finding]:
    """Every hygiene problem of a key value, most consequential first. Pure; never echoes the key.

    What the SDK does with each was verified with openai 3.57.0 / httpx2 2.16.2 against a
    local server (facts §1.9): CR/LF anywhere, or trailing space/tab, make h11 reject the
    header (`LocalProtocolError: Illegal header value`), which the SDK reports as
    `APIConnectionError: Connection error.`; a leading space/tab is sent after `Bearer `
    and the server answers 401 (in Azure's bare `api-key:` header it is illegal too);
    non-ASCII raises `UnicodeEncodeError` while the headers are encoded.
    """
    findings: List[Finding] = []
    length = len(key)

    non_ascii = [(i, ch) for i, ch in enumerate(key) if ord(ch) > 127]
    if non_ascii:
        curly = any(ch in "“”‘’„«»" for _, ch in non_ascii)
        described = _positions(non_ascii, "non-ASCII character", _char_name)
        findings.append(Finding("api_key_non_ascii", *words.key_non_ascii(name, described, length, curly)))

    # NUL included: httpx/httpx2 (h11) refuse it; the others go out and fail at the server
    # (verified with openai 3.57.0 / httpx2 2.16.2 against the local mock server).
    controls = [(i, ch) for i, ch in enumerate(key) if ch in _CONTROL_CHARS]
    if controls:
        described = _positions(controls, "control character", _control_name)
        findings.append(Finding("api_key_control_characters", *words.key_control_characters(name, described, length)))

    bearer = re.match(r"^[ \t]*bearer([ \t]+)", key, re.IGNORECASE)
    # The blank after a `Bearer` prefix belongs to that finding, not to the whitespace one.
    whitespace = _describe_whitespace(key, skip=bearer.span(1) if bearer else None)
    if whitespace:
        breaks_header = (
            any(ch in key for ch in "\r\n\v\f")
            or key[-1:] in (" ", "\t")
            or (header == "api-key" and key[:1] in (" ", "\t"))
        )
        findings.append(Finding("api_key_whitespace", *words.key_whitespace(name, whitespace, breaks_header)))

    stripped = key.strip()
    if bearer:
        findings.append(Finding("api_key_bearer_prefix", *words.key_bearer_prefix(name, header)))

    # `stripped` may be empty (a key of only whitespace), and "" is `in` every string.
    if stripped and (stripped[0] in _QUOTES or stripped[-1] in _QUOTES):
        first = stripped[0] if stripped[0] in _QUOTES else None
        last = stripped[-1] if stripped[-1] in _QUOTES else None
        findings.append(Finding("api_key_quoted", *words.key_quoted(name, first, last)))

    if kind == "openai" and name == OPENAI_KEY_VAR and stripped and not non_ascii and not controls:
        unusual = _unusual_openai_shape(key)
        if unusual:
            findings.append(Finding("api_key_unusual_format", *words.key_unusual_format(name, unusual)))
    return findings


def inspect_id_headers(values: Mapping[str, str]) -> List[Finding]:
    """OPENAI_ORG_ID / OPENAI_PROJECT_ID values that cannot go into a header as they are: a
    CR/LF (h11 refuses it, reported as a connection error), other control characters, blanks
    around the id, or non-ASCII (UnicodeEncodeError). Pure; the values are ids, not secrets."""
    findings = []
    for name in ID_HEADER_VARS:
        value = values.get(name) or ""
        odd = [(i, ch) for i, ch in enumerate(value) if ord(ch) < 0x20 or ord(ch) >= 0x7F]
        padded = value != value.strip()
        if not odd and not padded:
            continue
        what = _positions(odd, "control or non-ASCII character", _odd_name) if odd else words.ID_BLANKS
        findings.append(Finding("api_header_invalid", *words.id_header_invalid(name, what)))
    return findings


def _positions(found: Sequence[Tuple[int, str]], what: str, name_of: Callable[[str], str]) -> str:
    """'2 control characters: ESC (0x1B) at position 12, DEL (0x7F) at position 43' (three at most)."""
    described = [f"{name_of(ch)} at position {i + 1}" for i, ch in found[:3]]
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return f"{len(found)} {what}{'s' if len(found) > 1 else ''}: {', '.join(described)}{more}"


def _odd_name(ch: str) -> str:
    return _control_name(ch) if ord(ch) < 0x20 or ord(ch) == 0x7F else _char_name(ch)


def _control_name(ch: str) -> str:
    return f"{_CONTROL_NAMES.get(ch, 'control character')} (0x{ord(ch):02X})"


def _char_name(ch: str) -> str:
    return f"{unicodedata.name(ch, 'UNNAMED CHARACTER')} (U+{ord(ch):04X})"


def _describe_whitespace(key: str, skip: Optional[Tuple[int, int]] = None) -> str:
    """'ends with a newline (LF)', 'starts with 2 spaces and contains a tab at position 30', or ''.

    `skip` is a [start, end) range of inner positions not to report.
    """
    ascii_ws = " \t\r\n\v\f"
    parts = []
    lead = len(key) - len(key.lstrip(ascii_ws))
    if key and lead == len(key):
        return f"is only whitespace ({_run_names(key)})"
    trail = len(key) - len(key.rstrip(ascii_ws))
    if lead:
        parts.append(f"starts with {_run_names(key[:lead])}")
    if trail:
        tail = key[len(key) - trail:]
        parts.append("ends with a Windows line ending (CR LF)" if tail == "\r\n" else f"ends with {_run_names(tail)}")
    inner = [
        (i, ch) for i, ch in enumerate(key)
        if lead <= i < len(key) - trail and ch in ascii_ws and not (skip and skip[0] <= i < skip[1])
    ]
    if inner:
        shown = ", ".join(f"a {WS_NAMES[ch]} at position {i + 1}" for i, ch in inner[:3])
        parts.append(f"contains {shown}" + (f" and {len(inner) - 3} more" if len(inner) > 3 else ""))
    return " and ".join(parts)


def _run_names(run: str) -> str:
    """'a newline (LF)', '3 spaces', 'a space, a tab'."""
    if len(set(run)) == 1:
        return f"a {WS_NAMES[run[0]]}" if len(run) == 1 else f"{len(run)} {WS_PLURALS[run[0]]}"
    names = [f"a {WS_NAMES[ch]}" for ch in run[:5]]
    return ", ".join(names) + (f" and {len(run) - 5} more" if len(run) > 5 else "")


def _unusual_openai_shape(key: str) -> str:
    """Why `key` does not look like an OpenAI key, judged after the hygiene problems other
    findings report (whitespace, quotes, a Bearer prefix) are taken out; '' when it does."""
    cleaned = re.sub(r"^bearer(?=\s)", "", key.strip().strip(_QUOTES).strip(), flags=re.IGNORECASE)
    cleaned = re.sub(r"\s", "", cleaned).strip(_QUOTES)
    if not cleaned.startswith("sk-"):
        if re.fullmatch(r"[0-9a-fA-F]{32}", cleaned):
            return words.UNUSUAL_AZURE_HEX
        return words.UNUSUAL_NO_SK
    if cleaned.startswith("sk-admin-"):
        return words.UNUSUAL_ADMIN
    if not _OPENAI_KEY_CHARS.match(cleaned) and cleaned.isascii():
        return words.UNUSUAL_CHARACTERS
    if len(cleaned) < _MIN_OPENAI_KEY_LENGTH:
        return words.unusual_short(len(cleaned))
    return ""
