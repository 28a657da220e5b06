"""python.ssl: the TLS library the target's `ssl` module is built with.

No `ssl` module means no HTTPS at all; OpenSSL older than 1.1.1 is out of support, has no TLS
1.3 and is refused by urllib3 2; LibreSSL and other libraries are reported by name (urllib3's
verdict on them is python.urllib3's). The library and its version are read from
ssl.OPENSSL_VERSION, the string (doctor.knowledge.tls_library, shared with `chat-doctor
pythons`), since OPENSSL_VERSION_INFO is (2, 0, 0, 0, 0) for every LibreSSL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Tuple

from doctor.checks.python_interpreter import INTERPRETER
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.tls_library import parse_tls_library
from doctor.knowledge.wording import python as say
from doctor.model import CheckResult
from doctor.probe.facts import InterpreterFacts
from doctor.runner import Check, Context, FactProvider

SSL = "python.ssl"


@dataclass(frozen=True)
class SslCheckFacts:
    """The target's probe, and the interpreter path the fix commands name."""

    probe: InterpreterFacts
    python: str


def gather_ssl(ctx: Context) -> SslCheckFacts:
    return SslCheckFacts(ctx.fact("interpreter"), ctx.plan.target.python)


def judge_ssl(facts: SslCheckFacts) -> CheckResult:
    probe, python = facts.probe, facts.python
    ssl = probe.ssl
    if not ssl.available:
        return diagnose(
            SSL, "ssl_missing", say.ssl_missing_summary(probe.python_version),
            details=say.ssl_missing_details(ssl.import_error),
            fixes=say.interpreter_fixes(probe, python),
            data={"available": False, "error": ssl.import_error},
        )
    library, numbers, release = parse_tls_library(ssl.version)
    data: Dict[str, Any] = {
        "available": True,
        "library": library,
        "version": release,
        "version_string": ssl.version,
        "version_info_reported": list(ssl.version_info),
        "has_sni": ssl.has_sni,
        "has_tls13": ssl.has_tls13,
        "default_cafile": ssl.verify_paths.cafile,
        "default_capath": ssl.verify_paths.capath,
        "openssl_cafile": ssl.verify_paths.openssl_cafile,
        "openssl_capath": ssl.verify_paths.openssl_capath,
    }
    details = say.ssl_details(ssl)
    # A version compare on OpenSSL's own numbering (1.0.2k is not a PEP 440 version): the tuple.
    if library == "OpenSSL" and numbers is not None and numbers < (1, 1, 1):
        return diagnose(
            SSL, "ssl_library_outdated", say.ssl_outdated_summary(ssl.version),
            details=details, fixes=say.interpreter_fixes(probe, python), data=data,
        )
    if library != "OpenSSL":
        details.append(say.not_openssl_detail(library))
    return ok(SSL, say.ssl_ok_summary(library, release, ssl.has_tls13), details=details, data=data)


CHECKS: Tuple[Check, ...] = (
    Check(SSL, "TLS library", gather_ssl, judge_ssl, needs=(INTERPRETER,)),
)
FACTS: Dict[str, FactProvider] = {}
