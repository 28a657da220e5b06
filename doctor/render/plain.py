"""Text from a report made safe for the CI outputs (JUnit, GitHub annotations, step summary).

These are read on web pages and by other programs, not by a terminal, but the rule is the same
as everywhere (doctor.render.inert): a control or invisible character a server put in its text
is shown escaped (`\\x1b`), never passed on. Two more kinds are escaped here, because these
outputs are files and line-oriented streams: a lone surrogate (a byte that was not UTF-8 in the
environment, which no UTF-8 file can hold) and the Unicode line and paragraph separators (which
some readers take for a line break, and an annotation must stay one line).
"""

from __future__ import annotations

import re

from doctor.render.inert import inert

_MORE = re.compile("[\ud800-\udfff\u2028\u2029]")


def plain(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control, invisible character, lone surrogate and line separator shown
    escaped; `keep_newlines` keeps line feeds and tabs."""
    return _MORE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", inert(text, keep_newlines=keep_newlines))
