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

# C0 and C1 controls, DEL, the bidirectional formatting characters (Trojan Source) and the other
# invisible format characters: zero-width spaces, word joiners, the BOM, soft hyphens and the tag
# block (hidden text). Not U+200D, the joiner inside emoji sequences.
_INVISIBLE = ("\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
         "\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f" + _INVISIBLE + "]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _INVISIBLE + "]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What json.dumps(ensure_ascii=False) leaves raw: DEL, C1 controls and the invisible characters.
_JSON_RAW = re.compile("[\x7f-\x9f" + _INVISIBLE + "]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def inert(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown escaped; `keep_newlines` keeps line feeds and
    tabs (a streamed reply has lines of its own)."""
    pattern = _CONTROLS_BUT_LINES if keep_newlines else _CONTROLS
    return pattern.sub(_escaped, text) if pattern.search(text) else text


def json_inert(document: str) -> str:
    """A JSON document with the controls json.dumps leaves raw written as `\\u` escapes (valid
    JSON: they can only occur inside strings, which decode back to the same text)."""
    return _JSON_RAW.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON escapes a character beyond the BMP as a UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
