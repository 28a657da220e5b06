"""Making text that came from a server or the environment inert before it reaches a terminal.

A 401 message, a model name echoed in a 404, a streamed token or an environment variable can
carry `ESC ]0;title BEL` (retitles the window), `ESC [2J` (clears the screen), colour codes, a
carriage return that overwrites the line before it, or Unicode bidi controls that reorder what
is shown. Every renderer passes such text through `inert`, in every output mode (with or
without colour): control characters are shown escaped (`\\x1b`), never interpreted. The JSON
document keeps the text, JSON-escaped (`json_inert`).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional formatting characters (Trojan Source).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI + "]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What json.dumps(ensure_ascii=False) leaves raw: DEL, C1 controls and bidi characters.
_JSON_RAW = re.compile("[\x7f-\x9f" + _BIDI + "]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown escaped; `keep_newlines` keeps line feeds and
    tabs (a streamed reply has lines of its own)."""
    pattern = _CONTROLS_BUT_LINES if keep_newlines else _CONTROLS
    return pattern.sub(_escaped, text) if pattern.search(text) else text


def json_inert(document: str) -> str:
    """A JSON document with the controls json.dumps leaves raw written as `\\u` escapes (valid
    JSON: they can only occur inside strings, which decode back to the same text)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)
