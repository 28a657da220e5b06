"""What the `python.certs` check says: the CA variables and who reads them, certifi's bundle,
and the python.org macOS build whose "Install Certificates" step never ran."""

from __future__ import annotations

from typing import List, Optional, Sequence

from doctor.knowledge.wording.python import q
from doctor.model import Fix
from doctor.probe.facts import CaVariable, CertifiFacts

# --- CA variables ---------------------------------------------------------------------------------

# Who reads each variable, for the report (facts §4.2).
CA_READERS = {
    "SSL_CERT_FILE": "the ssl module, httpx (openai 1.x/2.x) and httpx2 (openai 3.x); httpx raises FileNotFoundError when the client is built",
    "SSL_CERT_DIR": "the ssl module, httpx and httpx2; a missing directory silently loads no certificates",
    "REQUESTS_CA_BUNDLE": "requests (and everything on it); it raises OSError 'Could not find a suitable TLS CA certificate bundle'",
    "CURL_CA_BUNDLE": "requests (when REQUESTS_CA_BUNDLE is unset) and curl",
    "PIP_CERT": "pip only",
}

# What is wrong with a CA variable's path, by the kind python.certs found.
CA_EMPTY = "empty"
CA_MISSING = "missing"
CA_NOT_A_FILE = "not_a_file"
CA_NOT_A_DIR = "not_a_dir"
CA_UNREADABLE = "unreadable"
CA_NO_PEM = "no_pem"
CA_NO_HASHES = "no_hashes"

_CA_PROBLEMS = {
    CA_EMPTY: "set but empty",
    CA_MISSING: "no such file or directory",
    CA_NOT_A_FILE: "is a directory, but must be a PEM file",
    CA_NOT_A_DIR: "is a file, but must be a directory of hashed certificates (use SSL_CERT_FILE for a bundle)",
    CA_NO_PEM: "contains no PEM certificate (-----BEGIN CERTIFICATE-----)",
    CA_NO_HASHES: "contains no hashed certificate names (xxxxxxxx.0): run `openssl rehash` on it",
}


def ca_valid(variable: CaVariable) -> str:
    path = variable.path
    what = f"{path.cert_count} certificates" if path.is_file else f"{path.hashed_names} hashed names"
    return f"{variable.name}={variable.value} ({what})"


def ca_problem_summary(variable: CaVariable, kind: str) -> str:
    if kind == CA_UNREADABLE:
        problem = f"not readable ({variable.path.read_error or 'permission denied'})"
    else:
        problem = _CA_PROBLEMS[kind]
    return f"{variable.name}={variable.value}: {problem}"


def ca_read_by(name: str) -> str:
    return f"read by {CA_READERS.get(name, 'TLS clients')}"


def ca_fix(name: str, python: str) -> Fix:
    return Fix(f"Point {name} at a readable PEM bundle, e.g. certifi's, or unset it",
               f"export {name}=\"$({q(python)} -m certifi)\"  # or: unset {name}")


# --- certifi --------------------------------------------------------------------------------------

CERTIFI_IMPORT_FAILS = "import_fails"
CERTIFI_MISSING_FILE = "missing_file"
CERTIFI_UNREADABLE = "unreadable"
CERTIFI_EMPTY = "empty"


def certifi_required_summary(needed_by: Sequence[str]) -> str:
    return f"certifi is not installed, but {', '.join(needed_by)} require it"


def certifi_install_fix(python: str) -> Fix:
    return Fix("Install it", f"{q(python)} -m pip install certifi")


CERTIFI_NOT_NEEDED = "certifi: not installed (nothing installed requires it)"


def certifi_problem_summary(certifi: CertifiFacts, kind: str) -> str:
    problem = {
        CERTIFI_IMPORT_FAILS: f"import certifi fails: {certifi.error}",
        CERTIFI_MISSING_FILE: f"certifi.where() points at {certifi.where}, which does not exist",
        CERTIFI_UNREADABLE: f"{certifi.where} is not readable ({certifi.path.read_error})",
        CERTIFI_EMPTY: f"{certifi.where} contains no certificates",
    }[kind]
    return f"certifi {certifi.version or ''}: {problem}".replace("  ", " ")


def certifi_used_by(needed_by: Sequence[str]) -> List[str]:
    return [f"used by {', '.join(needed_by)}"] if needed_by else []


def certifi_reinstall_fix(python: str) -> Fix:
    return Fix("Reinstall it", f"{q(python)} -m pip install --force-reinstall certifi")


def certifi_ok(certifi: CertifiFacts) -> str:
    return f"certifi {certifi.version}: {certifi.where} ({certifi.path.cert_count} certificates)"


# --- python.org on macOS ------------------------------------------------------------------------------


def macos_summary(minor: str, openssl_cafile: Optional[str]) -> str:
    return f"python.org Python {minor}: its CA file {openssl_cafile} does not exist (\"Install Certificates\" never ran)"


MACOS_DETAIL = ("stdlib HTTPS (urllib.request, ssl.create_default_context()) fails with CERTIFICATE_VERIFY_FAILED; "
                "openai is not affected (httpx uses certifi, httpx2 the Keychain)")


def macos_fix(minor: str) -> Fix:
    return Fix(f"Run the certificate installer that came with Python {minor}",
               f"open \"/Applications/Python {minor}/Install Certificates.command\"")


# --- all well ---------------------------------------------------------------------------------------


def ok_summary(certifi: CertifiFacts, variables: Sequence[str]) -> str:
    summary = f"certifi {certifi.version} ({certifi.path.cert_count} certificates)" if certifi.installed \
        else "no certifi (not needed)"
    if variables:
        summary += "; " + ", ".join(variables) + " valid"
    return summary
