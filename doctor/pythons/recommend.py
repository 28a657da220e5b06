"""Which interpreter to start an OpenAI project with, and why. Pure: rows and today's date in.

An interpreter is *recommendable* when nothing stops it: it answered the probe, has an ssl
module, is not past its end of life, gets the current openai SDK, and the urllib3 pip gives it
imports cleanly (urllib3 2 works). Among those, what counts against one, in this order: a TLS
library that is not OpenSSL 3, being the macOS system Python, a pre-release, a virtual
environment's interpreter, an implementation other than CPython. Then the newest version wins,
then the one found first (PATH order: what the user already runs).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3
from doctor.knowledge.tls_library import is_modern_openssl
from doctor.knowledge.wording import pythons_command as words
from doctor.pythons.rows import InterpreterRow, is_macos_system, is_prerelease


@dataclass(frozen=True)
class Assessment:
    """One row judged: what stops it (empty: recommendable) and what counts against it."""

    row: InterpreterRow
    eol: bool
    blockers: Tuple[str, ...]
    drawbacks: Tuple[str, ...]
    rank: Tuple[Tuple[bool, ...], Tuple[int, ...], int]  # smaller is better, among recommendable rows

    @property
    def recommendable(self) -> bool:
        return not self.blockers


@dataclass(frozen=True)
class Recommendation:
    row: InterpreterRow
    reasons: Tuple[str, ...]
    drawbacks: Tuple[str, ...]


def assess(row: InterpreterRow, today: datetime.date, index: int = 0) -> Assessment:
    eol = row.minor is not None and pythons.is_eol(row.minor, today)
    blockers: List[str] = []
    if not row.probed:
        blockers.append(row.failure or words.NOT_PROBED)
    elif row.too_old:
        blockers.append(words.too_old(row.version or "?"))
    else:
        if row.tls is None:
            blockers.append(words.NO_SSL)
        if eol and row.eol_date is not None:
            blockers.append(words.past_eol(row.eol_date))
        if not row.openai_current:
            blockers.append(words.openai_capped(row.openai_newest or "none", row.openai_newest_has_chat))
        pip = row.urllib3_pip
        if pip is not None and pip.outcome != u3.OK and row.tls is not None:
            blockers.append(words.urllib3_broken(pip.version, pip.outcome, pip.reason))
    flags = (
        (row.probed and row.tls is not None and not is_modern_openssl(row.tls), words.old_tls(row.tls)),
        (is_macos_system(row), words.MACOS_SYSTEM),
        (is_prerelease(row.version), words.prerelease(row.version or "")),
        (row.is_venv, words.VENV),
        (bool(row.implementation) and row.implementation != "CPython", words.not_cpython(row.implementation)),
    )
    drawbacks = tuple(text for present, text in flags if present)
    newest_first = tuple(-part for part in _version_key(row.version))
    rank = (tuple(present for present, _ in flags), newest_first, index)
    return Assessment(row, eol, tuple(blockers), drawbacks if row.probed else (), rank)


def assess_all(rows: Sequence[InterpreterRow], today: datetime.date) -> Tuple[Assessment, ...]:
    return tuple(assess(row, today, index) for index, row in enumerate(rows))


def recommend(rows: Sequence[InterpreterRow], today: datetime.date) -> Optional[Recommendation]:
    """The best recommendable row with the reasons, or None when no row is recommendable."""
    good = [a for a in assess_all(rows, today) if a.recommendable]
    if not good:
        return None
    best = min(good, key=lambda a: a.rank)
    row = best.row
    reasons = [words.supported_until(row.eol_date), words.gets_current_openai()]
    if row.urllib3_pip is not None:
        reasons.append(words.urllib3_fine(row.urllib3_pip.version, row.tls))
    if len(good) > 1:
        reasons.append(words.also_good(len(good) - 1))
    return Recommendation(row, tuple(reasons), best.drawbacks)


def _version_key(version: Optional[str]) -> Tuple[int, ...]:
    """'3.13.0' -> (3, 13, 0); the leading numbers only ('3.14.0rc1' -> (3, 14, 0))."""
    parts: List[int] = []
    for piece in (version or "").split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)
