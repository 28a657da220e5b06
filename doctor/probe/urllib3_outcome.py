"""What `import urllib3` does in a probed interpreter: as the probe saw it happen, or as the
per-release table (doctor.knowledge.urllib3) predicts it, for the urllib3 installed there and
for the one pip would install. Pure functions of the probe's facts.

`observed_outcome` is the one reading of the probe's import: the `python.urllib3` check and
`chat-doctor pythons` both call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3
from doctor.probe.facts import InterpreterFacts


@dataclass(frozen=True)
class Urllib3Verdict:
    """One urllib3 release on one interpreter: u3.OK, u3.WARNING or u3.IMPORT_ERROR, and why."""

    version: str
    outcome: str
    reason: str
    observed: bool  # True: the probe's real import; False: predicted from the release table

    def to_dict(self) -> dict:
        return {"version": self.version, "outcome": self.outcome, "reason": self.reason, "observed": self.observed}


def observed_outcome(facts: InterpreterFacts) -> Optional[Tuple[str, str]]:
    """What `import urllib3` really did in the target under the user's warning filters:
    (outcome, description), or None when the import was not attempted."""
    imp = facts.urllib3
    if not imp.attempted:
        return None
    if imp.ok is False:
        return (u3.IMPORT_ERROR, f"{imp.error_type}: {imp.error_message}")
    for warning in imp.warnings:
        if warning.name != "NotOpenSSLWarning":
            continue
        if warning.action == "error":
            return (u3.IMPORT_ERROR, f"NotOpenSSLWarning raised as an error by your warning filters: {warning.message}")
        if warning.action == "ignore":
            return (u3.OK, f"NotOpenSSLWarning (silenced by your warning filters): {warning.message}")
        return (u3.WARNING, f"{warning.filename}:{warning.lineno}: NotOpenSSLWarning: {warning.message}")
    return (u3.OK, "imported without a TLS-library warning")


def installed_verdict(facts: InterpreterFacts) -> Optional[Urllib3Verdict]:
    """The urllib3 installed in the interpreter (None when there is none): what its import did,
    else what the table predicts for it."""
    imp = facts.urllib3
    if not imp.installed:
        return None
    version = imp.version or "0"
    observed = observed_outcome(facts)
    if observed is not None:
        return Urllib3Verdict(version, observed[0], observed[1], observed=True)
    return _predicted(facts, version)


def pip_verdict(facts: InterpreterFacts) -> Urllib3Verdict:
    """The newest urllib3 pip installs on this Python line (what a new environment gets)."""
    return _predicted(facts, pythons.newest_urllib3(facts.minor))


def _predicted(facts: InterpreterFacts, version: str) -> Urllib3Verdict:
    ssl = facts.ssl
    prediction = u3.predict_import(version, ssl.available, ssl.version, ssl.version_info, facts.not_openssl_action)
    return Urllib3Verdict(version, prediction.outcome, prediction.reason, observed=False)
