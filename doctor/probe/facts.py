"""What the probe found inside the target interpreter, as frozen plain data.

`InterpreterFacts.from_probe(answer)` turns the probe's JSON into these classes; rules read
them and never touch the interpreter. Fixtures in tests build them directly, e.g. "macOS
system Python 3.9.6, LibreSSL 2.8.3, urllib3 2.0.2" is a handful of constructor calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Tuple


class ProbeFailed(Exception):
    """The target could not be inspected; `reason` says why in one sentence."""

    def __init__(self, reason: str, *, output: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.output = output  # a short excerpt of what the target printed, for details


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: "Typing_Extensions" -> "typing-extensions"."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class VerifyPaths:
    """ssl.get_default_verify_paths() as the target sees it (env vars applied)."""

    cafile: Optional[str] = None  # None unless the file exists
    capath: Optional[str] = None
    openssl_cafile: Optional[str] = None  # compiled-in default
    openssl_capath: Optional[str] = None
    openssl_cafile_exists: bool = False
    openssl_capath_exists: bool = False


@dataclass(frozen=True)
class SslFacts:
    available: bool
    version: Optional[str] = None  # ssl.OPENSSL_VERSION, e.g. "LibreSSL 2.8.3"
    version_info: Tuple[int, ...] = ()  # as reported; (2, 0, 0, 0, 0) for every LibreSSL
    version_number: Optional[int] = None
    has_sni: bool = True
    has_tls13: bool = False
    verify_paths: VerifyPaths = VerifyPaths()
    import_error: Optional[str] = None


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    requires: Tuple[str, ...] = ()  # Requires-Dist strings, markers included
    location: str = ""

    @property
    def key(self) -> str:
        return normalize_name(self.name)


@dataclass(frozen=True)
class PathFacts:
    """A CA file or directory as the target sees it."""

    exists: bool = False
    is_file: bool = False
    is_dir: bool = False
    readable: bool = False
    cert_count: int = 0
    entries: int = 0
    hashed_names: int = 0
    read_error: Optional[str] = None


@dataclass(frozen=True)
class CaVariable:
    name: str  # SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, PIP_CERT
    value: str
    expected: str  # "file", "dir" or "file_or_dir"
    path: PathFacts = PathFacts()


@dataclass(frozen=True)
class CertifiFacts:
    installed: bool
    version: Optional[str] = None
    where: Optional[str] = None
    path: PathFacts = PathFacts()
    error: Optional[str] = None


@dataclass(frozen=True)
class WarningRecord:
    category: str  # "urllib3.exceptions.NotOpenSSLWarning"
    message: str
    filename: str = ""
    lineno: int = 0
    action: Optional[str] = None  # what the user's filters (-W, PYTHONWARNINGS) do with it

    @property
    def name(self) -> str:
        return self.category.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Urllib3Import:
    """`import urllib3` as it really happened inside the target."""

    installed: bool
    version: Optional[str] = None  # read from urllib3/_version.py (or __version__ once imported)
    origin: Optional[str] = None  # the file `import urllib3` loads
    attempted: bool = False
    ok: Optional[bool] = None
    error_type: Optional[str] = None  # "builtins.ImportError", "urllib3.exceptions.NotOpenSSLWarning"
    error_message: Optional[str] = None
    warnings: Tuple[WarningRecord, ...] = ()
    stdout: str = ""
    stderr: str = ""
    preloaded: bool = False  # already imported at start-up, so the probe saw no import


@dataclass(frozen=True)
class InterpreterFacts:
    python_version: str
    implementation: str = "CPython"
    executable: str = ""
    version_info: Tuple[int, ...] = ()
    prefix: str = ""
    base_prefix: str = ""
    is_venv: bool = False
    venv_home: Optional[str] = None  # pyvenv.cfg `home`
    sys_platform: str = ""
    machine: str = ""
    mac_ver: str = ""
    user_site: Optional[str] = None
    user_site_enabled: bool = False
    ssl: SslFacts = SslFacts(available=False)
    marker_env: Mapping[str, str] = field(default_factory=dict)
    distributions: Tuple[Distribution, ...] = ()
    certifi: CertifiFacts = CertifiFacts(installed=False)
    ca_env: Tuple[CaVariable, ...] = ()
    urllib3: Urllib3Import = Urllib3Import(installed=False)
    warnoptions: Tuple[str, ...] = ()
    pythonwarnings: Optional[str] = None
    # What the user's warning filters do with NotOpenSSLWarning, keyed by message wording
    # ("urllib3 v2.0" for 2.0.x, "urllib3 v2" for 2.1+): "default", "error", "ignore", ...
    not_openssl_action: Mapping[str, str] = field(default_factory=dict)
    too_old: bool = False  # the probe could not run (Python < 3.6): only version/ssl known
    probe_ms: float = 0.0
    wall_ms: float = 0.0  # probe subprocess wall time, start to answer
    section_errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def ssl_version(self) -> Optional[str]:
        """The TLS library string for the report's target ("OpenSSL 3.0.19 27 Jan 2026")."""
        return self.ssl.version if self.ssl.available else None

    @property
    def minor(self) -> Tuple[int, int]:
        if len(self.version_info) >= 2:
            return (self.version_info[0], self.version_info[1])
        parts = re.findall(r"\d+", self.python_version)[:2]
        return (int(parts[0]), int(parts[1])) if len(parts) == 2 else (0, 0)

    def distribution(self, name: str) -> Optional[Distribution]:
        key = normalize_name(name)
        for dist in self.distributions:
            if dist.key == key:
                return dist
        return None

    # --- building from the probe's JSON --------------------------------------------------

    @classmethod
    def from_probe(cls, answer: Mapping[str, Any], *, wall_ms: float = 0.0) -> "InterpreterFacts":
        """Parse the probe's answer; raises ProbeFailed when it is not one."""
        if not isinstance(answer, Mapping) or "too_old" not in answer:
            raise ProbeFailed("the target answered, but not with chat-doctor's probe format")
        if answer.get("too_old"):
            return cls(
                python_version=str(answer.get("python_version") or "unknown"),
                implementation=str(answer.get("implementation") or ""),
                executable=str(answer.get("executable") or ""),
                version_info=tuple(int(x) for x in answer.get("version_info") or ()),
                ssl=SslFacts(available=bool(answer.get("ssl_version")), version=answer.get("ssl_version")),
                too_old=True,
                wall_ms=wall_ms,
            )
        errors = {name: section["error"] for name, section in answer.items()
                  if isinstance(section, Mapping) and "error" in section and name != "certifi"}
        interp = _section(answer, "interpreter")
        if not interp.get("version"):
            raise ProbeFailed("the probe ran but could not read the interpreter's version: "
                              + errors.get("interpreter", "no version in the answer"))
        cfg = interp.get("pyvenv_cfg") or {}
        warn = _section(answer, "warnings")
        return cls(
            python_version=str(interp["version"]),
            implementation=str(interp.get("implementation") or ""),
            executable=str(interp.get("executable") or ""),
            version_info=tuple(int(x) for x in interp.get("version_info") or ()),
            prefix=str(interp.get("prefix") or ""),
            base_prefix=str(interp.get("base_prefix") or ""),
            is_venv=bool(interp.get("is_venv")),
            venv_home=cfg.get("home"),
            sys_platform=str(interp.get("sys_platform") or ""),
            machine=str(interp.get("machine") or ""),
            mac_ver=str(interp.get("mac_ver") or ""),
            user_site=interp.get("user_site"),
            user_site_enabled=bool(interp.get("user_site_enabled")),
            ssl=_ssl_facts(_section(answer, "ssl")),
            marker_env={str(k): str(v) for k, v in _section(answer, "marker_env").items() if k != "error"},
            distributions=tuple(_distribution(d) for d in _list(answer, "distributions") if d.get("name")),
            certifi=_certifi(_section(answer, "certifi")),
            ca_env=tuple(_ca_variable(v) for v in _list(answer, "ca_env")),
            urllib3=_urllib3(_section(answer, "urllib3"), _list(answer, "distributions")),
            warnoptions=tuple(str(w) for w in warn.get("warnoptions") or ()),
            pythonwarnings=warn.get("PYTHONWARNINGS"),
            not_openssl_action={str(k): str(v) for k, v in (warn.get("not_openssl_action") or {}).items()},
            probe_ms=float(answer.get("probe_ms") or 0.0),
            wall_ms=wall_ms,
            section_errors=errors,
        )


def _section(answer: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = answer.get(name)
    return value if isinstance(value, Mapping) else {}


def _list(answer: Mapping[str, Any], name: str) -> list:
    value = answer.get(name)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _path_facts(raw: Mapping[str, Any]) -> PathFacts:
    return PathFacts(
        exists=bool(raw.get("exists")),
        is_file=bool(raw.get("is_file")),
        is_dir=bool(raw.get("is_dir")),
        readable=bool(raw.get("readable")),
        cert_count=int(raw.get("cert_count") or 0),
        entries=int(raw.get("entries") or 0),
        hashed_names=int(raw.get("hashed_names") or 0),
        read_error=raw.get("read_error"),
    )


def _ssl_facts(raw: Mapping[str, Any]) -> SslFacts:
    if not raw.get("available"):
        return SslFacts(available=False, import_error=raw.get("import_error") or raw.get("error"))
    paths = raw.get("verify_paths") or {}
    return SslFacts(
        available=True,
        version=raw.get("version"),
        version_info=tuple(int(x) for x in raw.get("version_info") or ()),
        version_number=raw.get("version_number"),
        has_sni=bool(raw.get("has_sni", True)),
        has_tls13=bool(raw.get("has_tls13")),
        verify_paths=VerifyPaths(
            cafile=paths.get("cafile"),
            capath=paths.get("capath"),
            openssl_cafile=paths.get("openssl_cafile"),
            openssl_capath=paths.get("openssl_capath"),
            openssl_cafile_exists=bool(paths.get("openssl_cafile_exists")),
            openssl_capath_exists=bool(paths.get("openssl_capath_exists")),
        ),
    )


def _distribution(raw: Mapping[str, Any]) -> Distribution:
    return Distribution(
        name=str(raw["name"]),
        version=str(raw.get("version") or "0"),
        requires=tuple(str(r) for r in raw.get("requires") or ()),
        location=str(raw.get("location") or ""),
    )


def _certifi(raw: Mapping[str, Any]) -> CertifiFacts:
    return CertifiFacts(
        installed=bool(raw.get("installed")),
        version=raw.get("version"),
        where=raw.get("where"),
        path=_path_facts(raw),
        error=raw.get("error"),
    )


def _ca_variable(raw: Mapping[str, Any]) -> CaVariable:
    return CaVariable(
        name=str(raw.get("name")), value=str(raw.get("value")), expected=str(raw.get("expected")), path=_path_facts(raw)
    )


def _urllib3(raw: Mapping[str, Any], distributions: list) -> Urllib3Import:
    if "error" in raw and "installed" not in raw:
        return Urllib3Import(installed=False, error_message=raw["error"])
    # The imported module's own version first; its metadata when the import failed and the
    # source could not be read.
    metadata_version = next((d.get("version") for d in distributions
                             if normalize_name(str(d.get("name") or "")) == "urllib3"), None)
    return Urllib3Import(
        installed=bool(raw.get("installed")),
        version=raw.get("version") or raw.get("version_file") or metadata_version,
        origin=raw.get("file") or raw.get("origin"),
        attempted=bool(raw.get("attempted")),
        ok=raw.get("ok"),
        error_type=raw.get("error_type"),
        error_message=raw.get("error_message"),
        warnings=tuple(
            WarningRecord(
                category=str(w.get("category")),
                message=str(w.get("message")),
                filename=str(w.get("filename") or ""),
                lineno=int(w.get("lineno") or 0),
                action=w.get("action"),
            )
            for w in raw.get("warnings") or ()
            if isinstance(w, Mapping)
        ),
        stdout=str(raw.get("stdout") or ""),
        stderr=str(raw.get("stderr") or ""),
        preloaded=bool(raw.get("preloaded")),
    )
