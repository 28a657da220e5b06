"""Where Python interpreters live on this machine: the places `chat-doctor pythons` looks, as
rules over a filesystem, and the first of its two deduplications (by real path).

Files only: nothing here starts a process. A pyenv shim on PATH is read, not run
(doctor.probe.pyenv_shims): one that resolves becomes the interpreter it runs (the shim one of
its aliases), one the selected version lacks is set apart as `inactive` (not a probe, not a
row), and only one whose outcome only pyenv's bash can tell stays a candidate of its own. What needs one (`pyenv root`, `uv python dir`) is
asked beforehand (doctor.probe.tool_dirs) and handed in through `Places`, with the environment
chat-doctor reads (Settings.env, never os.environ) and the home directory. Fixed system
locations (/usr/bin, /opt/homebrew, /Library/Frameworks) are read under `Places.root`, "/" in a
real run, so the rules can be tested on a directory tree made in tmp_path.

The order of the places is the order of the table, and the first path found for an interpreter
is the one shown (the others become its aliases): the active virtual environment, then PATH in
its own order (what `python3` runs), then the install channels.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from doctor.probe import pyenv_shims

# How a candidate was found (the JSON's `found_by`).
BY_VENV = "VIRTUAL_ENV"
BY_PATH = "PATH"
BY_PYENV = "pyenv"
BY_HOMEBREW = "Homebrew"
BY_SYSTEM = "system"
BY_PYTHON_ORG = "python.org"
BY_UV = "uv"
BY_CONDA = "conda"
BY_ASDF = "asdf"

# `python3`, `python3.12`, `python3.13t` (free-threaded): the interpreters. Not `python3-config`
# or `python3.12-config` (shell scripts printing build flags), which `python3*` would also match.
_NAME = re.compile(r"python3(?:\.\d+)?t?")
# Past this many the rest are not probed (and the JSON says how many were left out): a PATH of
# thousands of entries must not become thousands of processes.
MAX_CANDIDATES = 64


@dataclass(frozen=True)
class Places:
    """Everything the rules read besides the files themselves."""

    env: Mapping[str, str]
    home: Optional[Path]
    root: Path = Path("/")
    pyenv_root: Optional[Path] = None  # $PYENV_ROOT, else what `pyenv root` printed
    uv_dir: Optional[Path] = None  # what `uv python dir` printed
    cwd: Optional[Path] = None  # where pyenv looks for .python-version; None: shims are run, not read


@dataclass(frozen=True)
class Candidate:
    """One interpreter to probe: the path shown, how it was found, the other paths to it."""

    path: str
    found_by: Tuple[str, ...]
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class InactiveShim:
    """A pyenv shim that runs nothing under the selected version(s): shown as one line."""

    path: str
    resolution: pyenv_shims.Resolution


@dataclass(frozen=True)
class Discovery:
    candidates: Tuple[Candidate, ...]
    left_out: int = 0  # found beyond MAX_CANDIDATES, not probed
    inactive: Tuple[InactiveShim, ...] = ()


def discover(places: Places, limit: int = MAX_CANDIDATES) -> Discovery:
    """Every interpreter the places hold, one candidate per real interpreter file (see `same_key`)."""
    merged: Dict[Tuple[str, Optional[str]], Candidate] = {}
    inactive: Dict[str, InactiveShim] = {}
    memo: Dict[Tuple[Path, str], pyenv_shims.Setting] = {}  # each pyenv's hooks and selection, read once
    for found_path, how in _found(places):
        resolution = _shim_resolution(found_path, places, memo)
        if resolution is not None and resolution.status == pyenv_shims.INACTIVE:
            inactive.setdefault(found_path, InactiveShim(found_path, resolution))
            continue
        resolved = resolution is not None and resolution.status == pyenv_shims.RESOLVED
        path = resolution.path if resolution is not None and resolved else found_path
        for shown in (path, found_path) if path != found_path else (path,):
            _merge(merged, same_key(path), shown, how)
    found = tuple(merged.values())
    return Discovery(found[:limit], max(0, len(found) - limit), tuple(inactive.values()))


def _merge(merged: Dict[Tuple[str, Optional[str]], Candidate], key: Tuple[str, Optional[str]], path: str,
           how: str) -> None:
    known = merged.get(key)
    if known is None:
        merged[key] = Candidate(path, (how,))
    elif path != known.path and path not in known.aliases:
        merged[key] = replace(known, aliases=(*known.aliases, path),
                              found_by=known.found_by if how in known.found_by else (*known.found_by, how))
    elif how not in known.found_by:
        merged[key] = replace(known, found_by=(*known.found_by, how))


def _shim_resolution(path: str, places: Places,
                     memo: Dict[Tuple[Path, str], pyenv_shims.Setting]) -> Optional[pyenv_shims.Resolution]:
    """A pyenv shim's outcome; None for anything that is not one (or when there is no cwd)."""
    if places.cwd is None or Path(path).parent.name != "shims":
        return None  # shims live in $PYENV_ROOT/shims: other files are not even opened
    shim = pyenv_shims.read_shim(path)
    return pyenv_shims.resolve(shim, places.env, places.cwd, places.root, memo) if shim is not None else None


def same_key(path: str) -> Tuple[str, Optional[str]]:
    """Two paths run the same interpreter when they resolve to the same file *and* start it in
    the same environment. The second half matters: a venv's bin/python is a symlink to its base
    interpreter, yet it runs with the venv's prefix, because Python looks for pyvenv.cfg beside
    the path it was started as (or one directory up), not beside the resolved file."""
    where = Path(path).parent
    marker = next((str(d) for d in (where, where.parent) if (d / "pyvenv.cfg").is_file()), None)
    return (os.path.realpath(path), marker)


def _found(places: Places) -> Iterator[Tuple[str, str]]:
    env, home, root = places.env, places.home, places.root
    venv = env.get("VIRTUAL_ENV")
    if venv:
        yield from _first_of(Path(venv) / "bin", BY_VENV)
    for entry in env.get("PATH", "").split(os.pathsep):
        # A relative entry ("", ".") means whatever directory chat-doctor happens to run in.
        if entry and os.path.isabs(entry):
            yield from _named_in(Path(entry), BY_PATH)
    if places.pyenv_root is not None:
        for version in _subdirs(places.pyenv_root / "versions"):
            yield from _first_of(version / "bin", BY_PYENV)
    for prefix in (root / "opt/homebrew", root / "usr/local"):
        for formula in _subdirs(prefix / "opt", "python@*"):
            yield from _named_in(formula / "bin", BY_HOMEBREW)
    yield from _named_in(root / "opt/homebrew/bin", BY_HOMEBREW)
    yield from _first_of(root / "usr/bin", BY_SYSTEM, names=("python3",))
    for version in _subdirs(root / "Library/Frameworks/Python.framework/Versions"):
        yield from _first_of(version / "bin", BY_PYTHON_ORG)
    if places.uv_dir is not None:
        for install in _subdirs(places.uv_dir):
            yield from _first_of(install / "bin", BY_UV)
    yield from _conda(env, home)
    asdf = Path(env["ASDF_DATA_DIR"]) if env.get("ASDF_DATA_DIR") else (home / ".asdf" if home else None)
    if asdf is not None:
        for version in _subdirs(asdf / "installs/python"):
            yield from _first_of(version / "bin", BY_ASDF)


def _conda(env: Mapping[str, str], home: Optional[Path]) -> Iterator[Tuple[str, str]]:
    prefix = env.get("CONDA_PREFIX")
    if prefix:
        yield from _first_of(Path(prefix) / "bin", BY_CONDA)
    if home is None:
        return
    for base in (home / "miniconda3", home / "anaconda3", home / "miniforge3"):
        yield from _first_of(base / "bin", BY_CONDA)
        for conda_env in _subdirs(base / "envs"):
            yield from _first_of(conda_env / "bin", BY_CONDA)


def _first_of(directory: Path, how: str, names: Tuple[str, ...] = ("python3", "python")) -> Iterator[Tuple[str, str]]:
    """The first of `names` in `directory` that is an executable file (an install's own bin/)."""
    for name in names:
        candidate = directory / name
        if _runnable(candidate):
            yield (str(candidate), how)
            return


def _named_in(directory: Path, how: str) -> Iterator[Tuple[str, str]]:
    """Every interpreter name in a shared bin/ directory: `python3` first, then by version."""
    names: List[str] = []
    try:
        # startswith first: /usr/bin holds thousands of names, a handful of them Pythons; listdir,
        # not scandir: only names are needed, and a DirEntry each costs more (this runs before
        # the first probe can start)
        names = [name for name in os.listdir(directory) if name.startswith("python3") and _NAME.fullmatch(name)]
    except OSError:  # missing, not a directory, not readable: nothing there for us
        return
    for name in sorted(names, key=_name_order):
        if _runnable(directory / name):
            yield (str(directory / name), how)


def _name_order(name: str) -> Tuple[int, ...]:
    """python3 < python3.9 < python3.13 < python3.13t (and 3.9.18 < 3.10.13): numbers as numbers."""
    numbers = tuple(int(part) for part in re.findall(r"\d+", name))
    return (*numbers, name.endswith("t"))


def _subdirs(directory: Path, pattern: str = "*") -> List[Path]:
    """Sub-directories, versions in numeric order first; `Current` (python.org's symlink to one
    of them) comes after them, so it becomes the alias and the versioned path is shown."""
    try:
        found = [p for p in directory.glob(pattern) if p.is_dir()]
    except OSError:
        return []
    return sorted(found, key=lambda p: (not _name_order(p.name)[:-1], _name_order(p.name), p.name))


def _runnable(path: Path) -> bool:
    try:
        return path.is_file() and os.access(path, os.X_OK)
    except OSError:
        return False


# --- the order probes are started in ---------------------------------------------------------
# A probe whose interpreter has urllib3 imports it for real (and ssl, and more): 3 to 5 times a
# bare probe. Started first, it runs while the others start; started last, it is the tail the
# whole command waits for (scripts/bench.py pythons). The table keeps the discovery order.


def probe_order(candidates: Tuple[Candidate, ...]) -> Tuple[Candidate, ...]:
    """The candidates, those whose site-packages holds urllib3 first (a few stats each)."""
    slow = [candidate for candidate in candidates if has_urllib3(candidate.path)]
    return (*slow, *(candidate for candidate in candidates if candidate not in slow))


def has_urllib3(python: str) -> bool:
    """Whether the prefix of `python` (a venv's, or the interpreter's real one) has a
    lib/python3*/site-packages/urllib3 (or Debian's lib/python3/dist-packages/urllib3)."""
    prefixes = {os.path.dirname(os.path.dirname(python))}
    try:
        prefixes.add(os.path.dirname(os.path.dirname(os.path.realpath(python))))
    except OSError:
        pass
    for prefix in prefixes:
        lib = os.path.join(prefix, "lib")
        try:
            with os.scandir(lib) as entries:
                versions = [entry.name for entry in entries if entry.name.startswith("python3")]
        except OSError:
            continue
        for version in versions:
            for packages in ("site-packages", "dist-packages"):
                if os.path.isdir(os.path.join(lib, version, packages, "urllib3")):
                    return True
    return False
