"""Facts about Python release lines, as data: end-of-life dates and the newest openai and
urllib3 releases pip can still install on each one.

Sources: the Python devguide's "Status of Python versions" (EOL dates; month-only dates are
taken as the last day of that month), and `pip download --no-deps --python-version X.Y.Z`
against PyPI on 2026-11-25 (see /work/shared/facts/urllib3-and-openssl.md §1.6 and §3.2).
Note `--python-version 3.7` means 3.7.0, which openai's `>=3.7.1` excludes: use the full
version when re-checking. Update these tables when a new release line appears.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

Minor = Tuple[int, int]

# End of life (no more security fixes) per release line.
EOL_DATES: Dict[Minor, datetime.date] = {
    (2, 7): datetime.date(2020, 1, 1),
    (3, 0): datetime.date(2009, 6, 27),
    (3, 1): datetime.date(2012, 4, 9),
    (3, 2): datetime.date(2016, 2, 20),
    (3, 3): datetime.date(2017, 9, 29),
    (3, 4): datetime.date(2019, 3, 18),
    (3, 5): datetime.date(2020, 9, 30),
    (3, 6): datetime.date(2021, 12, 23),
    (3, 7): datetime.date(2023, 6, 27),
    (3, 8): datetime.date(2024, 10, 7),
    (3, 9): datetime.date(2025, 10, 31),
    (3, 10): datetime.date(2026, 10, 31),
    (3, 11): datetime.date(2027, 10, 31),
    (3, 12): datetime.date(2028, 10, 31),
    (3, 13): datetime.date(2029, 10, 31),
    (3, 14): datetime.date(2030, 10, 31),
}

# The oldest Python the current openai SDK (3.x) installs on (Requires-Python >=3.10).
OPENAI_CURRENT_MIN_PYTHON: Minor = (3, 10)
OPENAI_CURRENT = "3.57.0"  # newest on PyPI at the snapshot


@dataclass(frozen=True)
class OpenaiCap:
    """The newest openai release pip installs on an older Python."""

    version: str
    has_chat: bool  # whether that release has a chat completions API at all
    note: str = ""


# Python release line -> the newest openai pip gives it. Lines not listed (3.10+) get the
# current release; lines older than 3.6 get no openai with a chat API at all.
OPENAI_CAPS: Dict[Minor, OpenaiCap] = {
    # openai 0.10.5 (sdist, python_requires >=3.6) predates chat completions (added in 0.27.0,
    # which needs >=3.7.1): verified by downloading it and grepping for ChatCompletion.
    (3, 6): OpenaiCap("0.10.5", has_chat=False, note="openai.ChatCompletion arrived in 0.27.0, which needs Python 3.7.1"),
    (3, 7): OpenaiCap("1.53.1", has_chat=True),
    (3, 8): OpenaiCap("2.7.1", has_chat=True),
    (3, 9): OpenaiCap("2.48.0", has_chat=True),
}

# Python release line -> the newest urllib3 pip gives it (urllib3's Requires-Python).
URLLIB3_NEWEST: Dict[Minor, str] = {
    (2, 7): "1.26.20",
    (3, 6): "1.26.20",
    (3, 7): "2.0.7",
    (3, 8): "2.2.3",
    (3, 9): "2.6.3",
}
URLLIB3_CURRENT = "2.8.0"  # newest on PyPI at the snapshot; needs Python 3.10+

# The oldest Python the probe runs on; older targets get only their version reported.
PROBE_MIN_PYTHON: Minor = (3, 6)

# What to install instead, per platform (used in fix texts). Keep to lines that are
# supported for years and built against OpenSSL 3 by every channel named in the fixes.
RECOMMENDED_PYTHON = "3.13"


def eol_date(minor: Minor) -> Optional[datetime.date]:
    return EOL_DATES.get(minor)


def is_eol(minor: Minor, today: datetime.date) -> bool:
    date = eol_date(minor)
    if date is None:
        return minor < min(EOL_DATES)  # older than anything listed: long dead
    return today > date


def openai_cap(minor: Minor) -> Optional[OpenaiCap]:
    """None when this Python gets the current openai SDK."""
    if minor >= OPENAI_CURRENT_MIN_PYTHON:
        return None
    if minor in OPENAI_CAPS:
        return OPENAI_CAPS[minor]
    return OpenaiCap("none", has_chat=False, note="no openai release with a chat API supports it")


def newest_urllib3(minor: Minor) -> str:
    if minor >= (3, 10):
        return URLLIB3_CURRENT
    return URLLIB3_NEWEST.get(minor, "1.26.20")
