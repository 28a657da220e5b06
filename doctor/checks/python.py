"""Checks of the `python` group: the target interpreter, its TLS library, urllib3, CA paths.

Gathering: the `interpreter` fact runs the stdlib-only probe inside the target (see
doctor.probe.interpreters.run_probe). Judging: `judge_*` are pure functions of the facts,
unit-tested from fixtures. Heavy imports (packaging) happen inside functions.
"""

from __future__ import annotations

import datetime
import shlex
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.model import CheckResult, Fix, Status, Target
from doctor.probe.facts import InterpreterFacts, ProbeFailed
from doctor.runner import Check, Context, FactProvider

INTERPRETER = "python.interpreter"
SSL = "python.ssl"
URLLIB3 = "python.urllib3"
CERTS = "python.certs"


# --- gathering ----------------------------------------------------------------------------


def gather_interpreter(ctx: Context) -> InterpreterFacts:
    """Probe the target; raises ProbeFailed with the reason (turned into `probe_failed`)."""
    from doctor.probe.interpreters import run_probe

    return run_probe(_target(ctx).python, dict(ctx.settings.env), ctx.settings.timeout_s)


def _target(ctx: Context) -> Target:
    plan = ctx.plan
    if plan is not None:
        return plan.target
    from doctor.probe.interpreters import select_target

    return select_target(ctx.settings)


# --- shared helpers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem a check found; a check reports the worst as its code, the rest as details."""

    code: str
    status: Status
    summary: str
    details: Tuple[str, ...] = ()
    fixes: Tuple[Fix, ...] = ()


_SEVERITY = {Status.OK: 0, Status.SKIP: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}


def combine(check_id: str, findings: Sequence[Finding], *, details: Sequence[str] = (), data: Dict[str, Any]) -> Optional[CheckResult]:
    """The worst finding as the result (first one wins a tie), the others listed under it."""
    if not findings:
        return None
    worst = max(findings, key=lambda f: _SEVERITY[f.status])  # max keeps the first of equals
    others = [f for f in findings if f is not worst]
    extra = [f"also [{f.code}]: {f.summary}" for f in others]
    fixes = list(worst.fixes)
    for other in others:
        fixes.extend(fix for fix in other.fixes if fix not in fixes)
    data = dict(data, codes=[f.code for f in findings])
    return diagnose(check_id, worst.code, worst.summary, status=worst.status,
                    details=[*worst.details, *extra, *details], fixes=fixes, data=data)


def q(path: str) -> str:
    return shlex.quote(path)


# Why another interpreter is advised, for the fix texts: the Python version itself, or its TLS library.
FOR_VERSION = "version"
FOR_TLS = "tls"


def interpreter_fixes(facts: InterpreterFacts, python: str, why: str = FOR_TLS) -> List[Fix]:
    """Install a newer Python (built against a current OpenSSL where that is the problem), then
    move the environment to it without breaking anything on the way.

    A venv is bound to its base interpreter (pyvenv.cfg `home`, console-script shebangs), so a
    new interpreter means a new environment. It is built *beside* the old one and checked
    before anything is touched: `python -m venv --clear` on the old one, then installing its
    `pip freeze`, would empty it first and then fail on the new Python (pins chosen for 3.9,
    such as typer/click, do not resolve on 3.13) and pin the very openai it means to upgrade.
    So only the names of the top-level packages are carried over (`pip list --not-required`,
    versions stripped: pip picks releases for the new Python); editable installs are left out
    (reinstall them with `pip install -e`). Only once the new environment imports openai does
    the second step move the old one aside (kept as `<venv>.old`) and build the same set, from
    the new one's own `pip freeze`, at the original path: a venv cannot simply be renamed,
    since its scripts hold their own path.
    """
    version = pythons.RECOMMENDED_PYTHON
    tls = why == FOR_TLS
    channels: List[Tuple[str, Optional[str], str]] = []  # (how, install command, the new interpreter)
    if facts.sys_platform == "darwin":
        channels.append((f"Install Python {version} from Homebrew" + (" (built against Homebrew's OpenSSL)" if tls else ""),
                         f"brew install python@{version}", f"python{version}"))
        channels.append((f"Or install Python {version} with uv" + (" (it bundles OpenSSL 3)" if tls else ""),
                         f"uv python install {version}", f'"$(uv python find {version})"'))
        channels.append((("Or use the python.org installer (https://www.python.org/downloads/macos/) and run its "
                         "\"Install Certificates.command\""), None, f"/usr/local/bin/python{version}"))
    else:
        channels.append((f"Install Python {version} with uv" + (" (a standalone build with OpenSSL 3)" if tls else ""),
                         f"uv python install {version}", f'"$(uv python find {version})"'))
        channels.append(("Or build it with pyenv" + (" against OpenSSL 1.1.1+ (on CentOS 7 / Amazon Linux 2 first "
                                                        "`yum install openssl11-devel`)" if tls else ""),
                         f"pyenv install {version}", f'"$(pyenv prefix {version})/bin/python"'))
    if why == FOR_VERSION:
        minor = f"{facts.minor[0]}.{facts.minor[1]}"
        first, *rest = channels
        channels = [(f"Python {minor} is the problem (the current openai needs 3.10+): {first[0][0].lower()}{first[0][1:]}",
                     *first[1:]), *rest]
    fixes: List[Fix] = []
    venv = facts.prefix if facts.is_venv and facts.prefix else None
    for how, install, new in channels:
        # The install is its own step: the environment commands below it are the same whichever
        # way the interpreter came, and they are what the test suite runs for real.
        if install:
            fixes.append(Fix(how, install))
        if venv is None:
            fixes.append(Fix(("Then" if install else f"{how}, then") + " create a virtual environment for your "
                             "project with it and install openai there",
                             f"{new} -m venv .venv && .venv/bin/python -m pip install openai"))
        else:
            fixes.append(Fix(("Then" if install else f"{how}, then") + f" build a new environment beside {venv} "
                             f"with its top-level packages (versions chosen anew for Python {version}) and check that "
                             f"openai imports there; {venv} itself is not touched",
                             rebuild_beside(python, venv, new)))
    if venv is not None:
        fixes.append(Fix(f"Once the new environment imports openai, switch: {venv} is kept as {venv}.old and "
                         f"rebuilt in place with the tested package set", switch_to_rebuilt(venv)))
    return fixes


def rebuild_beside(python: str, venv: str, new: str) -> str:
    """Build `<venv>.new` with `new`, the top-level packages of `venv` (names only) and openai, then
    verify it imports openai and record its exact versions in `<venv>.new.txt`."""
    fresh = venv + ".new"
    wanted = venv + ".packages.txt"
    return (f"{q(python)} -m pip list --not-required --exclude-editable --format=freeze | sed 's/==.*//' > {q(wanted)} && "
            f"{new} -m venv {q(fresh)} && {q(fresh + '/bin/python')} -m pip install -r {q(wanted)} openai && "
            f"{q(fresh + '/bin/python')} -c 'import openai; print(\"openai\", openai.__version__)' && "
            f"{q(fresh + '/bin/python')} -m pip freeze > {q(fresh + '.txt')}")


def switch_to_rebuilt(venv: str) -> str:
    """Move `venv` aside to `<venv>.old`, rebuild it in place from the tested `<venv>.new`."""
    fresh = venv + ".new"
    return (f"mv {q(venv)} {q(venv + '.old')} && {q(fresh + '/bin/python')} -m venv {q(venv)} && "
            f"{q(venv + '/bin/python')} -m pip install -r {q(fresh + '.txt')} && rm -rf {q(fresh)}")


# --- python.interpreter ------------------------------------------------------------------------


def run_interpreter(ctx: Context) -> CheckResult:
    target = _target(ctx)
    try:
        facts = ctx.fact("interpreter")
    except ProbeFailed as exc:
        return judge_probe_failed(target, exc)
    return judge_interpreter(facts, target, today=datetime.date.today())


def judge_probe_failed(target: Target, exc: ProbeFailed) -> CheckResult:
    details = [f"interpreter: {target.python} (selected by {target.selected_by})"]
    if exc.output:
        details.append(f"it printed: {exc.output}")
    return diagnose(
        INTERPRETER, "probe_failed", f"cannot inspect {target.python}: {exc.reason}",
        details=details,
        fixes=[Fix("Check that the path is a working Python interpreter", f"{q(target.python)} -c 'import sys; print(sys.version)'"),
               Fix("Or point chat-doctor at another one", "chat-doctor check --python /path/to/python")],
        data={"python": target.python, "selected_by": target.selected_by, "reason": exc.reason},
    )


def judge_interpreter(facts: InterpreterFacts, target: Target, *, today: datetime.date) -> CheckResult:
    minor = facts.minor
    name = f"{facts.implementation or 'Python'} {facts.python_version}"
    where = f"{target.python} (selected by {target.selected_by})"
    eol = pythons.eol_date(minor)
    cap = pythons.openai_cap(minor)
    data: Dict[str, Any] = {
        "python": target.python,
        "selected_by": target.selected_by,
        "version": facts.python_version,
        "implementation": facts.implementation,
        "executable": facts.executable,
        "is_venv": facts.is_venv,
        "venv_home": facts.venv_home,
        "platform": facts.sys_platform,
        "machine": facts.machine,
        "mac_ver": facts.mac_ver or None,
        "eol_date": eol.isoformat() if eol else None,
        "openai_newest": cap.version if cap else pythons.OPENAI_CURRENT,
        "probe_ms": facts.probe_ms,
        "wall_ms": facts.wall_ms,
    }
    details = [f"interpreter: {where}"]
    if facts.executable and facts.executable != target.python:
        details.append(f"sys.executable: {facts.executable}")
    if facts.is_venv:
        details.append(f"virtual environment {facts.prefix}, base interpreter {facts.venv_home or facts.base_prefix}")
    if facts.user_site_enabled and facts.user_site:
        details.append(f"user site-packages (also searched): {facts.user_site}")
    if facts.section_errors:
        details.extend(f"probe section {name!s} failed: {error}" for name, error in facts.section_errors.items())
    if facts.too_old or (cap is not None and not cap.has_chat):
        # 2.7 and 3.6 alike: no openai with a chat API installs there, so nothing else matters
        # (and `pip install openai` would only bring a release that cannot chat).
        gets = (f"pip gives it openai {cap.version} at best, which has no chat API" + (f" ({cap.note})" if cap.note else "")
                if cap is not None and cap.version != "none" else "no openai release with a chat API supports it")
        return diagnose(
            INTERPRETER, "python_too_old",
            f"{name} at {target.python} is too old for the openai SDK: {gets}; current openai needs 3.10+",
            details=details + [f"end of life since {eol.isoformat()}" if eol else "end of life"],
            fixes=[Fix(f"Install a current Python (e.g. {pythons.RECOMMENDED_PYTHON}) and run your app with it",
                       f"uv python install {pythons.RECOMMENDED_PYTHON}")],
            data=data,
        )
    findings: List[Finding] = []
    past_eol = pythons.is_eol(minor, today)
    eol_text = f"Python {minor[0]}.{minor[1]} reached end of life on {eol.isoformat()}" if eol and past_eol else ""
    if cap is not None:
        stuck = f"pip stops at openai {cap.version}"
        if not cap.has_chat:
            stuck += f", which has no chat API ({cap.note})" if cap.note else ", which has no chat API"
        findings.append(Finding(
            "openai_sdk_capped", Status.WARN,
            f"{name} cannot get the current openai SDK (3.x needs Python 3.10+): {stuck}",
            details=(eol_text,) if eol_text else (),
            fixes=tuple(interpreter_fixes(facts, target.python, FOR_VERSION)),
        ))
    elif past_eol:
        findings.append(Finding(
            "python_eol", Status.WARN, f"{name}: {eol_text}; it gets no security fixes any more",
            fixes=tuple(interpreter_fixes(facts, target.python, FOR_VERSION)),
        ))
    data["eol"] = past_eol
    result = combine(INTERPRETER, findings, details=details, data=data)
    if result is not None:
        return result
    return ok(INTERPRETER, f"{name} at {where}", details=details[1:], data=data)


# --- python.ssl -----------------------------------------------------------------------------------


def run_ssl(ctx: Context) -> CheckResult:
    return judge_ssl(ctx.fact("interpreter"), _target(ctx).python)


def parse_tls_library(version_string: Optional[str]) -> Tuple[str, Optional[Tuple[int, int, int]], str]:
    """'OpenSSL 1.0.2k-fips  26 Jan 2017' -> ("OpenSSL", (1, 0, 2), "1.0.2k-fips").

    Read from the string: OPENSSL_VERSION_INFO is (2, 0, 0, 0, 0) for every LibreSSL.
    """
    import re

    if not version_string:
        return ("unknown", None, "")
    parts = version_string.split()
    library = parts[0] if parts else "unknown"
    release = parts[1] if len(parts) > 1 else ""
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", release)
    numbers = (int(found.group(1)), int(found.group(2)), int(found.group(3))) if found else None
    return (library, numbers, release)


def judge_ssl(facts: InterpreterFacts, python: Optional[str] = None) -> CheckResult:
    ssl = facts.ssl
    python = python or facts.executable or "python"
    if not ssl.available:
        return diagnose(
            SSL, "ssl_missing", f"Python {facts.python_version} has no ssl module: HTTPS is impossible",
            details=[f"import ssl: {ssl.import_error}"] if ssl.import_error else [],
            fixes=interpreter_fixes(facts, python),
            data={"available": False, "error": ssl.import_error},
        )
    library, numbers, release = parse_tls_library(ssl.version)
    data = {
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
    details = [f"ssl.OPENSSL_VERSION: {ssl.version}",
               (f"compiled-in CA file {ssl.verify_paths.openssl_cafile} ({'exists' if ssl.verify_paths.openssl_cafile_exists else 'missing'}), "
               f"CA dir {ssl.verify_paths.openssl_capath} ({'exists' if ssl.verify_paths.openssl_capath_exists else 'missing'})")]
    if library == "OpenSSL" and numbers is not None and numbers < (1, 1, 1):
        return diagnose(
            SSL, "ssl_library_outdated",
            f"{u3.openssl_short(ssl.version or '')}: older than OpenSSL 1.1.1 (unsupported, no TLS 1.3; urllib3 2 refuses it)",
            details=details, fixes=interpreter_fixes(facts, python), data=data,
        )
    if library != "OpenSSL":
        details.append(f"{library} is not OpenSSL: urllib3 2.x warns or refuses at import (see python.urllib3); "
                       "its version comes from this string, since OPENSSL_VERSION_INFO is always (2, 0, 0, 0, 0) for LibreSSL")
    summary = f"{library} {release}" + (" (TLS 1.3)" if ssl.has_tls13 else " (no TLS 1.3)")
    return ok(SSL, summary, details=details, data=data)


# --- python.urllib3 --------------------------------------------------------------------------------


def run_urllib3(ctx: Context) -> CheckResult:
    return judge_urllib3(ctx.fact("interpreter"), _target(ctx).python)


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


def judge_urllib3(facts: InterpreterFacts, python: str) -> CheckResult:
    from doctor.probe import dependencies

    imp = facts.urllib3
    ssl = facts.ssl
    chains = dependencies.chains_to(facts, "urllib3")
    pulled = [" -> ".join(chain) for chain in chains]
    data: Dict[str, Any] = {
        "installed": imp.installed,
        "version": imp.version,
        "location": imp.origin,
        "ssl": ssl.version,
        "pulled_in_by": pulled,
        "openai_uses_urllib3": _openai_uses_urllib3(facts),
    }
    details: List[str] = []
    if pulled:
        details.append("pulled in by: " + "; ".join(pulled))
    if data["openai_uses_urllib3"]:
        details.append("the installed openai is pre-1.0: it uses requests, so urllib3 (see packages.openai)")
    else:
        details.append(u3.NOT_USED_BY_OPENAI + (", so this only matters for the packages above" if pulled else ""))

    if not imp.installed:
        would_get = pythons.newest_urllib3(facts.minor)
        prediction = u3.predict_import(would_get, ssl.available, ssl.version, ssl.version_info, facts.not_openssl_action)
        data.update(would_install=would_get, predicted=prediction.to_dict())
        summary = f"not installed; if something pulls it in, pip gives urllib3 {would_get} on Python {facts.minor[0]}.{facts.minor[1]}"
        if prediction.outcome == u3.IMPORT_ERROR:
            # warn, not fail: nothing is broken yet, but `pip install requests` (or boto3...) would break it.
            return diagnose(
                URLLIB3, "urllib3_ssl_import_error", summary + f", which would fail to import here: {prediction.reason}",
                status=Status.WARN, details=[*details, f"urllib3 would raise: {prediction.message}"],
                fixes=_urllib3_fixes(facts, python, prediction, would_get), data=data,
            )
        details.insert(0, f"urllib3 {would_get} here: {prediction.reason}")
        return ok(URLLIB3, summary + (" (imports fine)" if prediction.outcome == u3.OK else " (it would warn)"),
                  details=details, data=data)

    version = imp.version or "0"
    prediction = u3.predict_import(version, ssl.available, ssl.version, ssl.version_info, facts.not_openssl_action)
    observed = observed_outcome(facts)
    data["predicted"] = prediction.to_dict()
    data["observed"] = {"outcome": observed[0], "detail": observed[1]} if observed else None
    details.insert(0, f"urllib3 {version} at {imp.origin}")
    if u3.is_newer_than_known(version):
        details.append(f"urllib3 {version} is newer than chat-doctor's table (up to {u3.NEWEST_KNOWN}); "
                       "assumed to keep the same check")
    if imp.preloaded:
        details.append("urllib3 was already imported at interpreter start-up (a .pth file or a PYTHONWARNINGS "
                       "category), so the verdict is predicted, not observed")
    outcome = observed[0] if observed else prediction.outcome
    data["prediction_matches"] = observed is None or observed[0] == prediction.outcome
    if observed and observed[0] != prediction.outcome:
        details.append(f"note: chat-doctor predicted {prediction.outcome} ({prediction.reason}) but the real import "
                       f"gave {observed[0]} ({observed[1]}): an unusual setup, or a chat-doctor bug worth reporting")
    if imp.stdout.strip() or imp.stderr.strip():
        details.append("output of `import urllib3`: " + " | ".join((imp.stdout + imp.stderr).strip().splitlines()[-3:]))

    if outcome == u3.IMPORT_ERROR:
        tls_related = bool(observed is None or _is_tls_refusal(imp))
        if not tls_related:
            return diagnose(
                URLLIB3, "urllib3_import_failed", f"import urllib3 {version} fails: {observed[1] if observed else ''}",
                details=details,
                fixes=[Fix("Reinstall urllib3", f"{q(python)} -m pip install --force-reinstall urllib3")],
                data=data,
            )
        return diagnose(
            URLLIB3, "urllib3_ssl_import_error",
            f"import urllib3 {version} fails on {ssl.version}: {prediction.reason}",
            details=[*details, f"raised: {(observed[1] if observed else prediction.message)}"],
            fixes=_urllib3_fixes(facts, python, prediction, version), data=data,
        )
    if outcome == u3.WARNING:
        return diagnose(
            URLLIB3, "urllib3_ssl_warning",
            f"import urllib3 {version} warns NotOpenSSLWarning: {ssl.version} is not OpenSSL",
            details=[*details, f"warning: {observed[1] if observed else prediction.message}",
                     "what works: urllib3 still makes HTTPS requests; the warning says this TLS library is untested"],
            fixes=_urllib3_fixes(facts, python, prediction, version), data=data,
        )
    if prediction.silenced:
        details.append("a NotOpenSSLWarning is emitted but your warning filters (PYTHONWARNINGS/-W) silence it")
    return ok(URLLIB3, f"urllib3 {version} imports cleanly on {ssl.version or 'a Python without ssl'}",
              details=details, data=data)


def _openai_uses_urllib3(facts: InterpreterFacts) -> bool:
    """openai 0.x talks HTTP through requests (so urllib3); 1.0+ never imports urllib3."""
    from packaging.version import InvalidVersion, Version

    dist = facts.distribution("openai")
    try:
        return dist is not None and Version(dist.version) < Version("1.0.0")
    except InvalidVersion:
        return False


def _is_tls_refusal(imp: Any) -> bool:
    """The import failed because of urllib3's TLS-library check (its ImportError, or its
    warning raised by -W error), not because the install is broken."""
    text = f"{imp.error_type} {imp.error_message}"
    if u3.MESSAGE_RE.search(text) or "NotOpenSSLWarning" in text:
        return True
    return any(w.name == "NotOpenSSLWarning" and w.action == "error" for w in imp.warnings)


def _urllib3_fixes(facts: InterpreterFacts, python: str, prediction: u3.Prediction, version: str) -> List[Fix]:
    from doctor.probe import dependencies

    fixes = interpreter_fixes(facts, python)
    needs_v2 = [req for req in dependencies.requirers_of(facts, "urllib3") if not req.allows("1.26.20")]
    cost = u3.PIN_TEXT
    if needs_v2:
        cost += ": here " + ", ".join(f"{r.parent} (needs urllib3{r.specifier})" for r in needs_v2)
    fixes.append(Fix(cost, f"{q(python)} -m pip install \"urllib3<2\""))
    lib = facts.ssl.version or ""
    if not lib.startswith("OpenSSL ") and u3.release_check(version).non_openssl == u3.IMPORT_ERROR:
        fixes.append(Fix(u3.UPGRADE_TEXT, f"{q(python)} -m pip install -U \"urllib3>=2.0.3\""))
    if prediction.outcome == u3.WARNING or prediction.raised == "urllib3.exceptions.NotOpenSSLWarning" or (
        not lib.startswith("OpenSSL ") and prediction.outcome != u3.OK
    ):
        fixes.append(Fix(u3.SILENCE_TEXT, u3.SILENCE_COMMAND))
    return fixes


# --- python.certs ---------------------------------------------------------------------------------


def run_certs(ctx: Context) -> CheckResult:
    return judge_certs(ctx.fact("interpreter"), _target(ctx).python)


# Who reads each variable, for the report (facts §4.2).
CA_READERS = {
    "SSL_CERT_FILE": "the ssl module, httpx (openai 1.x/2.x) and httpx2 (openai 3.x); httpx raises FileNotFoundError when the client is built",
    "SSL_CERT_DIR": "the ssl module, httpx and httpx2; a missing directory silently loads no certificates",
    "REQUESTS_CA_BUNDLE": "requests (and everything on it); it raises OSError 'Could not find a suitable TLS CA certificate bundle'",
    "CURL_CA_BUNDLE": "requests (when REQUESTS_CA_BUNDLE is unset) and curl",
    "PIP_CERT": "pip only",
}


def judge_certs(facts: InterpreterFacts, python: str) -> CheckResult:
    from doctor.probe import dependencies

    findings: List[Finding] = []
    details: List[str] = []
    for variable in facts.ca_env:
        problem = _ca_problem(variable)
        if problem is None:
            what = f"{variable.path.cert_count} certificates" if variable.path.is_file else f"{variable.path.hashed_names} hashed names"
            details.append(f"{variable.name}={variable.value} ({what})")
            continue
        # PIP_CERT only breaks pip, not the app: a warning (see codes/python.py).
        status = Status.WARN if variable.name == "PIP_CERT" else Status.FAIL
        findings.append(Finding(
            "ca_path_missing", status, f"{variable.name}={variable.value}: {problem}",
            details=(f"read by {CA_READERS.get(variable.name, 'TLS clients')}",),
            fixes=(Fix(f"Point {variable.name} at a readable PEM bundle, e.g. certifi's, or unset it",
                       f"export {variable.name}=\"$({q(python)} -m certifi)\"  # or: unset {variable.name}"),),
        ))
    certifi = facts.certifi
    needed_by = [r.parent for r in dependencies.requirers_of(facts, "certifi")]
    if not certifi.installed:
        if needed_by:
            findings.append(Finding(
                "certifi_unusable", Status.FAIL,
                f"certifi is not installed, but {', '.join(needed_by)} require it",
                fixes=(Fix("Install it", f"{q(python)} -m pip install certifi"),),
            ))
        else:
            details.append("certifi: not installed (nothing installed requires it)")
    else:
        problem = None
        if certifi.error:
            problem = f"import certifi fails: {certifi.error}"
        elif not certifi.path.exists:
            problem = f"certifi.where() points at {certifi.where}, which does not exist"
        elif not certifi.path.readable:
            problem = f"{certifi.where} is not readable ({certifi.path.read_error})"
        elif certifi.path.cert_count == 0:
            problem = f"{certifi.where} contains no certificates"
        if problem:
            findings.append(Finding(
                "certifi_unusable", Status.FAIL, f"certifi {certifi.version or ''}: {problem}".replace("  ", " "),
                details=(f"used by {', '.join(needed_by)}",) if needed_by else (),
                fixes=(Fix("Reinstall it", f"{q(python)} -m pip install --force-reinstall certifi"),),
            ))
        else:
            details.append(f"certifi {certifi.version}: {certifi.where} ({certifi.path.cert_count} certificates)")
    mac = _macos_certificates_missing(facts)
    if mac is not None:
        findings.append(mac)
    data = {
        "ca_variables": {v.name: v.value for v in facts.ca_env},
        "certifi": {"installed": certifi.installed, "version": certifi.version, "where": certifi.where,
                    "cert_count": certifi.path.cert_count},
        "default_cafile": facts.ssl.verify_paths.cafile,
    }
    result = combine(CERTS, findings, details=details, data=data)
    if result is not None:
        return result
    if certifi.installed:
        summary = f"certifi {certifi.version} ({certifi.path.cert_count} certificates)"
    else:
        summary = "no certifi (not needed)"
    if facts.ca_env:
        summary += "; " + ", ".join(v.name for v in facts.ca_env) + " valid"
    return ok(CERTS, summary, details=details, data=data)


def _ca_problem(variable: Any) -> Optional[str]:
    path = variable.path
    if not variable.value.strip():
        return "set but empty"
    if not path.exists:
        return "no such file or directory"
    if variable.expected == "file" and not path.is_file:
        return "is a directory, but must be a PEM file"
    if variable.expected == "dir" and not path.is_dir:
        return "is a file, but must be a directory of hashed certificates (use SSL_CERT_FILE for a bundle)"
    if not path.readable:
        return f"not readable ({path.read_error or 'permission denied'})"
    if path.is_file and path.cert_count == 0:
        return "contains no PEM certificate (-----BEGIN CERTIFICATE-----)"
    if path.is_dir and path.hashed_names == 0:
        return "contains no hashed certificate names (xxxxxxxx.0): run `openssl rehash` on it"
    return None


_FRAMEWORK = "/Library/Frameworks/Python.framework/"


def _macos_certificates_missing(facts: InterpreterFacts) -> Optional[Finding]:
    """python.org macOS builds ship no CA file until "Install Certificates.command" runs
    (facts §4.1): darwin + framework executable + no default CA file."""
    paths = facts.ssl.verify_paths
    if facts.sys_platform != "darwin" or not facts.ssl.available:
        return None
    if not (facts.executable.startswith(_FRAMEWORK) or facts.base_prefix.startswith(_FRAMEWORK)
            or (facts.venv_home or "").startswith(_FRAMEWORK)):
        return None
    if paths.cafile is not None or paths.openssl_cafile_exists:
        return None
    minor = f"{facts.minor[0]}.{facts.minor[1]}"
    command = f"open \"/Applications/Python {minor}/Install Certificates.command\""
    return Finding(
        "macos_certificates_not_installed", Status.WARN,
        f"python.org Python {minor}: its CA file {paths.openssl_cafile} does not exist (\"Install Certificates\" never ran)",
        details=(("stdlib HTTPS (urllib.request, ssl.create_default_context()) fails with CERTIFICATE_VERIFY_FAILED; "
                 "openai is not affected (httpx uses certifi, httpx2 the Keychain)"),),
        fixes=(Fix(f"Run the certificate installer that came with Python {minor}", command),),
    )


def _transitional_pass_through(result: CheckResult) -> CheckResult:
    """TRANSITIONAL (issue 9, Checks): this module's checks still gather and judge in one
    function; the split into gather(ctx) -> Facts and a pure judge(facts) replaces this."""
    return result


CHECKS: Tuple[Check, ...] = (
    Check(INTERPRETER, "Target interpreter", run_interpreter, _transitional_pass_through),
    Check(SSL, "TLS library", run_ssl, _transitional_pass_through, needs=(INTERPRETER,)),
    Check(URLLIB3, "urllib3 vs the TLS library", run_urllib3, _transitional_pass_through, needs=(INTERPRETER,)),
    Check(CERTS, "CA certificates", run_certs, _transitional_pass_through, needs=(INTERPRETER,)),
)
FACTS: Dict[str, FactProvider] = {"interpreter": gather_interpreter}

