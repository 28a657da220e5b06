"""Real virtual environments for tests, built once and cached.

    from tests.support.venvs import make_venv, pyenv_python, venv_python
    venv = make_venv(pyenv_python("3.11"), ["urllib3==2.0.2"], sitecustomize=LIBRESSL)
    subprocess.run([str(venv_python(venv)), "-c", "import urllib3"])

How: `python -m venv --without-pip` (about 50 ms), then the *host* pip (the one running the
tests) installs into it with `pip --python <venv python> install --no-index --find-links
<wheels>`. Wheels are fetched with `pip download` only when the local wheel cache cannot
satisfy the request, so re-runs need no network. `pip --python` runs the host pip's code
inside the target interpreter, so targets must be able to run that pip (pip 23.2: 3.7+).

Everything lives under `$CHAT_DOCTOR_TEST_CACHE` (default ~/.cache/chat-doctor-tests):
`wheels/` and `venvs/<hash of the spec>/`. A cached venv is reused when its spec matches
and its interpreter still starts; otherwise it is rebuilt. Builds take a file lock, so
parallel test processes never build the same venv twice at once.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple

import pytest

# Bump when the build recipe changes, so stale caches are rebuilt rather than trusted.
_RECIPE = 1
_READY = ".chat-doctor-venv.json"


# --- finding interpreters ----------------------------------------------------------------
# The suite runs on any machine: interpreters come from pyenv (`$PYENV_ROOT`, else `pyenv root`
# of the pyenv on PATH) or from `pythonX.Y` on PATH, never from a fixed path. A test whose
# interpreter is missing is skipped with the reason, never failed.

# Prints "X.Y.Z 1" inside a venv, "X.Y.Z 0" outside, on any Python from 2.7 on: what a PATH
# candidate really is.
_WHO = "import sys; print('%d.%d.%d %d' % (sys.version_info[:3] + (sys.prefix != getattr(sys, 'base_prefix', sys.prefix),)))"


@functools.lru_cache(maxsize=None)
def pyenv_root() -> Optional[Path]:
    """pyenv's root: `$PYENV_ROOT`, else what `pyenv root` says; None when there is no pyenv."""
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    proc = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=60)
    return Path(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else None


def _version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _matches(found: str, wanted: str) -> bool:
    """"3.11.7" wants exactly that release; "3.11" any 3.11.x."""
    return found == wanted or (wanted.count(".") == 1 and found.startswith(wanted + "."))


def _from_pyenv(wanted: str) -> Optional[str]:
    root = pyenv_root()
    if root is None:
        return None
    versions = [p for p in (root / "versions").glob("*") if (p / "bin" / "python").exists() and _matches(p.name, wanted)]
    if not versions:
        return None
    return str(max(versions, key=lambda p: _version_key(p.name)) / "bin" / "python")


def _from_path(wanted: str) -> Optional[str]:
    """`pythonX.Y` on PATH, asked for its version (a pyenv shim may name a version it cannot run)
    and refused when it is a virtual environment's: tests build their own from base interpreters."""
    minor = ".".join(wanted.split(".")[:2])
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory or ".", f"python{minor}")
        if not os.access(candidate, os.X_OK):
            continue
        try:
            proc = subprocess.run([str(candidate), "-c", _WHO], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        answer = proc.stdout.split()
        if proc.returncode == 0 and len(answer) == 2 and _matches(answer[0], wanted) and answer[1] == "0":
            return str(candidate)
    return None


@functools.lru_cache(maxsize=None)
def find_python(version: str) -> Optional[str]:
    """A base interpreter of `version` ("3.11" for the newest 3.11.x, "3.11.7" for exactly that):
    pyenv's first, then PATH's; None when this machine has none."""
    return _from_pyenv(version) or _from_path(version)


def pyenv_python(version: str) -> str:
    """The interpreter for `version` (see find_python); skips the calling test when there is none."""
    python = find_python(version)
    if python is None:
        root = pyenv_root()
        pyenv = f"none in pyenv ({root})" if root else "no pyenv (PYENV_ROOT unset, no pyenv on PATH)"
        pytest.skip(f"needs Python {version}: {pyenv}, no python{'.'.join(version.split('.')[:2])} on PATH")
    return python


def needs_pyenv_command() -> None:
    """Skips the calling test unless `pyenv` itself is on PATH (a printed fix runs `pyenv prefix`)."""
    if shutil.which("pyenv") is None:
        pytest.skip("needs the pyenv command on PATH: the fix under test runs `pyenv prefix`")


def cache_dir() -> Path:
    root = Path(os.environ.get("CHAT_DOCTOR_TEST_CACHE") or Path.home() / ".cache" / "chat-doctor-tests")
    root.mkdir(parents=True, exist_ok=True)
    return root


def wheels_dir() -> Path:
    path = cache_dir() / "wheels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def make_venv(
    python: str,
    packages: Sequence[str] = (),
    sitecustomize: Optional[str] = None,
    *,
    no_deps: bool = False,
) -> Path:
    """A venv of `python` with `packages` installed (pip requirement strings) and, when given,
    `sitecustomize` written to its site-packages (it runs at every interpreter start).

    Returns the venv directory; `venv_python(venv)` is its interpreter. Cached by spec.
    `no_deps` installs exactly the listed packages (e.g. an old openai without its stack).
    """
    spec = {
        "recipe": _RECIPE,
        "python": os.path.realpath(python),
        "packages": list(packages),
        "sitecustomize": sitecustomize,
        "no_deps": no_deps,
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    venv = cache_dir() / "venvs" / digest
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _lock(venv.parent / f"{digest}.lock"):
        if _is_ready(venv, spec):
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        _build(venv, python, list(packages), sitecustomize, no_deps)
        (venv / _READY).write_text(json.dumps(spec, sort_keys=True))
    return venv


def _is_ready(venv: Path, spec: dict) -> bool:
    marker = venv / _READY
    try:
        if json.loads(marker.read_text()) != json.loads(json.dumps(spec, sort_keys=True)):
            return False
    except (OSError, ValueError):
        return False
    # The base interpreter may have been removed or rebuilt since: the venv is then broken.
    probe = subprocess.run([str(venv_python(venv)), "-c", "pass"], capture_output=True, timeout=60)
    return probe.returncode == 0


def _build(venv: Path, python: str, packages: list, sitecustomize: Optional[str], no_deps: bool) -> None:
    _run([python, "-m", "venv", "--without-pip", str(venv)])
    target = str(venv_python(venv))
    if packages:
        _install(target, packages, no_deps)
    if sitecustomize is not None:
        # Written after installing: pip runs inside the target and must see the real ssl module.
        purelib = _run([target, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
        Path(purelib, "sitecustomize.py").write_text(sitecustomize)


def _install(target: str, packages: list, no_deps: bool) -> None:
    wheels = str(wheels_dir())
    deps = ["--no-deps"] if no_deps else []
    offline = [sys.executable, "-m", "pip", "--python", target, "install", "--no-index", "--find-links", wheels,
               *deps, *packages]
    if subprocess.run(offline, capture_output=True, text=True, env=_pip_env(), timeout=600).returncode == 0:
        return
    # Cache miss: fetch what this interpreter needs (resolved for it), then install offline.
    # Local wheels (e.g. chat-doctor built from this checkout) keep their file name across
    # source changes: a copy left in the cache would be taken for the new one ("File was
    # already downloaded") and resolve stale requirements, so copies are dropped around it.
    local = [Path(p) for p in packages if os.sep in p and Path(p).exists()]
    _forget_copies(local)
    _run([sys.executable, "-m", "pip", "--python", target, "download", "--dest", wheels, *deps, *packages])
    _forget_copies(local)
    _run(offline)


def fetch_wheels(target: str, requirements: Sequence[str]) -> None:
    """Wheels for `requirements`, resolved for the interpreter `target`, into the cache: a printed
    fix that a test runs offline (PIP_NO_INDEX, PIP_FIND_LINKS=wheels_dir()) then finds them
    whichever tests ran before it."""
    _run([sys.executable, "-m", "pip", "--python", target, "download", "--dest", str(wheels_dir()), *requirements])


def _forget_copies(local_files: list) -> None:
    for path in local_files:
        copy = wheels_dir() / path.name
        if copy.exists() and copy.resolve() != path.resolve():
            copy.unlink()


def _pip_env() -> dict:
    env = dict(os.environ)
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PYTHONWARNINGS": "ignore"})
    # A test's own PYTHONPATH or VIRTUAL_ENV must not leak into the build.
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    return env


def _run(cmd: Sequence[str]) -> str:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=_pip_env(), timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- simulating another TLS library ------------------------------------------------------
# A sitecustomize for make_venv(): when CHAT_DOCTOR_TEST_SSL is set (JSON of the three
# values), it replaces ssl.OPENSSL_VERSION / _INFO / _NUMBER at interpreter start-up, before
# anything imports urllib3. urllib3's check reads only these (facts §1.4), so the
# simulation is exact for it; nothing else about TLS changes.
SSL_SIM_SITECUSTOMIZE = '''\
import os
_sim = os.environ.get("CHAT_DOCTOR_TEST_SSL")
if _sim:
    import json, ssl
    _version, _info, _number = json.loads(_sim)
    ssl.OPENSSL_VERSION = _version
    ssl.OPENSSL_VERSION_INFO = tuple(_info)
    ssl.OPENSSL_VERSION_NUMBER = _number
'''

# The values CPython reports for each library (facts §1.3/§1.4); None: the machine's real one.
TLS_LIBRARIES = {
    "libressl-2.8.3": ("LibreSSL 2.8.3", (2, 0, 0, 0, 0), 0x20000000),
    "openssl-1.0.2k": ("OpenSSL 1.0.2k-fips  26 Jan 2017", (1, 0, 2, 11, 15), 0x100020BF),
    "openssl-1.1.0h": ("OpenSSL 1.1.0h  27 Mar 2018", (1, 1, 0, 8, 15), 0x1010008F),
    "openssl-1.1.1k": ("OpenSSL 1.1.1k  25 Mar 2021", (1, 1, 1, 11, 15), 0x101010BF),
    "openssl-3.x": None,
}


def ssl_sim_env(library: str) -> dict:
    """The environment that makes a SSL_SIM_SITECUSTOMIZE venv report `library`."""
    values = TLS_LIBRARIES[library]
    return {} if values is None else {"CHAT_DOCTOR_TEST_SSL": json.dumps(values)}
