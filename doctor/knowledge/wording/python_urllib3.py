"""What the `python.urllib3` check says: who pulls urllib3 in, what its import did or would do on
this TLS library, and the ways out (another interpreter, a pin, an upgrade, a warning filter).

The verdicts and the exact urllib3 messages are doctor.knowledge.urllib3's; this module words
the report around them.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from doctor.knowledge import urllib3 as u3
from doctor.knowledge.wording.python import q
from doctor.model import Fix

# --- who uses it ---------------------------------------------------------------------------------


def users_details(pulled: Sequence[str], openai_uses_urllib3: bool) -> List[str]:
    details: List[str] = []
    if pulled:
        details.append("pulled in by: " + "; ".join(pulled))
    if openai_uses_urllib3:
        details.append("the installed openai is pre-1.0: it uses requests, so urllib3 (see packages.openai)")
    else:
        details.append(u3.NOT_USED_BY_OPENAI + (", so this only matters for the packages above" if pulled else ""))
    return details


# --- not installed: what pip would bring ------------------------------------------------------------


def not_installed_summary(would_get: str, minor: Tuple[int, int]) -> str:
    return f"not installed; if something pulls it in, pip gives urllib3 {would_get} on Python {minor[0]}.{minor[1]}"


def would_fail_summary(summary: str, reason: str) -> str:
    return summary + f", which would fail to import here: {reason}"


def would_raise(message: Optional[str]) -> str:
    return f"urllib3 would raise: {message}"


def would_get_here(would_get: str, reason: str) -> str:
    return f"urllib3 {would_get} here: {reason}"


def would_import_summary(summary: str, imports_fine: bool) -> str:
    return summary + (" (imports fine)" if imports_fine else " (it would warn)")


# --- installed: what its import does ---------------------------------------------------------------


def installed_at(version: str, origin: Optional[str]) -> str:
    return f"urllib3 {version} at {origin}"


def newer_than_known(version: str) -> str:
    return (f"urllib3 {version} is newer than chat-doctor's table (up to {u3.NEWEST_KNOWN}); "
            "assumed to keep the same check")


PRELOADED = ("urllib3 was already imported at interpreter start-up (a .pth file or a PYTHONWARNINGS "
             "category), so the verdict is predicted, not observed")


def prediction_mismatch(predicted: str, reason: str, observed: str, description: str) -> str:
    return (f"note: chat-doctor predicted {predicted} ({reason}) but the real import "
            f"gave {observed} ({description}): an unusual setup, or a chat-doctor bug worth reporting")


def import_output(stdout: str, stderr: str) -> str:
    return "output of `import urllib3`: " + " | ".join((stdout + stderr).strip().splitlines()[-3:])


def import_failed_summary(version: str, description: str) -> str:
    return f"import urllib3 {version} fails: {description}"


def reinstall_fixes(python: str) -> List[Fix]:
    return [Fix("Reinstall urllib3", f"{q(python)} -m pip install --force-reinstall urllib3")]


def ssl_import_error_summary(version: str, ssl_version: Optional[str], reason: str) -> str:
    return f"import urllib3 {version} fails on {ssl_version}: {reason}"


def raised(what: Optional[str]) -> str:
    return f"raised: {what}"


def warning_summary(version: str, ssl_version: Optional[str]) -> str:
    return f"import urllib3 {version} warns NotOpenSSLWarning: {ssl_version} is not OpenSSL"


def warning_details(what: Optional[str]) -> List[str]:
    return [f"warning: {what}",
            "what works: urllib3 still makes HTTPS requests; the warning says this TLS library is untested"]


SILENCED = "a NotOpenSSLWarning is emitted but your warning filters (PYTHONWARNINGS/-W) silence it"


def ok_summary(version: str, ssl_version: Optional[str]) -> str:
    return f"urllib3 {version} imports cleanly on {ssl_version or 'a Python without ssl'}"


# --- the ways out, after moving to another interpreter (doctor.knowledge.wording.python) ----------


def pin_fix(python: str, needs_v2: Sequence[Tuple[str, str]]) -> Fix:
    """Pin urllib3 1.26; `needs_v2` are the (package, specifier) pairs such a pin would break."""
    cost = u3.PIN_TEXT
    if needs_v2:
        cost += ": here " + ", ".join(f"{parent} (needs urllib3{specifier})" for parent, specifier in needs_v2)
    return Fix(cost, f"{q(python)} -m pip install \"urllib3<2\"")


def upgrade_fix(python: str) -> Fix:
    return Fix(u3.UPGRADE_TEXT, f"{q(python)} -m pip install -U \"urllib3>=2.0.3\"")


SILENCE_FIX = Fix(u3.SILENCE_TEXT, u3.SILENCE_COMMAND)
