"""python.certs: the CA certificates the target's HTTP clients will load.

A CA variable (SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, PIP_CERT) that
points nowhere breaks the clients that read it at start-up; a certifi that is required but
missing, broken or empty breaks httpx and requests; and a python.org macOS build whose "Install
Certificates" step never ran breaks stdlib HTTPS. The probe looked at every path inside the
target; this check only judges what it saw, the most severe problem first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from doctor.checks.findings import Finding, combine
from doctor.checks.python_interpreter import INTERPRETER
from doctor.knowledge import pip_vendor
from doctor.knowledge.wording import pip_repair
from doctor.knowledge.wording import python_certs as say
from doctor.model import CheckResult, Status
from doctor.probe.facts import CaVariable, CertifiFacts, InterpreterFacts
from doctor.runner import Check, Context, FactProvider

CERTS = "python.certs"

_FRAMEWORK = "/Library/Frameworks/Python.framework/"  # where python.org installs on macOS


@dataclass(frozen=True)
class CertsCheckFacts:
    """The target's probe (its CA variables, certifi, default verify paths) and its path."""

    probe: InterpreterFacts
    python: str


def gather_certs(ctx: Context) -> CertsCheckFacts:
    return CertsCheckFacts(ctx.fact("interpreter"), ctx.plan.target.python)


def judge_certs(facts: CertsCheckFacts) -> CheckResult:
    from doctor.probe import dependencies

    probe, python = facts.probe, facts.python
    findings: List[Finding] = []
    details: List[str] = []
    for variable in probe.ca_env:
        kind = _ca_problem(variable)
        if kind is None:
            details.append(say.ca_valid(variable))
            continue
        findings.append(Finding(
            "ca_path_missing", say.ca_problem_summary(variable, kind),
            details=(say.ca_read_by(variable.name),), fixes=(say.ca_fix(variable.name, python),),
            # PIP_CERT only breaks pip, not the app: a warning (see codes/python.py).
            status=Status.WARN if variable.name == "PIP_CERT" else None,
        ))
    certifi = probe.certifi
    needed_by = [r.parent for r in dependencies.requirers_of(probe, "certifi")]
    # The target's own pip may be unable to start (pip 26.1+ on a TLS library urllib3 2 refuses):
    # then the pip commands below first restore one that can (doctor.knowledge.wording.pip_repair).
    refusal = pip_vendor.pip_refusal(probe)
    if not certifi.installed:
        if needed_by:
            fixes = pip_repair.guarded([say.certifi_install_fix(python)], python, refusal)
            findings.append(Finding("certifi_unusable", say.certifi_required_summary(needed_by),
                                    details=tuple(pip_repair.notes(fixes, python, refusal)), fixes=tuple(fixes)))
        else:
            details.append(say.CERTIFI_NOT_NEEDED)
    else:
        kind = _certifi_problem(certifi)
        if kind is not None:
            fixes = pip_repair.guarded([say.certifi_reinstall_fix(python)], python, refusal)
            findings.append(Finding(
                "certifi_unusable", say.certifi_problem_summary(certifi, kind),
                details=(*say.certifi_used_by(needed_by), *pip_repair.notes(fixes, python, refusal)), fixes=tuple(fixes),
            ))
        else:
            details.append(say.certifi_ok(certifi))
    mac = _macos_certificates_missing(probe)
    if mac is not None:
        findings.append(mac)
    data = {
        "ca_variables": {v.name: v.value for v in probe.ca_env},
        "certifi": {"installed": certifi.installed, "version": certifi.version, "where": certifi.where,
                    "cert_count": certifi.path.cert_count},
        "default_cafile": probe.ssl.verify_paths.cafile,
    }
    summary = say.ok_summary(certifi, [v.name for v in probe.ca_env])
    return combine(CERTS, findings, summary, details=details, data=data)


def _ca_problem(variable: CaVariable) -> Optional[str]:
    """What is wrong with a CA variable's path (a kind worded by python_certs), None if nothing."""
    path = variable.path
    if not variable.value.strip():
        return say.CA_EMPTY
    if not path.exists:
        return say.CA_MISSING
    if variable.expected == "file" and not path.is_file:
        return say.CA_NOT_A_FILE
    if variable.expected == "dir" and not path.is_dir:
        return say.CA_NOT_A_DIR
    if not path.readable:
        return say.CA_UNREADABLE
    if path.is_file and path.cert_count == 0:
        return say.CA_NO_PEM
    if path.is_dir and path.hashed_names == 0:
        return say.CA_NO_HASHES
    return None


def _certifi_problem(certifi: CertifiFacts) -> Optional[str]:
    """What is wrong with an installed certifi, None if its bundle is usable."""
    if certifi.error:
        return say.CERTIFI_IMPORT_FAILS
    if not certifi.path.exists:
        return say.CERTIFI_MISSING_FILE
    if not certifi.path.readable:
        return say.CERTIFI_UNREADABLE
    if certifi.path.cert_count == 0:
        return say.CERTIFI_EMPTY
    return None


def _macos_certificates_missing(probe: InterpreterFacts) -> Optional[Finding]:
    """python.org macOS builds ship no CA file until "Install Certificates.command" runs
    (facts §4.1): darwin (the target's platform, from the probe) + framework executable + no
    default CA file."""
    paths = probe.ssl.verify_paths
    if probe.sys_platform != "darwin" or not probe.ssl.available:
        return None
    if not (probe.executable.startswith(_FRAMEWORK) or probe.base_prefix.startswith(_FRAMEWORK)
            or (probe.venv_home or "").startswith(_FRAMEWORK)):
        return None
    if paths.cafile is not None or paths.openssl_cafile_exists:
        return None
    minor = f"{probe.minor[0]}.{probe.minor[1]}"
    return Finding("macos_certificates_not_installed", say.macos_summary(minor, paths.openssl_cafile),
                   details=(say.MACOS_DETAIL,), fixes=(say.macos_fix(minor),))


CHECKS: Tuple[Check, ...] = (
    Check(CERTS, "CA certificates", gather_certs, judge_certs, needs=(INTERPRETER,)),
)
FACTS: Dict[str, FactProvider] = {}
