"""pyenv shims read, not run (doctor.probe.pyenv_shims): pyenv's selection rules over a pyenv
root made in tmp_path (shims in pyenv's own template, versions with a bin/ each, a "system"
directory on PATH), and what discovery makes of the outcomes. The same rules against the real
pyenv are in tests/machine/test_pyenv_shims_targets.py."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

import pytest

from doctor.knowledge.wording.pythons_command import inactive_shim, shim_activation
from doctor.probe import pyenv_shims as ps
from doctor.probe.discovery import BY_PATH, BY_PYENV, Places, discover
from tests.support.pyenv_shim import shim_text


def _exe(path: Path, body: str = "#!/bin/sh\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(0o755)
    return path


@pytest.fixture
def pyenv(tmp_path: Path) -> Dict[str, Path]:
    """A pyenv root: 3.11.7 (python3, python3.11), 3.12.1 (python3, python3.12), 3.6.15
    (python3.6), global version 3.11.7; a system bin/ with python3 and python3.9; a cwd."""
    root = tmp_path / "pyenv"
    for version, name in {"3.11.7": "python3.11", "3.12.1": "python3.12", "3.6.15": "python3.6"}.items():
        real = _exe(root / "versions" / version / "bin" / name)
        if version != "3.6.15":  # as installed: python3 a symlink to python3.X
            (real.parent / "python3").symlink_to(real.name)
    for name in ("python3", "python3.6", "python3.9", "python3.11", "python3.12"):
        _exe(root / "shims" / name, shim_text(root))
    (root / "version").write_text("3.11.7\n")
    system = tmp_path / "usr" / "bin"
    for name in ("python3", "python3.9"):
        _exe(system / name)
    cwd = tmp_path / "project" / "src"
    cwd.mkdir(parents=True)
    return {"root": root, "system": system, "cwd": cwd, "fs": tmp_path / "fs"}


def _env(p: Dict[str, Path], **extra: str) -> Dict[str, str]:
    return {"PATH": f"{p['root']}/shims:{p['system']}", "HOME": str(p["root"].parent), **extra}


def _resolve(p: Dict[str, Path], command: str, cwd: Optional[Path] = None, **env: str) -> ps.Resolution:
    shim = ps.read_shim(str(p["root"] / "shims" / command))
    assert shim is not None
    return ps.resolve(shim, _env(p, **env), cwd or p["cwd"], p["fs"])


def test_the_global_version_file_selects_and_a_missing_command_is_inactive(pyenv: Dict[str, Path]) -> None:
    found = _resolve(pyenv, "python3.11")
    assert (found.status, found.path) == (ps.RESOLVED, str(pyenv["root"] / "versions/3.11.7/bin/python3.11"))
    assert found.selection == ps.Selection(("3.11.7",), str(pyenv["root"] / "version"))
    lacking = _resolve(pyenv, "python3.12")
    assert (lacking.status, lacking.path, lacking.available) == (ps.INACTIVE, "", ("3.12.1",))


def test_pyenv_version_lists_versions_and_the_first_with_the_command_wins(pyenv: Dict[str, Path]) -> None:
    both = "3.12.1:3.11.7"
    assert _resolve(pyenv, "python3", PYENV_VERSION=both).path == str(pyenv["root"] / "versions/3.12.1/bin/python3")
    assert _resolve(pyenv, "python3.11", PYENV_VERSION=both).path == str(pyenv["root"] / "versions/3.11.7/bin/python3.11")
    assert _resolve(pyenv, "python3.11", PYENV_VERSION=both).selection == ps.Selection(("3.12.1", "3.11.7"), "PYENV_VERSION")


def test_system_is_tried_after_every_selected_version_without_the_shims(pyenv: Dict[str, Path]) -> None:
    # pyenv-which appends "system" in any case: python3.9 comes from PATH, not from a version.
    assert _resolve(pyenv, "python3.9").path == str(pyenv["system"] / "python3.9")
    assert _resolve(pyenv, "python3", PYENV_VERSION="system").path == str(pyenv["system"] / "python3")
    assert _resolve(pyenv, "python3.6", PYENV_VERSION="system").status == ps.INACTIVE


def test_names_resolve_as_pyenv_version_name_does(pyenv: Dict[str, Path]) -> None:
    versions = pyenv["root"] / "versions"
    assert _resolve(pyenv, "python3", PYENV_VERSION="3.12").path == str(versions / "3.12.1/bin/python3")  # newest 3.12.x
    assert _resolve(pyenv, "python3", PYENV_VERSION="python-3.12.1").path == str(versions / "3.12.1/bin/python3")
    # "3.1" is no prefix of 3.12.1 (pyenv matches "3.1." and "3.1-"): not installed, skipped, then system
    assert _resolve(pyenv, "python3", PYENV_VERSION="3.1").path == str(pyenv["system"] / "python3")
    assert _resolve(pyenv, "python3", PYENV_VERSION="nonesuch").path == str(pyenv["system"] / "python3")


def test_the_nearest_python_version_file_wins_first_word_of_each_line(pyenv: Dict[str, Path]) -> None:
    project = pyenv["cwd"].parent
    (project / ".python-version").write_text("# pinned\n\n3.6.15 ignored words\r\n3.12.1\n")
    found = _resolve(pyenv, "python3")
    assert found.selection == ps.Selection(("3.6.15", "3.12.1"), str(project / ".python-version"))
    assert found.path == str(pyenv["root"] / "versions/3.12.1/bin/python3")  # 3.6.15 has no python3
    # PYENV_DIR is searched before the working directory; PYENV_VERSION before both
    elsewhere = pyenv["root"].parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".python-version").write_text("3.11.7\n")
    assert _resolve(pyenv, "python3", PYENV_DIR=str(elsewhere)).selection.origin == str(elsewhere / ".python-version")  # type: ignore[union-attr]  # resolved
    assert _resolve(pyenv, "python3", PYENV_VERSION="system").path == str(pyenv["system"] / "python3")


def test_without_any_selection_it_is_system(pyenv: Dict[str, Path]) -> None:
    (pyenv["root"] / "version").unlink()
    found = _resolve(pyenv, "python3")
    assert (found.path, found.selection) == (str(pyenv["system"] / "python3"), ps.Selection(("system",), "default"))


@pytest.mark.parametrize("selection", ["3.11.7::3.12.1", "../3.11.7"])
def test_what_pyenv_would_read_otherwise_is_uncertain(pyenv: Dict[str, Path], selection: str) -> None:
    if "/" in selection:
        (pyenv["cwd"] / ".python-version").write_text(selection + "\n")
        assert _resolve(pyenv, "python3").status == ps.UNCERTAIN
    else:
        assert _resolve(pyenv, "python3", PYENV_VERSION=selection).status == ps.UNCERTAIN


def test_an_unknown_hook_makes_it_uncertain_one_of_another_phase_does_not(pyenv: Dict[str, Path]) -> None:
    _exe(pyenv["root"] / "pyenv.d" / "rehash" / "mine.bash")  # runs on `pyenv rehash`, not for a shim
    assert _resolve(pyenv, "python3").status == ps.RESOLVED
    hooks = pyenv["root"].parent / "hooks"
    _exe(hooks / "which" / "redirect.bash", 'PYENV_COMMAND_PATH=/elsewhere\n')
    found = _resolve(pyenv, "python3", PYENV_HOOK_PATH=str(hooks))
    assert (found.status, found.reason) == (ps.UNCERTAIN, "pyenv hook redirect.bash")
    _exe(pyenv["fs"] / "etc/pyenv.d/exec/site.bash")  # pyenv's fixed /etc/pyenv.d
    assert _resolve(pyenv, "python3").status == ps.UNCERTAIN


def test_only_pyenvs_own_shim_in_its_own_shims_directory_is_read(pyenv: Dict[str, Path], tmp_path: Path) -> None:
    root = pyenv["root"]
    assert ps.read_shim(str(root / "shims" / "python3")) == ps.Shim(str(root / "shims/python3"), "python3", root,
                                                                    str(root / "libexec/pyenv"))
    copied = _exe(tmp_path / "bin" / "python3", shim_text(root))
    assert ps.read_shim(str(copied)) is None  # sets _PYENV_SHIM_PATH, which changes "system"
    _exe(root / "shims" / "python3.13", shim_text(root) + "echo tampered\n")
    assert ps.read_shim(str(root / "shims/python3.13")) is None
    assert ps.read_shim(str(root / "versions/3.11.7/bin/python3")) is None


def test_discovery_shows_the_interpreter_with_the_shim_as_alias_and_sets_inactive_shims_apart(
        pyenv: Dict[str, Path]) -> None:
    root = pyenv["root"]
    places = Places(env=_env(pyenv), home=None, root=pyenv["fs"], pyenv_root=root, cwd=pyenv["cwd"])
    found = discover(places)
    first = found.candidates[0]
    assert first.path == str(root / "versions/3.11.7/bin/python3")
    assert first.found_by == (BY_PATH, BY_PYENV)
    assert set(first.aliases) == {str(root / "shims/python3"), str(root / "shims/python3.11"),
                                  str(root / "versions/3.11.7/bin/python3.11")}
    assert [shim.path for shim in found.inactive] == [str(root / "shims/python3.6"), str(root / "shims/python3.12")]
    assert all(str(root / "shims") not in c.path for c in found.candidates)
    # No working directory: nothing is read, the shims are probed (run) as before.
    unread = discover(Places(env=_env(pyenv), home=None, root=pyenv["fs"], pyenv_root=root))
    assert unread.inactive == () and unread.candidates[0].path == str(root / "shims/python3")


def test_the_inactive_line_names_the_command_that_makes_the_shim_work() -> None:
    assert shim_activation(("3.12.1",)) == "pyenv shell 3.12.1"
    assert shim_activation(()) is None
    line = inactive_shim("/r/shims/python3.12", "python3.12", ("3.11.7",), "/r/version", ("3.12.1",))
    assert line == ("/r/shims/python3.12: pyenv shim, not active under the selected version 3.11.7 (set by "
                    "/r/version): `pyenv shell 3.12.1` makes it python3.12")
    assert inactive_shim("/s/python3.5", "python3.5", ("3.11.7", "system"), "default", ()).endswith(
        "versions 3.11.7:system: no installed version has python3.5")


def test_a_free_threaded_prefix_selects_the_newest_t_build(pyenv: Dict[str, Path]) -> None:
    # pyenv-latest takes `3.13t` apart: names 3.13.N...t (pyenv 2.6.30 runs versions/3.13.1t here)
    versions = pyenv["root"] / "versions"
    for version in ("3.13.0t", "3.13.1t", "3.13.2"):
        _exe(versions / version / "bin" / ("python3.13t" if version.endswith("t") else "python3.13"))
    _exe(pyenv["root"] / "shims" / "python3.13t", shim_text(pyenv["root"]))
    found = _resolve(pyenv, "python3.13t", PYENV_VERSION="3.13t")
    assert (found.status, found.path) == (ps.RESOLVED, str(versions / "3.13.1t/bin/python3.13t"))
    assert _resolve(pyenv, "python3.13t", PYENV_VERSION="python-3.13t").path == found.path


def test_the_version_file_is_searched_up_the_logical_directory_as_pwd_names_it(
        pyenv: Dict[str, Path], tmp_path: Path) -> None:
    # `cd logical/link` keeps the link in $PWD; pyenv walks that, not the link's target
    logical, physical = tmp_path / "logical", tmp_path / "physical" / "proj"
    physical.mkdir(parents=True)
    logical.mkdir()
    (logical / ".python-version").write_text("3.12.1\n")
    (logical / "link").symlink_to(physical)
    found = _resolve(pyenv, "python3", cwd=physical, PWD=str(logical / "link"))
    assert found.path == str(pyenv["root"] / "versions/3.12.1/bin/python3")
    # a PWD that is not this directory (stale, another one) is not believed
    assert _resolve(pyenv, "python3", cwd=physical, PWD=str(logical)).selection.origin == str(pyenv["root"] / "version")  # type: ignore[union-attr]  # resolved
