"""The `trust` fact: which CAs a client in the target interpreter trusts, rebuilt from the
interpreter facts and this run's environment (doctor.net.trust holds the rules). Shared by
net.tls, which handshakes under it, and by api.auth and the smoke test, which send under
`ctx.fact("trust").sdk`.

Gathering looks at the CA paths once (`look_at_paths`), so the rules themselves stay pure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

from doctor.runner import Context

if TYPE_CHECKING:  # doctor.net.trust imports ssl: only the network path pays for it
    from doctor.net.trust import PathFacts, TrustInputs, TrustSpec


@dataclass(frozen=True)
class TrustFact:
    sdk: TrustSpec
    default: TrustSpec
    inputs: TrustInputs
    paths: PathFacts = field(repr=False)  # what existed of the CA paths the rules asked about
    from_target: bool = True  # False: the probe failed and chat-doctor's own interpreter was used


def gather_trust(ctx: Context) -> TrustFact:
    from doctor.net.trust import default_trust, paths_to_look_at, sdk_trust

    env = dict(ctx.settings.env)
    try:
        inputs = trust_inputs_from_facts(ctx.fact("interpreter"), env)
        from_target = True
    except Exception:  # noqa: BLE001  # the probe failed: python.interpreter reports why
        inputs = own_trust_inputs(env)
        from_target = False
    paths = look_at_paths(paths_to_look_at(inputs))
    return TrustFact(sdk_trust(inputs, paths), default_trust(inputs, paths), inputs, paths, from_target)


def look_at_paths(paths: Sequence[str]) -> PathFacts:
    """Which of `paths` are files, directories, and directories of OpenSSL hashed names."""
    from doctor.net.trust import PathFacts

    files = frozenset(p for p in paths if os.path.isfile(p))
    dirs = frozenset(p for p in paths if os.path.isdir(p))
    return PathFacts(files, dirs, frozenset(d for d in dirs if _holds_hashed_names(d)))


def _holds_hashed_names(directory: str) -> bool:
    from doctor.net.trust import is_hashed_name

    try:
        return any(is_hashed_name(name) for name in os.listdir(directory))
    except OSError:
        return False


def trust_inputs_from_facts(facts: Any, env: Dict[str, str]) -> TrustInputs:
    """TrustInputs from doctor.probe.facts.InterpreterFacts (the target) and the run's environment."""
    from doctor.net.trust import TrustInputs

    dist = getattr(facts, "distribution", None)
    openai = dist("openai") if dist else None
    httpx = dist("httpx") if dist else None
    paths = facts.ssl.verify_paths
    certifi = facts.certifi
    system = {"darwin": "Darwin", "win32": "Windows", "cygwin": "Windows"}.get(facts.sys_platform, "Linux")
    return TrustInputs(
        python_version=facts.minor,
        system=system,
        openai_version=openai.version if openai else None,
        httpx_version=httpx.version if httpx else None,
        openssl_cafile=paths.openssl_cafile,
        openssl_capath=paths.openssl_capath,
        certifi_cafile=certifi.where if certifi.installed else None,
        ssl_cert_file=env.get("SSL_CERT_FILE") or None,
        ssl_cert_dir=env.get("SSL_CERT_DIR") or None,
        fallback_certifi_cafile=_own_certifi(),
    )


def _own_certifi() -> Optional[str]:
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def own_trust_inputs(env: Dict[str, str]) -> TrustInputs:
    """The same, for chat-doctor's own interpreter (when the target could not be probed)."""
    import platform
    import ssl
    import sys
    from importlib import metadata

    from doctor.net.trust import TrustInputs

    def version(name: str) -> Optional[str]:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    certifi_where = _own_certifi()
    paths = ssl.get_default_verify_paths()
    return TrustInputs(
        python_version=(sys.version_info[0], sys.version_info[1]),
        system=platform.system(),
        openai_version=version("openai"),
        httpx_version=version("httpx"),
        openssl_cafile=paths.openssl_cafile,
        openssl_capath=paths.openssl_capath,
        certifi_cafile=certifi_where,
        ssl_cert_file=env.get("SSL_CERT_FILE") or None,
        ssl_cert_dir=env.get("SSL_CERT_DIR") or None,
        fallback_certifi_cafile=certifi_where,
    )
