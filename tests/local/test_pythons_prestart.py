"""`chat-doctor pythons` launches its first probes before typer loads (doctor.probe.pythons_prestart
through interpreters.prestart, as `check` does): the very candidates the command will probe,
each process taken over by the survey, and nothing at all for `--help`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import doctor.probe.interpreters as interpreters
import doctor.probe.pythons_prestart as pythons_prestart
from doctor.probe.pythons_prestart import PRESTART_MAX, discovery_for, home_of
from doctor.probe.survey import survey
from doctor.settings import working_directory


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PATH holding this interpreter and a pyenv/asdf that are empty; no probe or discovery
    left over from another test."""
    links = tmp_path / "links"
    links.mkdir()
    (links / "python3").symlink_to(sys.executable)
    empty = tmp_path / "empty"
    empty.mkdir()
    for name, value in {"PATH": str(links), "PYENV_ROOT": str(empty), "ASDF_DATA_DIR": str(empty),
                        "HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(interpreters, "_PRESTARTED", {})
    monkeypatch.setattr(pythons_prestart, "_DISCOVERED", {})
    return links / "python3"


def test_the_survey_takes_over_every_prestarted_probe(fresh: Path) -> None:
    interpreters.prestart(["chat-doctor", "pythons", "--json"])
    env = dict(os.environ)
    found = discovery_for(env, home_of(env), Path("/"), working_directory())  # what gather asks for
    wanted = [candidate.path for candidate in found.candidates][:PRESTART_MAX]
    assert str(fresh) in wanted
    assert sorted(python for python, _ in interpreters._PRESTARTED) == sorted(wanted)
    running = list(interpreters._PRESTARTED.values())
    probes = survey(found.candidates, env, 30)
    assert interpreters._PRESTARTED == {}  # each one taken by its run_probe, none started twice
    assert all(r.proc is not None and r.proc.returncode is not None for r in running)
    mine = next(p for p in probes if p.candidate.path == str(fresh))
    assert mine.facts is not None and os.path.realpath(mine.real_executable) == os.path.realpath(sys.executable)


@pytest.mark.usefixtures("fresh")
def test_help_starts_nothing() -> None:
    for argv in (["chat-doctor", "pythons", "--help"], ["chat-doctor", "pythons", "-h"], ["chat-doctor", "report"]):
        interpreters.prestart(argv)
    assert interpreters._PRESTARTED == {}


def test_prestarted_probes_behind_a_hung_one_still_answer_within_the_deadline(fresh: Path, tmp_path: Path) -> None:
    """The survey takes prestarted answers in order: a hung first candidate costs its own deadline
    once, and the ones behind it (running all along) answer, not `ran out before its turn`."""
    import shutil
    import time

    hung_dir = tmp_path / "hung"
    hung_dir.mkdir()
    hung = hung_dir / "python3.98"
    hung.write_text(f"#!/bin/sh\nexec {shutil.which('sleep', path='/usr/bin:/bin')} 600\n")
    hung.chmod(0o755)
    os.environ["PATH"] = os.pathsep.join([str(hung_dir), os.environ["PATH"]])
    interpreters.prestart(["chat-doctor", "pythons", "--json"])
    env = dict(os.environ)
    found = discovery_for(env, home_of(env), Path("/"), working_directory())
    assert [c.path for c in found.candidates][:2] == [str(hung), str(fresh)]  # the hung one first
    assert all(interpreters.is_prestarted(c.path, env) for c in found.candidates)
    t0 = time.monotonic()
    first, second, *_ = survey(found.candidates, env, 2.0)
    took = time.monotonic() - t0
    assert first.failure == f"{hung} did not answer within 2 s (killed); it hangs or is not a Python"
    assert second.facts is not None and second.failure is None
    assert took < 2.0 * 2  # one deadline, not one per row
