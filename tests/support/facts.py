"""Facts fixtures for the pure rules: an InterpreterFacts as the probe would report it, and the
TLS libraries real platforms ship."""

from __future__ import annotations

from typing import Optional, Sequence

from doctor.probe.facts import (
    CaVariable,
    CertifiFacts,
    Distribution,
    InterpreterFacts,
    SslFacts,
    Urllib3Import,
    VerifyPaths,
)

# (version string, version_info) as `ssl` reports them.
LIBRESSL = ("LibreSSL 2.8.3", (2, 0, 0, 0, 0))
OPENSSL_102 = ("OpenSSL 1.0.2k-fips  26 Jan 2017", (1, 0, 2, 11, 15))
OPENSSL_110 = ("OpenSSL 1.1.0h  27 Mar 2018", (1, 1, 0, 8, 15))
OPENSSL_111 = ("OpenSSL 1.1.1k  25 Mar 2021", (1, 1, 1, 11, 15))
OPENSSL_3 = ("OpenSSL 3.0.19 27 Jan 2026", (3, 0, 0, 19, 0))


def marker_env(version: str, platform: str = "linux") -> dict:
    return {
        "implementation_name": "cpython", "implementation_version": version, "os_name": "posix",
        "platform_machine": "x86_64", "platform_release": "", "platform_version": "",
        "platform_system": {"linux": "Linux", "darwin": "Darwin"}[platform], "python_full_version": version,
        "platform_python_implementation": "CPython", "python_version": ".".join(version.split(".")[:2]),
        "sys_platform": platform,
    }


def make_facts(
    version: str = "3.11.7",
    ssl: Optional[tuple] = OPENSSL_3,
    urllib3: Optional[str] = None,
    *,
    platform: str = "linux",
    dists: Sequence[tuple] = (),
    executable: str = "/usr/bin/python3",
    observed: Optional[Urllib3Import] = None,
    ca_env: Sequence[CaVariable] = (),
    certifi: Optional[CertifiFacts] = None,
    verify: Optional[VerifyPaths] = None,
    actions: Optional[dict] = None,
    is_venv: bool = False,
    prefix: str = "/usr",
) -> InterpreterFacts:
    """A facts fixture: `dists` are (name, version, [Requires-Dist...])."""
    distributions = [Distribution(n, v, tuple(r)) for n, v, r in dists]
    if urllib3 and not any(d.key == "urllib3" for d in distributions):
        distributions.append(Distribution("urllib3", urllib3, ()))
    ssl_facts = SslFacts(available=False, import_error="ModuleNotFoundError: No module named '_ssl'") if ssl is None \
        else SslFacts(True, ssl[0], ssl[1], has_tls13=ssl[1][0] >= 3, verify_paths=verify or VerifyPaths(
            cafile="/etc/ssl/cert.pem", openssl_cafile="/etc/ssl/cert.pem", openssl_cafile_exists=True))
    return InterpreterFacts(
        python_version=version,
        version_info=tuple(int(x) for x in version.split(".")),
        executable=executable,
        prefix=prefix,
        base_prefix="/usr",
        is_venv=is_venv,
        sys_platform=platform,
        ssl=ssl_facts,
        marker_env=marker_env(version, platform),
        distributions=tuple(distributions),
        certifi=certifi or CertifiFacts(installed=False),
        ca_env=tuple(ca_env),
        urllib3=observed or Urllib3Import(installed=urllib3 is not None, version=urllib3,
                                          origin="/site/urllib3/__init__.py" if urllib3 else None),
        not_openssl_action=actions or {"urllib3 v2.0": "default", "urllib3 v2": "default"},
    )
