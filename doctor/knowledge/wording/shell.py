"""One word of a printed command, quoted so that the command works when pasted whole.

`shlex.quote` is exact for printable text, but a control character inside its quotes cannot
survive the trip: every renderer shows it escaped (doctor.render.inert turns ESC into the four
characters `\\x1b`), so the pasted word would be another name. Such a value is written in bash's
ANSI-C quoting instead (`$'gpt\\x1bx'`, also zsh's), every character the renderers escape given
as its UTF-8 bytes: the printed text is plain ASCII where it matters, and bash rebuilds exactly
the value from it in any locale.
"""

from __future__ import annotations

import shlex

from doctor.render.inert import inert


def shell_word(value: str) -> str:
    """`value` as one shell word that pastes back to exactly `value` (see the module docstring)."""
    if inert(value) == value:
        return shlex.quote(value)
    return "$'" + "".join(_ansi_c(char) for char in value) + "'"


def needs_ansi_c(value: str) -> bool:
    """Whether `shell_word` writes `value` in bash's $'...' (it holds control characters)."""
    return inert(value) != value


def _ansi_c(char: str) -> str:
    if char in ("\\", "'"):
        return "\\" + char
    if inert(char) != char:
        return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
    return char
