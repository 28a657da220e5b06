"""How each urllib3 release reacts, at `import urllib3`, to the TLS library Python was built
with: the table, the exact messages, and the fix texts. Data plus one pure predictor.

Source: /work/shared/facts/urllib3-and-openssl.md §1 (verified from every sdist, and by
tests/machine/test_urllib3_matrix.py against real releases on every simulated TLS library).

The check in urllib3/__init__.py (2.0.3+) is an if/elif:
    if not ssl.OPENSSL_VERSION.startswith("OpenSSL "):  warn NotOpenSSLWarning
    elif ssl.OPENSSL_VERSION_INFO < (1, 1, 1):           raise ImportError
and 2.0.0a1-2.0.2 raise ImportError in both cases. So the prediction below compares
OPENSSL_VERSION_INFO only for a library that calls itself OpenSSL, exactly as urllib3 does
(LibreSSL reports (2, 0, 0, 0, 0) whatever its version, which must never be compared).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

OK = "ok"
WARNING = "warning"  # NotOpenSSLWarning at import; the import continues
IMPORT_ERROR = "import_error"  # the import raises

ISSUE_HARD = "https://github.com/urllib3/urllib3/issues/2168"
ISSUE_LIBRESSL = "https://github.com/urllib3/urllib3/issues/3020"

# Newest release whose behaviour chat-doctor has verified; newer ones are assumed to keep
# the check (it has been byte-identical from 2.1.0 to 2.8.0 and never removed).
NEWEST_KNOWN = "2.8.0"


@dataclass(frozen=True)
class ImportCheck:
    """The import-time check of a range of releases [since, until)."""

    since: Optional[str]  # first release with this behaviour (None: from the beginning)
    until: Optional[str]  # first release *without* it (None: up to now)
    non_openssl: str  # outcome for LibreSSL and every other non-OpenSSL library
    old_openssl: str  # outcome for OpenSSL < 1.1.1
    wording: Optional[str]  # message prefix: "urllib3 v2.0" / "urllib3 v2"
    quoted: bool = True  # library name formatted with !r (2.0.3+) or bare (2.0.0-2.0.2)
    warning_line: int = 0  # line of `warnings.warn(` in urllib3/__init__.py
    note: str = ""


RELEASES: Tuple[ImportCheck, ...] = (
    ImportCheck(None, "2.0.0a1", OK, OK, None, note="urllib3 1.x has no TLS-library check"),
    ImportCheck("2.0.0a1", "2.0.3", IMPORT_ERROR, IMPORT_ERROR, "urllib3 v2.0", quoted=False,
                note="2.0.0-2.0.2 refuse anything but OpenSSL 1.1.1+"),
    ImportCheck("2.0.3", "2.1.0", WARNING, IMPORT_ERROR, "urllib3 v2.0", warning_line=34,
                note="2.0.3+ only warn for LibreSSL and other non-OpenSSL libraries"),
    ImportCheck("2.1.0", "2.2.0", WARNING, IMPORT_ERROR, "urllib3 v2", warning_line=34),
    ImportCheck("2.2.0", None, WARNING, IMPORT_ERROR, "urllib3 v2", warning_line=35),
)

# Matches every variant of the ImportError and warning text (facts §1.5).
MESSAGE_RE = re.compile(
    r"urllib3 v2(?:\.0)? only supports OpenSSL 1\.1\.1\+, currently the 'ssl' module is "
    r"compiled with (?P<lib>.+?)\. See: (?P<url>https://github\.com/urllib3/urllib3/issues/(?P<issue>\d+))"
)


@dataclass(frozen=True)
class Prediction:
    outcome: str  # OK, WARNING or IMPORT_ERROR
    reason: str  # one sentence: why
    message: Optional[str] = None  # what urllib3 prints/raises, verbatim
    raised: Optional[str] = None  # the exception class for IMPORT_ERROR
    silenced: bool = False  # a NotOpenSSLWarning the user's filters ignore

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "reason": self.reason, "message": self.message, "raised": self.raised,
                "silenced": self.silenced}


def release_check(version: str) -> ImportCheck:
    """The import check of a urllib3 version ("2.0.0a1", "1.26.20", "2.9.0" ...)."""
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version)
    except InvalidVersion:
        parsed = Version(_leading_release(version))
    for rule in RELEASES:
        if rule.since is not None and parsed < Version(rule.since):
            continue
        if rule.until is not None and parsed >= Version(rule.until):
            continue
        return rule
    return RELEASES[-1]


def is_newer_than_known(version: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) > Version(NEWEST_KNOWN)
    except InvalidVersion:
        return False


def predict_import(
    version: str,
    ssl_available: bool,
    ssl_version: Optional[str],
    ssl_version_info: Tuple[int, ...],
    filter_actions: Mapping[str, str] = {},  # read-only
) -> Prediction:
    """What `import urllib3` of this version does on this TLS library, under the user's
    warning filters (`filter_actions`: wording -> action, from the probe)."""
    rule = release_check(version)
    if not ssl_available:
        return Prediction(OK, "Python has no ssl module: urllib3 skips its check (HTTPS fails later instead)")
    if rule.wording is None:
        return Prediction(OK, f"urllib3 {version}: {rule.note}")
    lib = ssl_version or ""
    shown = repr(lib) if rule.quoted else lib
    if not lib.startswith("OpenSSL "):
        outcome, why = rule.non_openssl, f"{lib or 'this TLS library'} is not OpenSSL"
        issue = ISSUE_LIBRESSL if outcome == WARNING else ISSUE_HARD
    elif tuple(ssl_version_info) < (1, 1, 1):
        outcome, why = rule.old_openssl, f"{openssl_short(lib)} is older than OpenSSL 1.1.1"
        issue = ISSUE_HARD
    else:
        return Prediction(OK, f"urllib3 {version} accepts {openssl_short(lib)} (OpenSSL 1.1.1 or newer)")
    message = f"{rule.wording} only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with {shown}. See: {issue}"
    if outcome == IMPORT_ERROR:
        return Prediction(IMPORT_ERROR, f"urllib3 {version} raises ImportError at import: {why}", message, "ImportError")
    action = filter_actions.get(rule.wording or "", "default")
    if action == "error":
        return Prediction(
            IMPORT_ERROR,
            f"urllib3 {version} warns because {why}, and your warning filters (-W/PYTHONWARNINGS) turn that "
            "warning into an exception, so the import fails",
            message,
            "urllib3.exceptions.NotOpenSSLWarning",
        )
    if action == "ignore":
        return Prediction(OK, f"urllib3 {version} warns because {why}, but your warning filters silence it",
                          message, silenced=True)
    return Prediction(WARNING, f"urllib3 {version} emits NotOpenSSLWarning at import: {why}", message)


def openssl_short(version_string: str) -> str:
    """'OpenSSL 1.0.2k-fips  26 Jan 2017' -> 'OpenSSL 1.0.2k-fips' (drop the build date)."""
    parts = version_string.split()
    return " ".join(parts[:2]) if len(parts) >= 2 else version_string


def _leading_release(version: str) -> str:
    found = re.match(r"\d+(?:\.\d+)*", version)
    return found.group(0) if found else "0"


# --- fix texts ----------------------------------------------------------------------------

PIN_TEXT = (
    "Pin urllib3 1.26 in this interpreter: it has no TLS-library check. Cost: 1.26 gets no new "
    "features or fixes any more, and it conflicts with packages that need urllib3 2"
)
UPGRADE_TEXT = (
    "Upgrade urllib3 to 2.0.3 or newer: for LibreSSL the ImportError becomes a NotOpenSSLWarning "
    "(the import works). It does nothing for OpenSSL older than 1.1.1"
)
SILENCE_TEXT = (
    "If you accept the untested TLS library, silence the warning before urllib3 is imported "
    "(urllib3.disable_warnings() cannot: the warning fires during the import itself), or in code, "
    "first thing: warnings.filterwarnings(\"ignore\", message=\"urllib3 v2\")"
)
# A -W/PYTHONWARNINGS message is matched literally at the start of the text: "urllib3 v2"
# covers both wordings ("urllib3 v2.0 only ..." in 2.0.x, "urllib3 v2 only ..." later).
SILENCE_COMMAND = 'export PYTHONWARNINGS="ignore:urllib3 v2"'
NOT_USED_BY_OPENAI = "openai >= 1.0 does not use urllib3 at all (it talks HTTP through httpx or httpx2)"
