"""Which certificate authorities a client in the *target* interpreter trusts, rebuilt here.

Two trust configurations matter (shared/facts/openai-api.md, Addendum; urllib3-and-openssl.md §4.2):

- **sdk**: what the installed openai SDK verifies with.
  - openai >= 3 (httpx2 / httpcore2 `default_ssl_context`): `SSL_CERT_FILE`, else `SSL_CERT_DIR`,
    else the OS store via truststore on macOS/Windows, else (Linux) OpenSSL's compiled-in
    cafile/capath (deliberately *not* the `SSL_CERT_*` aware default paths), else the first
    existing well-known distro bundle.
  - openai 1.x/2.x (httpx): `SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's bundle.
- **default**: `ssl.create_default_context()` in the target (stdlib urllib, and what curl-like
  tools built on the system OpenSSL see): OpenSSL's default paths, which honour the variables.

`sdk_trust` / `default_trust` are pure (the inputs and what exists of their paths, `PathFacts`,
in; `TrustSpec` out): the `trust` fact (doctor.checks.trust) looks at the paths `paths_to_look_at`
names and hands the answer in. `build_context` turns a spec into an `ssl.SSLContext` in
chat-doctor's own process. The handshake therefore runs on
chat-doctor's OpenSSL with the target's CA material; protocol-level differences between the two
OpenSSL builds are the `python.ssl` check's business, not this one's.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

# httpcore2._ssl.CA_FILE_CANDIDATES (httpcore2 2.16.2), itself truststore's Linux fallbacks.
CA_FILE_CANDIDATES: Tuple[str, ...] = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)
_HASHED_NAME = re.compile(r"[0-9a-fA-F]{8}\.\d")


@dataclass(frozen=True)
class TrustInputs:
    """What decides trust in the target: interpreter facts plus the run's environment."""

    python_version: Tuple[int, int] = (3, 11)
    system: str = "Linux"  # platform.system() of the target: Linux, Darwin, Windows
    openai_version: Optional[str] = None  # None: openai is not installed in the target
    httpx_version: Optional[str] = None
    openssl_cafile: Optional[str] = None  # ssl.get_default_verify_paths().openssl_cafile (compiled in)
    openssl_capath: Optional[str] = None
    certifi_cafile: Optional[str] = None  # the target's certifi.where(), when certifi is installed
    ssl_cert_file: Optional[str] = None  # SSL_CERT_FILE of this run ("" counts as unset, as in httpx)
    ssl_cert_dir: Optional[str] = None
    # chat-doctor's own certifi bundle: what `pip install openai` (which brings certifi with
    # httpx) would trust when the target has neither openai nor certifi yet.
    fallback_certifi_cafile: Optional[str] = None


@dataclass(frozen=True)
class PathFacts:
    """What exists of the paths that decide trust (looked at by the `trust` fact's gather)."""

    files: FrozenSet[str] = frozenset()
    dirs: FrozenSet[str] = frozenset()
    hashed_dirs: FrozenSet[str] = frozenset()  # directories holding OpenSSL hashed names (1a2b3c4d.0)

    def isfile(self, path: str) -> bool:
        return path in self.files

    def isdir(self, path: str) -> bool:
        return path in self.dirs

    def hashed(self, path: str) -> bool:
        return path in self.hashed_dirs


def paths_to_look_at(inputs: TrustInputs) -> Tuple[str, ...]:
    """Every path `sdk_trust` and `default_trust` may ask about, each once."""
    named = (inputs.ssl_cert_file, inputs.ssl_cert_dir, inputs.openssl_cafile, inputs.openssl_capath,
             inputs.certifi_cafile, *CA_FILE_CANDIDATES)
    return tuple(dict.fromkeys(path for path in named if path))


def is_hashed_name(name: str) -> bool:
    """A file name OpenSSL looks up in a CA directory (subject hash, dot, index)."""
    return _HASHED_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class TrustSpec:
    """One way of deciding trust: where the CAs come from and how the context is built."""

    name: str  # "sdk" or "default"
    client: str  # who trusts this way, e.g. "openai 3.57.0 (httpx2)"
    source: str  # SSL_CERT_FILE, SSL_CERT_DIR, os_store, openssl_default, ca_candidate, certifi, none
    cafile: Optional[str] = None
    capath: Optional[str] = None
    os_store: bool = False  # truststore (macOS keychain / Windows store)
    strict: bool = False  # VERIFY_X509_STRICT + PARTIAL_CHAIN, as create_default_context sets on 3.13+
    problem: Optional[str] = None  # why this configuration cannot work at all (missing file, ...)

    @property
    def material(self) -> Tuple:
        """What actually decides a verdict; equal material means equal verdicts."""
        return (self.cafile, self.capath, self.os_store, self.strict)

    def describe(self) -> str:
        if self.os_store:
            return "the operating system's trust store (truststore)"
        parts = []
        if self.cafile:
            parts.append(f"cafile {self.cafile}")
        if self.capath:
            parts.append(f"capath {self.capath}")
        origin = {
            "SSL_CERT_FILE": " (from SSL_CERT_FILE)",
            "SSL_CERT_DIR": " (from SSL_CERT_DIR)",
            "certifi": " (certifi)",
            "openssl_default": " (OpenSSL's compiled-in paths)",
            "ca_candidate": " (a well-known distro bundle)",
            "default_verify_paths": "",
        }.get(self.source, "")
        return (" + ".join(parts) + origin) if parts else "no CA certificates at all"


def _version_tuple(version: Optional[str]) -> Tuple[int, ...]:
    from packaging.version import InvalidVersion, Version

    if not version:
        return ()
    try:
        return Version(version).release
    except InvalidVersion:
        return ()


def _strict(inputs: TrustInputs) -> bool:
    return tuple(inputs.python_version) >= (3, 13)


def _file_problem(var: str, path: str, paths: PathFacts) -> Optional[str]:
    if paths.isfile(path):
        return None
    if paths.isdir(path):
        return f"{var}={path} is a directory, not a file"
    return f"{var}={path} does not exist"


def sdk_trust(inputs: TrustInputs, paths: PathFacts) -> TrustSpec:
    """The trust of the openai SDK installed in the target (or the one pip would install)."""
    version = _version_tuple(inputs.openai_version)
    if version:
        major = version[0]
        label = f"openai {inputs.openai_version}"
    else:  # not installed: describe what `pip install openai` would bring on this Python
        major = 3 if tuple(inputs.python_version) >= (3, 10) else 2
        label = "openai (not installed; pip would install " + ("3.x)" if major >= 3 else "a 1.x/2.x release)")
    if major >= 3:
        return _httpx2_trust(inputs, f"{label} (httpx2)", paths)
    return _httpx_trust(inputs, f"{label} (httpx)", paths)


def _httpx2_trust(inputs: TrustInputs, client: str, paths: PathFacts) -> TrustSpec:
    strict = _strict(inputs)
    if inputs.ssl_cert_file:
        problem = _file_problem("SSL_CERT_FILE", inputs.ssl_cert_file, paths)
        if problem:
            problem += ": the openai client raises FileNotFoundError when it is created"
        return TrustSpec("sdk", client, "SSL_CERT_FILE", cafile=inputs.ssl_cert_file, strict=strict, problem=problem)
    if inputs.ssl_cert_dir:
        problem = None if paths.isdir(inputs.ssl_cert_dir) else f"SSL_CERT_DIR={inputs.ssl_cert_dir} is not a directory: nothing is trusted"
        return TrustSpec("sdk", client, "SSL_CERT_DIR", capath=inputs.ssl_cert_dir, strict=strict, problem=problem)
    if inputs.system in ("Darwin", "Windows"):
        return TrustSpec("sdk", client, "os_store", os_store=True)
    cafile = inputs.openssl_cafile if inputs.openssl_cafile and paths.isfile(inputs.openssl_cafile) else None
    capath = inputs.openssl_capath if inputs.openssl_capath and paths.isdir(inputs.openssl_capath) else None
    if capath and not cafile:
        capath = capath if paths.hashed(capath) else None
    source = "openssl_default"
    if not cafile and not capath:
        cafile = next((c for c in CA_FILE_CANDIDATES if paths.isfile(c)), None)
        source = "ca_candidate" if cafile else "none"
    problem = None if (cafile or capath) else "no CA bundle found at OpenSSL's compiled-in paths or the usual distro paths"
    # httpcore2 builds a bare SSLContext here, so no X509_STRICT even on 3.13.
    return TrustSpec("sdk", client, source, cafile=cafile, capath=capath, strict=False, problem=problem)


def _httpx_trust(inputs: TrustInputs, client: str, paths: PathFacts) -> TrustSpec:
    modern = _version_tuple(inputs.httpx_version or "0.28") >= (0, 28)
    # httpx 0.28 uses ssl.create_default_context(...) (strict on 3.13+) and fails on a missing
    # SSL_CERT_FILE; older httpx built a bare context and silently ignored a missing path.
    strict = modern and _strict(inputs)
    if inputs.ssl_cert_file and (modern or paths.isfile(inputs.ssl_cert_file)):
        problem = _file_problem("SSL_CERT_FILE", inputs.ssl_cert_file, paths)
        if problem:
            problem += ": the openai client raises FileNotFoundError when it is created"
        return TrustSpec("sdk", client, "SSL_CERT_FILE", cafile=inputs.ssl_cert_file, strict=strict, problem=problem)
    if inputs.ssl_cert_dir and (modern or paths.isdir(inputs.ssl_cert_dir)):
        problem = None if paths.isdir(inputs.ssl_cert_dir) else f"SSL_CERT_DIR={inputs.ssl_cert_dir} is not a directory: nothing is trusted"
        return TrustSpec("sdk", client, "SSL_CERT_DIR", capath=inputs.ssl_cert_dir, strict=strict, problem=problem)
    if inputs.certifi_cafile:
        problem = None if paths.isfile(inputs.certifi_cafile) else f"certifi's bundle {inputs.certifi_cafile} is missing"
        return TrustSpec("sdk", client, "certifi", cafile=inputs.certifi_cafile, strict=strict, problem=problem)
    if not inputs.openai_version and inputs.fallback_certifi_cafile:
        return TrustSpec("sdk", client, "certifi", cafile=inputs.fallback_certifi_cafile, strict=strict)
    return TrustSpec("sdk", client, "certifi", strict=strict,
                     problem="certifi is not installed in the target, and httpx needs it")


def default_trust(inputs: TrustInputs, paths: PathFacts) -> TrustSpec:
    """`ssl.create_default_context()` in the target: OpenSSL's defaults, which honour SSL_CERT_FILE/DIR.

    Unlike the SDK, a variable naming a missing path is not an error here: OpenSSL silently
    trusts nothing from it (urllib3-and-openssl.md §4.2).
    """
    client = "ssl.create_default_context() (urllib, and clients on the system OpenSSL)"
    cafile = inputs.ssl_cert_file or inputs.openssl_cafile
    capath = inputs.ssl_cert_dir or inputs.openssl_capath
    cafile = cafile if cafile and paths.isfile(cafile) else None
    capath = capath if capath and paths.isdir(capath) else None
    problem = None if (cafile or capath) else "the default verify paths name no existing CA file or directory"
    return TrustSpec("default", client, "default_verify_paths", cafile=cafile, capath=capath,
                     strict=_strict(inputs), problem=problem)


def build_context(spec: TrustSpec) -> ssl.SSLContext:
    """A verifying client context for `spec`; raises OSError/ssl.SSLError when it cannot be built."""
    if spec.os_store:
        try:
            import truststore  # only on macOS/Windows targets, where httpx2 uses it

            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        except ImportError:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_default_certs()
            return context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname
    if spec.cafile or spec.capath:
        context.load_verify_locations(cafile=spec.cafile, capath=spec.capath)
    strict_flags = getattr(ssl, "VERIFY_X509_STRICT", 0) | getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    if spec.strict:
        context.verify_flags |= strict_flags
    else:
        context.verify_flags &= ~strict_flags
    return context
