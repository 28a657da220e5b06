"""What the `python.interpreter` and `python.ssl` checks say, and the fixes every python.* and
packages.* check shares: moving to another interpreter without breaking the environment on the way.

The judges decide; these functions only word what they decided (the strings are pinned by the
tests and the README). urllib3 and certificate wording are in `python_urllib3` and `python_certs`.
"""

from __future__ import annotations

import datetime
import shlex
from typing import List, Optional, Tuple

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3
from doctor.model import Fix, Target
from doctor.probe.facts import InterpreterFacts, SslFacts

# --- shared fix builders --------------------------------------------------------------------------


def q(path: str) -> str:
    """A path or value as one shell word (fix commands are pasted whole)."""
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

    The channels offered depend on the *target's* platform (`facts.sys_platform`, from the probe).
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


# --- python.interpreter ---------------------------------------------------------------------------


def where(target: Target) -> str:
    return f"{target.python} (selected by {target.selected_by})"


def probe_failed_summary(python: str, reason: str) -> str:
    return f"cannot inspect {python}: {reason}"


def probe_failed_details(target: Target, output: str) -> List[str]:
    details = [f"interpreter: {where(target)}"]
    if output:
        details.append(f"it printed: {output}")
    return details


def probe_failed_fixes(python: str) -> List[Fix]:
    return [Fix("Check that the path is a working Python interpreter", f"{q(python)} -c 'import sys; print(sys.version)'"),
            Fix("Or point chat-doctor at another one", "chat-doctor check --python /path/to/python")]


def interpreter_name(facts: InterpreterFacts) -> str:
    return f"{facts.implementation or 'Python'} {facts.python_version}"


def interpreter_details(facts: InterpreterFacts, target: Target) -> List[str]:
    """What the report says about the interpreter, whatever the verdict: the first line names it."""
    details = [f"interpreter: {where(target)}"]
    if facts.executable and facts.executable != target.python:
        details.append(f"sys.executable: {facts.executable}")
    if facts.is_venv:
        details.append(f"virtual environment {facts.prefix}, base interpreter {facts.venv_home or facts.base_prefix}")
    if facts.user_site_enabled and facts.user_site:
        details.append(f"user site-packages (also searched): {facts.user_site}")
    if facts.section_errors:
        details.extend(f"probe section {name!s} failed: {error}" for name, error in facts.section_errors.items())
    return details


def too_old_summary(name: str, python: str, cap: Optional[pythons.OpenaiCap]) -> str:
    gets = (f"pip gives it openai {cap.version} at best, which has no chat API" + (f" ({cap.note})" if cap.note else "")
            if cap is not None and cap.version != "none" else "no openai release with a chat API supports it")
    return f"{name} at {python} is too old for the openai SDK: {gets}; current openai needs 3.10+"


def too_old_eol(eol: Optional[datetime.date]) -> str:
    return f"end of life since {eol.isoformat()}" if eol else "end of life"


def too_old_fixes() -> List[Fix]:
    return [Fix(f"Install a current Python (e.g. {pythons.RECOMMENDED_PYTHON}) and run your app with it",
                f"uv python install {pythons.RECOMMENDED_PYTHON}")]


def eol_reached(minor: Tuple[int, int], eol: datetime.date) -> str:
    return f"Python {minor[0]}.{minor[1]} reached end of life on {eol.isoformat()}"


def capped_summary(name: str, cap: pythons.OpenaiCap) -> str:
    stuck = f"pip stops at openai {cap.version}"
    if not cap.has_chat:
        stuck += f", which has no chat API ({cap.note})" if cap.note else ", which has no chat API"
    return f"{name} cannot get the current openai SDK (3.x needs Python 3.10+): {stuck}"


def eol_summary(name: str, eol_text: str) -> str:
    return f"{name}: {eol_text}; it gets no security fixes any more"


def interpreter_ok_summary(name: str, target: Target) -> str:
    return f"{name} at {where(target)}"


# --- python.ssl -----------------------------------------------------------------------------------


def ssl_missing_summary(python_version: str) -> str:
    return f"Python {python_version} has no ssl module: HTTPS is impossible"


def ssl_missing_details(import_error: Optional[str]) -> List[str]:
    return [f"import ssl: {import_error}"] if import_error else []


def ssl_details(ssl: SslFacts) -> List[str]:
    paths = ssl.verify_paths
    return [f"ssl.OPENSSL_VERSION: {ssl.version}",
            (f"compiled-in CA file {paths.openssl_cafile} ({'exists' if paths.openssl_cafile_exists else 'missing'}), "
             f"CA dir {paths.openssl_capath} ({'exists' if paths.openssl_capath_exists else 'missing'})")]


def ssl_outdated_summary(version_string: Optional[str]) -> str:
    return (f"{u3.openssl_short(version_string or '')}: older than OpenSSL 1.1.1 (unsupported, no TLS 1.3; "
            "urllib3 2 refuses it)")


def not_openssl_detail(library: str) -> str:
    return (f"{library} is not OpenSSL: urllib3 2.x warns or refuses at import (see python.urllib3); "
            "its version comes from this string, since OPENSSL_VERSION_INFO is always (2, 0, 0, 0, 0) for LibreSSL")


def ssl_ok_summary(library: str, release: str, has_tls13: bool) -> str:
    return f"{library} {release}" + (" (TLS 1.3)" if has_tls13 else " (no TLS 1.3)")

