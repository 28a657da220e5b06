"""What a pyenv shim runs, worked out from files instead of by running pyenv's bash.

A shim (`$PYENV_ROOT/shims/python3.12`) is a bash script that runs `pyenv exec python3.12`,
which picks the selected version and execs `versions/<v>/bin/python3.12`. Run for every shim,
that is 200-320 ms of CPU each (bash, then pyenv-exec, -version-name, -which, -hooks...), and
a shim whose command the selected version lacks just fails ("pyenv: python3.6: command not
found"). The rules below follow pyenv's own source (libexec/pyenv, pyenv-exec, pyenv-which,
pyenv-version-name, pyenv-version-file, pyenv-version-file-read, pyenv-latest; checked against
pyenv 2.6 and 2.8):

- the selection: PYENV_VERSION (colon-separated); else the first `.python-version` walking up
  from PYENV_DIR (else the working directory), then from the working directory; else
  `$PYENV_ROOT/version`; else "system". A file gives the first word of each line (comments and
  blank lines skipped), joined by colons;
- each name: an installed `versions/<name>`, "system", the name without `python-`, or the
  newest installed release with that prefix (`3.12` -> `3.12.1`);
- pyenv-which tries every selected version and then "system" in any case: the first with an
  executable `bin/<command>` wins; "system" is the command on PATH without the shims directory;
- hooks (`*.bash` under PYENV_HOOK_PATH for version-name, which, exec) can change any of
  that. The ones pyenv and pyenv-virtualenv ship are known by their content and cannot touch a
  `python3.X` command (below); any other hook, a shim that is not pyenv's template, a version
  name pyenv would have to guess about, makes the answer UNCERTAIN, and the caller runs the
  shim as before. Being wrong here would show the wrong interpreter, so doubt falls back.

Pure apart from `resolve`'s reads (stat, small reads, directory listings); no process.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

RESOLVED = "resolved"  # `path` is what the shim runs
INACTIVE = "inactive"  # the shim runs nothing: the selected versions lack the command
UNCERTAIN = "uncertain"  # only running the shim tells (`reason` says why)

# A shim is a few hundred bytes; anything much larger is not pyenv's template.
_SHIM_MAX = 4096
# pyenv-version-file-read reads each line with `read -n 1024`; a version file beyond this is
# not one we try to read word by word.
_VERSION_FILE_MAX = 64 * 1024
_LINE_MAX = 1024

# pyenv-rehash's prototype shim (2.x), with its two baked-in paths as groups.
_SHIM = re.compile(
    r'#!/usr/bin/env bash\nset -e\n\[ -n "\$PYENV_DEBUG" \] && set -x\n\n'
    r'program="\$\{0##\*/\}"\n\n'
    r'export PYENV_ROOT="(?P<root>[^"\n$`\\]+)"\n'
    r'SHIM_PATH=\$\{0%/\*\}\n'
    r'if \[\[ \$SHIM_PATH != "(?P=root)/shims" \]\]; then\n'
    r'  export _PYENV_SHIM_PATH="\$SHIM_PATH"\nfi\n'
    r'exec "(?P<pyenv>[^"\n$`\\]+)" exec "\$program" "\$@"\n\Z'
)

# Hooks whose effect on a `python3[.X]` command with `-c <probe>` arguments is none, by
# (phase, file name) -> sha256 of the versions read: pyenv's exec/pip-rehash.bash acts for
# pip/easy_install/conda or ` -m pip ` arguments only; pyenv-virtualenv's which/conda.bash for
# `conda` only, which/python-config.bash for `python*-config` only. Its
# which/system-site-packages.bash acts only when no version has the command and the first
# selected one is a virtualenv (`bin/activate`): `resolve` treats that case as UNCERTAIN.
_HARMLESS_HOOKS: Dict[Tuple[str, str], FrozenSet[str]] = {
    ("exec", "pip-rehash.bash"): frozenset({
        "5c9bbfd89e90fd6f97bd5cfd5bfcf547514b989037ec42dc540790830ba6b126",  # pyenv 2.6.8+
        "d599c7b4800a989eeca4b69ab8c7a9c139fa2cbf52141f6b8a5d42b64a7960f3",
        "66a32a60c36fb9caa0f6ee337fe50ed0a4ead32f82b21e43af62795f9c18b731",
    }),
    ("which", "conda.bash"): frozenset({"7b2d31d9b9570ccd6cfce46ea29f61ac87deb372f84a8d93e30f4007693ab104"}),
    ("which", "python-config.bash"): frozenset({"e5b7db4fb65b3d5fecc872d0d5a1386427049d35a5be5c43eb6a3ee6c08e6f1d"}),
}
_SITE_PACKAGES_HOOK = ("which", "system-site-packages.bash")
_SITE_PACKAGES_HASHES = frozenset({"66a033c9d090f0bf7bed9354d83d360703a7359cddf797c4db9a6fdd77c9ff80"})
# The interpreter names resolved here (doctor.probe.discovery's, which are all it asks about).
_COMMAND = re.compile(r"python3(?:\.\d+)?t?")
_PHASES = ("version-name", "which", "exec")
# pyenv's fixed hook directories (libexec/pyenv), after $PYENV_ROOT/pyenv.d and the install's.
_SYSTEM_HOOK_DIRS = ("/usr/etc/pyenv.d", "/usr/local/etc/pyenv.d", "/etc/pyenv.d", "/usr/lib/pyenv/hooks")


@dataclass(frozen=True)
class Selection:
    """The versions pyenv selects and what selected them (for the user: where to change it)."""

    versions: Tuple[str, ...]  # names as pyenv resolved them ("3.11.7", "system")
    origin: str  # "PYENV_VERSION", a .python-version path, $PYENV_ROOT/version, or "default"


@dataclass(frozen=True)
class Resolution:
    status: str
    command: str
    path: str = ""  # RESOLVED: the interpreter the shim runs
    selection: Optional[Selection] = None
    reason: str = ""  # UNCERTAIN: why the shim must be run
    available: Tuple[str, ...] = ()  # INACTIVE: installed versions that have the command, newest first


@dataclass(frozen=True)
class Shim:
    """A file that is pyenv's shim, with the paths baked into it."""

    path: str
    command: str
    root: Path  # the PYENV_ROOT it exports (which wins over the caller's)
    pyenv: str  # the pyenv it execs


def read_shim(path: str) -> Optional[Shim]:
    """The shim in `path` if it is pyenv's template and lives in its root's shims/, else None."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_SHIM_MAX + 1)
    except OSError:
        return None
    if len(data) > _SHIM_MAX:
        return None
    match = _SHIM.match(data.decode("utf-8", "replace"))
    if match is None:
        return None
    root = Path(match["root"])
    if Path(path).parent != root / "shims":
        return None  # a copied shim sets _PYENV_SHIM_PATH, which changes "system": not ours to guess
    return Shim(path=path, command=Path(path).name, root=root, pyenv=match["pyenv"])


@dataclass(frozen=True)
class Setting:
    """What every shim of one pyenv shares for one env and cwd: read once, not once per shim."""

    hooks: Tuple[Tuple[str, str, str], ...]  # (phase, name, sha256)
    selection: Union[Selection, str]  # a str: why pyenv would have to guess
    path_dirs: Tuple[str, ...]  # PATH as pyenv-which searches it for "system"


def resolve(shim: Shim, env: Mapping[str, str], cwd: Optional[Path], fs_root: Path = Path("/"),
            memo: Optional[Dict[Tuple[Path, str], Setting]] = None) -> Resolution:
    """What `shim` runs for a process with `env` started in `cwd`, as pyenv would decide it
    (pyenv's fixed hook directories, /etc/pyenv.d..., read under `fs_root`). `memo`, shared by
    calls with the same env, cwd and fs_root, keeps each pyenv's Setting."""
    command = shim.command
    if _COMMAND.fullmatch(command) is None:
        # The known hooks are harmless for interpreters only (python-config.bash acts on *-config).
        return Resolution(UNCERTAIN, command, reason=f"{command} is not an interpreter's name")
    if cwd is None:
        return Resolution(UNCERTAIN, command, reason="the working directory no longer exists")
    if any(key.startswith("_PYENV_SHIM_PATHS_") for key in env):
        return Resolution(UNCERTAIN, command, reason="_PYENV_SHIM_PATHS_* is set")
    key = (shim.root, shim.pyenv)
    setting = memo.get(key) if memo is not None else None
    if setting is None:
        setting = _setting(shim, env, cwd, fs_root)
        if memo is not None:
            memo[key] = setting
    hooks, selection = setting.hooks, setting.selection
    odd = next((hook for hook in hooks if not _known_hook(hook)), None)
    if odd is not None:
        return Resolution(UNCERTAIN, command, reason=f"pyenv hook {odd[1]}")
    if isinstance(selection, str):
        return Resolution(UNCERTAIN, command, reason=selection)
    for version in (*selection.versions, "system"):
        found = _command_in(version, command, shim.root, setting.path_dirs)
        if found is not None and Path(os.path.realpath(found)).parent == shim.root / "shims":
            return Resolution(UNCERTAIN, command, reason=f"PATH leads back to the shims ({found})")
        if found is not None:
            return Resolution(RESOLVED, command, path=found, selection=selection)
    if any(hook[0:2] == _SITE_PACKAGES_HOOK for hook in hooks) and selection.versions and \
            (shim.root / "versions" / selection.versions[0] / "bin/activate").is_file():
        return Resolution(UNCERTAIN, command, reason="a pyenv-virtualenv environment may lend its base's command")
    return Resolution(INACTIVE, command, selection=selection, available=_versions_with(shim.root, command))


def _setting(shim: Shim, env: Mapping[str, str], cwd: Path, fs_root: Path) -> Setting:
    install = _install_prefix(shim.pyenv)
    return Setting(hooks=tuple(_hooks(_hook_dirs(env, shim.root, install, fs_root))),
                   selection=select(env, cwd, shim.root), path_dirs=tuple(_system_path(env, shim.root, install)))


def select(env: Mapping[str, str], cwd: Path, root: Path) -> Union[Selection, str]:
    """pyenv-version-name: the selected versions, or a str saying why pyenv would have to guess."""
    if env.get("PYENV_VERSION"):
        raw, origin = env["PYENV_VERSION"], "PYENV_VERSION"
    else:
        cwd = _logical(env, cwd)
        start = Path(env["PYENV_DIR"]) if env.get("PYENV_DIR") else cwd
        if not start.is_absolute() or not start.is_dir():
            return f"PYENV_DIR={start} is not an absolute directory"
        file = _version_file(start) or (_version_file(cwd) if start != cwd else None) or root / "version"
        words = _read_version_file(file)
        if isinstance(words, str):
            return words
        raw, origin = ":".join(words), str(file)
        if not words:
            origin = "default"
    if not raw or raw == "system":
        return Selection(("system",), origin)
    versions: List[str] = []
    for name in raw.split(":"):
        if not name:
            return "the selection has an empty version name (pyenv reads that as the whole list)"
        resolved = _version_name(name, root)
        if resolved is None:
            return f"pyenv would look up version {name!r} among release definitions"
        versions.append(resolved)
    return Selection(tuple(versions), origin)


def _logical(env: Mapping[str, str], cwd: Path) -> Path:
    """The directory as the shell names it: pyenv walks up $PWD, which keeps the symlinks a
    `cd` went through (`.python-version` beside a link, not beside its target)."""
    shown = env.get("PWD", "")
    try:
        if os.path.isabs(shown) and os.path.samefile(shown, cwd):
            return Path(shown)
    except OSError:  # PWD gone or not ours to stat: the physical directory is all there is
        pass
    return cwd


def _version_name(name: str, root: Path) -> Optional[str]:
    """One name as pyenv-version-name -f resolves it; None where pyenv-latest's rules would
    go beyond plain release numbers (we do not reimplement its sort of arbitrary names)."""
    bare = name[len("python-"):] if name.startswith("python-") else name
    if name == "system" or (root / "versions" / name).is_dir():
        return name
    if (root / "versions" / bare).is_dir():
        return bare
    for prefix in (name, bare):
        latest = _latest(prefix, root)
        if latest is None:
            return None
        if latest:
            return latest
    return bare  # -f: not installed, kept as is (pyenv-which then skips it)


def _latest(prefix: str, root: Path) -> Optional[str]:
    """pyenv-latest -b: "" when no installed name starts with `prefix.` or `prefix-` (the name
    is kept as is), the newest installed `prefix.N...` release, or None when the matching names
    are not all plain releases (pyenv's filters and sort of those are not reimplemented)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)*)(t?)", prefix)
    # pyenv-latest takes a free-threaded `3.13t` apart first: names `3.13.N...t`, not `3.13t.`.
    stem = match.group(1) if match is not None and match.group(2) else prefix
    matching = [name for name in _installed(root) if name.startswith((stem + ".", stem + "-"))]
    if match is not None and match.group(2):
        matching = [name for name in matching if name.endswith("t")]
    if not matching:
        return ""
    if match is None:
        return None
    number, suffix = match.groups()
    release = re.compile(re.escape(number) + r"\.\d+(?:\.\d+)*")
    best: Optional[Tuple[Tuple[int, ...], str]] = None
    for name in matching:
        if suffix and release.fullmatch(name[:-1]) and name.endswith("t"):
            pass  # a free-threaded release, what a `t` prefix asks for
        elif not suffix and release.fullmatch(name):
            pass
        elif not suffix and release.fullmatch(name[:-1]) and name.endswith("t"):
            continue  # pyenv drops free-threaded builds unless the prefix ends in `t`
        else:
            return None
        key = tuple(int(part) for part in re.findall(r"\d+", name))
        if best is None or key > best[0]:
            best = (key, name)
    return best[1] if best else ""


def _installed(root: Path) -> List[str]:
    try:
        return sorted(entry.name for entry in os.scandir(root / "versions") if entry.is_dir())
    except OSError:
        return []


def _version_file(start: Path) -> Optional[Path]:
    """pyenv-version-file's walk: start, its parents, finally /.python-version."""
    text = str(start)
    while True:
        candidate = Path(f"{text}/.python-version")
        if candidate.is_file():
            return candidate
        if not text:
            return None
        text = text.rsplit("/", 1)[0]


def _read_version_file(file: Path) -> Union[List[str], str]:
    """pyenv-version-file-read: the first word of each line, or a str saying why not read."""
    try:
        with open(file, "rb") as handle:
            data = handle.read(_VERSION_FILE_MAX + 1)
    except OSError:
        return []
    if len(data) > _VERSION_FILE_MAX:
        return f"{file} is larger than {_VERSION_FILE_MAX // 1024} KiB"
    words: List[str] = []
    for line in data.decode("utf-8", "replace").split("\n"):
        if len(line) >= _LINE_MAX:
            return f"{file} has a line longer than {_LINE_MAX} characters"
        fields = line.replace("\r", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        word = fields[0]
        if word == ".." or "/" in word:
            return f"{file} names a version by a path ({word!r})"
        words.append(word)
    return words


def _command_in(version: str, command: str, root: Path, path_dirs: Sequence[str]) -> Optional[str]:
    if version == "system":
        for directory in path_dirs:
            found = os.path.join(directory, command)
            if _executable(found):
                return found
        return None
    # pyenv-prefix: a name that is not an installed directory is skipped.
    prefix = root / "versions" / version
    found = str(prefix / "bin" / command)
    return found if prefix.is_dir() and _executable(found) else None


def _system_path(env: Mapping[str, str], root: Path, install: Path) -> List[str]:
    """PATH as pyenv-which searches it for "system": pyenv's libexec and plugins' bin in front
    (libexec/pyenv puts them there), `~` expanded, the shims directory taken out."""
    home = env.get("HOME", "")
    front = [str(install / "libexec")]
    if install != root:
        front += _plugin_bins(root)
    front += _plugin_bins(install)
    entries = [*front, *env.get("PATH", "").split(":")]
    shims = str(root / "shims")
    # Relative entries would search the directory the shim runs in: nothing we look at.
    return [entry.replace("~", home) for entry in entries
            if entry.replace("~", home) != shims and os.path.isabs(entry.replace("~", home))]


def _plugin_bins(prefix: Path) -> List[str]:
    # libexec/pyenv prepends each in glob order, so the last one globbed is searched first.
    return [str(p) for p in sorted((prefix / "plugins").glob("*/bin"), reverse=True)]


def _install_prefix(pyenv: str) -> Path:
    """The pyenv installation the shim execs (libexec/pyenv resolves its own symlinks)."""
    return Path(os.path.realpath(pyenv)).parent.parent


def _hook_dirs(env: Mapping[str, str], root: Path, install: Path, fs_root: Path) -> List[str]:
    dirs = [d for d in env.get("PYENV_HOOK_PATH", "").split(":") if d]
    dirs.append(str(root / "pyenv.d"))
    if install != root:
        dirs.append(str(install / "pyenv.d"))
    dirs += [str(fs_root / fixed.lstrip("/")) for fixed in _SYSTEM_HOOK_DIRS]
    dirs += [str(p) for p in sorted((root / "plugins").glob("*/etc/pyenv.d"))]
    return dirs


def _hooks(dirs: Sequence[str]) -> List[Tuple[str, str, str]]:
    """(phase, name, sha256) of every hook that runs for a shim."""
    found = []
    for directory in dirs:
        for phase in _PHASES:
            for script in _scripts(Path(directory) / phase):
                found.append((phase, script.name, _sha256(script)))
    return found


def _scripts(directory: Path) -> Iterator[Path]:
    try:
        # bash's `*.bash` glob: dot-files do not match
        names = sorted(entry.name for entry in os.scandir(directory)
                       if entry.name.endswith(".bash") and not entry.name.startswith("."))
    except OSError:
        return
    for name in names:
        yield directory / name


def _known_hook(hook: Tuple[str, str, str]) -> bool:
    phase, name, digest = hook
    if (phase, name) == _SITE_PACKAGES_HOOK:
        return digest in _SITE_PACKAGES_HASHES
    return digest in _HARMLESS_HOOKS.get((phase, name), frozenset())


def _sha256(path: Path) -> str:
    import hashlib  # only for a pyenv with hooks: loading it (libcrypto) delays the first probe otherwise

    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read(1024 * 1024)).hexdigest()
    except OSError:
        return ""  # unreadable: bash cannot source it either, yet we do not claim to know


def _versions_with(root: Path, command: str) -> Tuple[str, ...]:
    """Installed versions whose bin/ has the command, newest release first."""
    have = [name for name in _installed(root) if _executable(str(root / "versions" / name / "bin" / command))]
    return tuple(sorted(have, key=lambda n: tuple(int(p) for p in re.findall(r"\d+", n)), reverse=True))


def _executable(path: str) -> bool:
    try:
        return os.path.isfile(path) and os.access(path, os.X_OK)
    except OSError:
        return False
