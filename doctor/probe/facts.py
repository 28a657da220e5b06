"""What the probe found inside the target interpreter, as frozen plain data.

`InterpreterFacts.from_probe(answer)` turns the probe's JSON into these classes; rules read
them and never touch the interpreter. Fixtures in tests build them directly, e.g. "macOS
system Python 3.9.6, LibreSSL 2.8.3, urllib3 2.0.2" is a handful of constructor calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from doctor.probe.pip_facts import PipFacts


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
    pip: PipFacts = field(default_factory=PipFacts)
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
    def from_probe(cls, answer: Any, *, wall_ms: float = 0.0) -> InterpreterFacts:
        """Parse the probe's answer; raises ProbeFailed (only) when it is not one.

        The answer comes from another program (any executable can be passed as `--python`),
        so every value is type-checked as it is read: `{"python_version": 3}` or a list where
        a mapping belongs is a ProbeFailed naming the field, never a TypeError or ValueError.
        """
        if not isinstance(answer, Mapping) or "too_old" not in answer:
            raise ProbeFailed("the target answered, but not with chat-doctor's probe format")
        try:
            return cls._from_answer(answer, wall_ms)
        except _WrongShape as exc:
            raise ProbeFailed(f"the target's probe answer has the wrong shape: {exc}") from None

    @classmethod
    def _from_answer(cls, answer: Mapping[str, Any], wall_ms: float) -> InterpreterFacts:
        top = _Raw(answer, "")
        if top.flag("too_old"):
            return cls(
                python_version=top.text("python_version") or "unknown",
                implementation=top.text("implementation"),
                executable=top.text("executable"),
                version_info=top.ints("version_info"),
                ssl=SslFacts(available=bool(top.opt_text("ssl_version")), version=top.opt_text("ssl_version")),
                too_old=True,
                wall_ms=wall_ms,
            )
        errors = {name: section["error"] for name, section in answer.items()
                  if isinstance(section, Mapping) and isinstance(section.get("error"), str) and name != "certifi"}
        interp = top.section("interpreter")
        if not interp.opt_text("version"):
            raise ProbeFailed("the probe ran but could not read the interpreter's version: "
                              + errors.get("interpreter", "no version in the answer"))
        cfg = interp.section("pyvenv_cfg")
        warn = top.section("warnings")
        distributions = top.items("distributions")
        return cls(
            python_version=interp.text("version"),
            implementation=interp.text("implementation"),
            executable=interp.text("executable"),
            version_info=interp.ints("version_info"),
            prefix=interp.text("prefix"),
            base_prefix=interp.text("base_prefix"),
            is_venv=interp.flag("is_venv"),
            venv_home=cfg.opt_text("home"),
            sys_platform=interp.text("sys_platform"),
            machine=interp.text("machine"),
            mac_ver=interp.text("mac_ver"),
            user_site=interp.opt_text("user_site"),
            user_site_enabled=interp.flag("user_site_enabled"),
            ssl=_ssl_facts(top.section("ssl")),
            marker_env=top.section("marker_env").texts(skip=("error",)),
            distributions=tuple(_distribution(d) for d in distributions if d.opt_text("name")),
            certifi=_certifi(top.section("certifi")),
            ca_env=tuple(_ca_variable(v) for v in top.items("ca_env")),
            urllib3=_urllib3(top.section("urllib3"), distributions),
            pip=PipFacts.read(top.section("pip").opt_text),
            warnoptions=warn.strs("warnoptions"),
            pythonwarnings=warn.opt_text("PYTHONWARNINGS"),
            not_openssl_action=warn.section("not_openssl_action").texts(),
            probe_ms=top.number("probe_ms"),
            wall_ms=wall_ms,
            section_errors=errors,
        )


class _WrongShape(ValueError):
    """A value of the probe's answer is not of the type the probe writes there."""


class _Raw:
    """One mapping of the probe's answer, read with type checks. Missing or null values get
    the field's default; a value of another type raises _WrongShape naming its path."""

    def __init__(self, raw: Mapping[str, Any], path: str) -> None:
        self.raw, self.path = raw, path

    def _get(self, key: str, types: Tuple[type, ...], what: str) -> Any:
        value = self.raw.get(key)
        # bool is an int subclass: {"cert_count": true} is as wrong as {"version": 3}
        if value is None or (isinstance(value, types) and not (isinstance(value, bool) and bool not in types)):
            return value
        raise _WrongShape(f"{self.path}{key} is {_kind(value)}, not {what}")

    def text(self, key: str) -> str:
        return self._get(key, (str,), "text") or ""

    def opt_text(self, key: str) -> Optional[str]:
        return self._get(key, (str,), "text")

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, (bool,), "true/false")
        return default if value is None else value

    def opt_flag(self, key: str) -> Optional[bool]:
        return self._get(key, (bool,), "true/false")

    def count(self, key: str) -> int:
        return self._get(key, (int,), "a whole number") or 0

    def opt_int(self, key: str) -> Optional[int]:
        return self._get(key, (int,), "a whole number")

    def number(self, key: str) -> float:
        try:
            return float(self._get(key, (int, float), "a number") or 0.0)
        except OverflowError:  # a JSON whole number has no limit; a float has
            raise _WrongShape(f"{self.path}{key} is a number too large") from None

    def _list(self, key: str) -> list:
        return self._get(key, (list,), "a list") or []

    def ints(self, key: str) -> Tuple[int, ...]:
        values = self._list(key)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise _WrongShape(f"{self.path}{key} is not a list of whole numbers")
        return tuple(values)

    def strs(self, key: str) -> Tuple[str, ...]:
        values = self._list(key)
        if not all(isinstance(v, str) for v in values):
            raise _WrongShape(f"{self.path}{key} is not a list of texts")
        return tuple(values)

    def section(self, key: str) -> _Raw:
        return _Raw(self._get(key, (Mapping,), "a mapping") or {}, f"{self.path}{key}.")

    def items(self, key: str) -> list[_Raw]:
        values = self._list(key)
        if not all(isinstance(v, Mapping) for v in values):
            raise _WrongShape(f"{self.path}{key} is not a list of mappings")
        return [_Raw(v, f"{self.path}{key}[{i}].") for i, v in enumerate(values)]

    def texts(self, skip: Tuple[str, ...] = ()) -> Dict[str, str]:
        """The whole mapping as text -> text."""
        out = {}
        for key, value in self.raw.items():
            if key in skip:
                continue
            if not isinstance(value, str):
                raise _WrongShape(f"{self.path}{key} is {_kind(value)}, not text")
            out[str(key)] = value
        return out


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


def _path_facts(raw: _Raw) -> PathFacts:
    return PathFacts(
        exists=raw.flag("exists"),
        is_file=raw.flag("is_file"),
        is_dir=raw.flag("is_dir"),
        readable=raw.flag("readable"),
        cert_count=raw.count("cert_count"),
        entries=raw.count("entries"),
        hashed_names=raw.count("hashed_names"),
        read_error=raw.opt_text("read_error"),
    )


def _ssl_facts(raw: _Raw) -> SslFacts:
    if not raw.flag("available"):
        return SslFacts(available=False, import_error=raw.opt_text("import_error") or raw.opt_text("error"))
    paths = raw.section("verify_paths")
    return SslFacts(
        available=True,
        version=raw.opt_text("version"),
        version_info=raw.ints("version_info"),
        version_number=raw.opt_int("version_number"),
        has_sni=raw.flag("has_sni", True),
        has_tls13=raw.flag("has_tls13"),
        verify_paths=VerifyPaths(
            cafile=paths.opt_text("cafile"),
            capath=paths.opt_text("capath"),
            openssl_cafile=paths.opt_text("openssl_cafile"),
            openssl_capath=paths.opt_text("openssl_capath"),
            openssl_cafile_exists=paths.flag("openssl_cafile_exists"),
            openssl_capath_exists=paths.flag("openssl_capath_exists"),
        ),
    )


def _distribution(raw: _Raw) -> Distribution:
    return Distribution(
        name=raw.text("name"),
        version=raw.text("version") or "0",
        requires=raw.strs("requires"),
        location=raw.text("location"),
    )


def _certifi(raw: _Raw) -> CertifiFacts:
    return CertifiFacts(
        installed=raw.flag("installed"),
        version=raw.opt_text("version"),
        where=raw.opt_text("where"),
        path=_path_facts(raw),
        error=raw.opt_text("error"),
    )


def _ca_variable(raw: _Raw) -> CaVariable:
    return CaVariable(name=raw.text("name"), value=raw.text("value"), expected=raw.text("expected"), path=_path_facts(raw))


def _urllib3(raw: _Raw, distributions: list[_Raw]) -> Urllib3Import:
    if "error" in raw.raw and "installed" not in raw.raw:
        return Urllib3Import(installed=False, error_message=raw.opt_text("error"))
    # The imported module's own version first; its metadata when the import failed and the
    # source could not be read.
    metadata_version = next((d.opt_text("version") for d in distributions
                             if normalize_name(d.text("name")) == "urllib3"), None)
    return Urllib3Import(
        installed=raw.flag("installed"),
        version=raw.opt_text("version") or raw.opt_text("version_file") or metadata_version,
        origin=raw.opt_text("file") or raw.opt_text("origin"),
        attempted=raw.flag("attempted"),
        ok=raw.opt_flag("ok"),
        error_type=raw.opt_text("error_type"),
        error_message=raw.opt_text("error_message"),
        warnings=tuple(
            WarningRecord(
                category=w.text("category"),
                message=w.text("message"),
                filename=w.text("filename"),
                lineno=w.count("lineno"),
                action=w.opt_text("action"),
            )
            for w in raw.items("warnings")
        ),
        stdout=raw.text("stdout"),
        stderr=raw.text("stderr"),
        preloaded=raw.flag("preloaded"),
    )
