"""python.urllib3: whether `import urllib3` works on the target's TLS library.

urllib3 2.x refuses or warns about TLS libraries other than OpenSSL 1.1.1+ at import time (the
table is doctor.knowledge.urllib3). The probe really imports the installed urllib3 under the
user's warning filters; that observation (doctor.probe.urllib3_outcome, shared with `chat-doctor
pythons`) wins over the prediction, and a disagreement is reported.
When urllib3 is not installed, the verdict is about the release pip would bring on this Python:
nothing is broken yet, but the first package that pulls it in would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from doctor.checks.python_interpreter import INTERPRETER
from doctor.knowledge import packages as known
from doctor.knowledge import pip_vendor, pythons
from doctor.knowledge import urllib3 as u3
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.wording import pip_repair
from doctor.knowledge.wording import python as say_python
from doctor.knowledge.wording import python_urllib3 as say
from doctor.model import CheckResult, Fix, Status
from doctor.probe.facts import InterpreterFacts, Urllib3Import
from doctor.probe.urllib3_outcome import observed_outcome
from doctor.runner import Check, Context, FactProvider

URLLIB3 = "python.urllib3"


@dataclass(frozen=True)
class Urllib3CheckFacts:
    """The target's probe (its TLS library, its urllib3 import, its packages) and its path."""

    probe: InterpreterFacts
    python: str


def gather_urllib3(ctx: Context) -> Urllib3CheckFacts:
    return Urllib3CheckFacts(ctx.fact("interpreter"), ctx.plan.target.python)


def judge_urllib3(facts: Urllib3CheckFacts) -> CheckResult:
    from doctor.probe import dependencies

    probe, python = facts.probe, facts.python
    imp = probe.urllib3
    ssl = probe.ssl
    pulled = [" -> ".join(chain) for chain in dependencies.chains_to(probe, "urllib3")]
    data: Dict[str, Any] = {
        "installed": imp.installed,
        "version": imp.version,
        "location": imp.origin,
        "ssl": ssl.version,
        "pulled_in_by": pulled,
        "openai_uses_urllib3": _openai_uses_urllib3(probe),
    }
    details = say.users_details(pulled, data["openai_uses_urllib3"])
    refusal = pip_vendor.pip_refusal(probe)
    data["pip"] = pip_repair.data(probe, refusal)
    if refusal is not None:
        # Every pip command this result prints for the target depends on it.
        details.append(pip_repair.detail(refusal))
    if not imp.installed:
        return _not_installed(facts, details, data)

    version = imp.version or "0"
    prediction = u3.predict_import(version, ssl.available, ssl.version, ssl.version_info, probe.not_openssl_action)
    observed = observed_outcome(probe)
    data["predicted"] = prediction.to_dict()
    data["observed"] = {"outcome": observed[0], "detail": observed[1]} if observed else None
    details.insert(0, say.installed_at(version, imp.origin))
    if u3.is_newer_than_known(version):
        details.append(say.newer_than_known(version))
    if imp.preloaded:
        details.append(say.PRELOADED)
    outcome = observed[0] if observed else prediction.outcome
    data["prediction_matches"] = observed is None or observed[0] == prediction.outcome
    if observed and observed[0] != prediction.outcome:
        details.append(say.prediction_mismatch(prediction.outcome, prediction.reason, *observed))
    if imp.stdout.strip() or imp.stderr.strip():
        details.append(say.import_output(imp.stdout, imp.stderr))

    if outcome == u3.IMPORT_ERROR:
        if observed is not None and not _is_tls_refusal(imp):
            return diagnose(
                URLLIB3, "urllib3_import_failed", say.import_failed_summary(version, observed[1]),
                details=details, fixes=pip_repair.guarded(say.reinstall_fixes(python), python, refusal), data=data,
            )
        return diagnose(
            URLLIB3, "urllib3_ssl_import_error", say.ssl_import_error_summary(version, ssl.version, prediction.reason),
            details=[*details, say.raised(observed[1] if observed else prediction.message)],
            fixes=_fixes(probe, python, prediction, version), data=data,
        )
    if outcome == u3.WARNING:
        return diagnose(
            URLLIB3, "urllib3_ssl_warning", say.warning_summary(version, ssl.version),
            details=[*details, *say.warning_details(observed[1] if observed else prediction.message)],
            fixes=_fixes(probe, python, prediction, version), data=data,
        )
    if prediction.silenced:
        details.append(say.SILENCED)
    return ok(URLLIB3, say.ok_summary(version, ssl.version), details=details, data=data)


def _not_installed(facts: Urllib3CheckFacts, details: List[str], data: Dict[str, Any]) -> CheckResult:
    """No urllib3 yet: judge the release pip would bring on this Python."""
    probe, ssl = facts.probe, facts.probe.ssl
    would_get = pythons.newest_urllib3(probe.minor)
    prediction = u3.predict_import(would_get, ssl.available, ssl.version, ssl.version_info, probe.not_openssl_action)
    data.update(would_install=would_get, predicted=prediction.to_dict())
    summary = say.not_installed_summary(would_get, probe.minor)
    if prediction.outcome == u3.IMPORT_ERROR:
        # warn, not fail: nothing is broken yet, but `pip install requests` (or boto3...) would break it.
        return diagnose(
            URLLIB3, "urllib3_ssl_import_error", say.would_fail_summary(summary, prediction.reason),
            status=Status.WARN, details=[*details, say.would_raise(prediction.message)],
            fixes=_fixes(probe, facts.python, prediction, would_get), data=data,
        )
    details.insert(0, say.would_get_here(would_get, prediction.reason))
    return ok(URLLIB3, say.would_import_summary(summary, prediction.outcome == u3.OK), details=details, data=data)


def _openai_uses_urllib3(probe: InterpreterFacts) -> bool:
    """openai 0.x talks HTTP through requests (so urllib3); 1.0+ never imports urllib3."""
    dist = probe.distribution("openai")
    return dist is not None and known.is_legacy_openai(dist.version)


def _is_tls_refusal(imp: Urllib3Import) -> bool:
    """The import failed because of urllib3's TLS-library check (its ImportError, or its
    warning raised by -W error), not because the install is broken."""
    text = f"{imp.error_type} {imp.error_message}"
    if u3.MESSAGE_RE.search(text) or "NotOpenSSLWarning" in text:
        return True
    return any(w.name == "NotOpenSSLWarning" and w.action == "error" for w in imp.warnings)


def _fixes(probe: InterpreterFacts, python: str, prediction: u3.Prediction, version: str) -> List[Fix]:
    """Another interpreter first; then pinning 1.26 (naming what needs 2.x), upgrading past
    2.0.2 where that turns LibreSSL's error into a warning, and silencing a warning. The pip
    commands for this interpreter first restore a pip that can start, where its own cannot."""
    from doctor.probe import dependencies

    needs_v2 = [(req.parent, req.specifier) for req in dependencies.requirers_of(probe, "urllib3")
                if not req.allows("1.26.20")]
    here = [say.pin_fix(python, needs_v2)]
    lib = probe.ssl.version or ""
    if not lib.startswith("OpenSSL ") and u3.release_check(version).non_openssl == u3.IMPORT_ERROR:
        here.append(say.upgrade_fix(python))
    if prediction.outcome == u3.WARNING or prediction.raised == "urllib3.exceptions.NotOpenSSLWarning" or (
        not lib.startswith("OpenSSL ") and prediction.outcome != u3.OK
    ):
        here.append(say.SILENCE_FIX)
    # The interpreter fixes run another Python's pip (the new environment's): never guarded.
    return [*say_python.interpreter_fixes(probe, python),
            *pip_repair.guarded(here, python, pip_vendor.pip_refusal(probe))]


CHECKS: Tuple[Check, ...] = (
    Check(URLLIB3, "urllib3 vs the TLS library", gather_urllib3, judge_urllib3, needs=(INTERPRETER,)),
)
FACTS: Dict[str, FactProvider] = {}
