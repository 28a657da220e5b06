"""`chat-doctor pythons`, its rules: discovery over a directory tree made in tmp_path (files
only), the two deduplications, the rows made from probe facts, and recommend()."""

from __future__ import annotations

import datetime
import os
from dataclasses import replace
from pathlib import Path
from typing import Optional

from doctor.knowledge import pythons
from doctor.knowledge import urllib3 as u3
from doctor.knowledge.wording.pythons_command import venv_commands
from doctor.probe.discovery import (
    BY_ASDF,
    BY_CONDA,
    BY_HOMEBREW,
    BY_PATH,
    BY_PYENV,
    BY_PYTHON_ORG,
    BY_SYSTEM,
    BY_UV,
    BY_VENV,
    Candidate,
    Places,
    discover,
)
from doctor.probe.facts import Distribution, Urllib3Import, WarningRecord
from doctor.probe.survey import Probed
from doctor.pythons.document import SCHEMA, document, exit_code
from doctor.pythons.gather import Survey, free_venv_dir
from doctor.pythons.recommend import assess, assess_all, recommend
from doctor.pythons.rows import InterpreterRow, merge_same_interpreter, row_from
from tests.support.facts import LIBRESSL, OPENSSL_111, OPENSSL_3, make_facts

TODAY = datetime.date(2026, 12, 1)


def _exe(path: Path, body: str = "#!/bin/sh\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(0o755)
    return path


def _link(path: Path, target: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def _paths(found: tuple) -> list:
    return [c.path for c in found]


# --- discovery -----------------------------------------------------------------------------


def test_path_gives_python3_names_in_path_order_and_skips_config_scripts_and_relative_entries(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _exe(first / "python3.12")
    _exe(first / "python3.9")
    _exe(first / "python3")
    _exe(first / "python3-config")
    _exe(first / "python3.12-config")
    _exe(first / "python3.13t")
    (first / "python3.11").write_text("not executable")
    _exe(second / "python3.10")
    _exe(tmp_path / "python3.8")  # only reachable through the relative entry "."
    env = {"PATH": os.pathsep.join([str(first), "", ".", str(second)])}
    found = discover(Places(env=env, home=None, root=tmp_path / "empty")).candidates
    assert _paths(found) == [str(first / n) for n in ("python3", "python3.9", "python3.12", "python3.13t")] + \
        [str(second / "python3.10")]
    assert all(c.found_by == (BY_PATH,) for c in found)


def test_paths_to_the_same_file_are_one_candidate_with_aliases(tmp_path: Path) -> None:
    real = _exe(tmp_path / "opt/python3.12")
    bin_dir = tmp_path / "bin"
    _link(bin_dir / "python3", real)
    _link(bin_dir / "python3.12", real)
    env = {"PATH": f"{bin_dir}{os.pathsep}{tmp_path / 'opt'}"}
    found = discover(Places(env=env, home=None, root=tmp_path / "empty")).candidates
    assert found == (Candidate(str(bin_dir / "python3"), (BY_PATH,),
                               aliases=(str(bin_dir / "python3.12"), str(real))),)


def test_a_venv_is_not_merged_with_its_base_although_its_python_links_to_it(tmp_path: Path) -> None:
    base = _exe(tmp_path / "base/bin/python3")
    venv = tmp_path / "project/.venv"
    _link(venv / "bin/python", base)
    (venv / "pyvenv.cfg").write_text(f"home = {base.parent}\n")
    env = {"VIRTUAL_ENV": str(venv), "PATH": str(base.parent)}
    found = discover(Places(env=env, home=None, root=tmp_path / "empty")).candidates
    assert found == (Candidate(str(venv / "bin/python"), (BY_VENV,)), Candidate(str(base), (BY_PATH,)))


def test_every_install_channel_is_found_where_it_keeps_its_pythons(tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    pyenv, uv = tmp_path / "pyenv", tmp_path / "uv"
    expected = [
        (_exe(pyenv / "versions/3.9.18/bin/python3"), BY_PYENV),
        (_exe(pyenv / "versions/3.10.13/bin/python3"), BY_PYENV),  # natural order: 3.9 before 3.10
        (_exe(root / "opt/homebrew/opt/python@3.13/bin/python3.13"), BY_HOMEBREW),
        (_exe(root / "usr/local/opt/python@3.12/bin/python3.12"), BY_HOMEBREW),
        (_exe(root / "opt/homebrew/bin/python3.11"), BY_HOMEBREW),
        (_exe(root / "usr/bin/python3"), BY_SYSTEM),
        (_exe(root / "Library/Frameworks/Python.framework/Versions/3.12/bin/python3"), BY_PYTHON_ORG),
        (_exe(uv / "cpython-3.13.1-linux-x86_64-gnu/bin/python3"), BY_UV),
        (_exe(tmp_path / "conda-env/bin/python"), BY_CONDA),
        (_exe(home / "miniconda3/bin/python"), BY_CONDA),
        (_exe(home / "miniconda3/envs/ml/bin/python"), BY_CONDA),
        (_exe(home / "miniforge3/bin/python3"), BY_CONDA),
        (_exe(home / ".asdf/installs/python/3.11.7/bin/python3"), BY_ASDF),
    ]
    _exe(pyenv / "versions/3.9.18/bin/python")  # same install: only its first name is taken
    _exe(root / "usr/bin/python3.11")  # /usr/bin: only python3, the system's own
    _link(root / "Library/Frameworks/Python.framework/Versions/Current", Path("3.12"))
    env = {"PATH": "", "CONDA_PREFIX": str(tmp_path / "conda-env")}
    found = discover(Places(env=env, home=home, root=root, pyenv_root=pyenv, uv_dir=uv)).candidates
    assert [(c.path, c.found_by) for c in found] == [(str(p), (how,)) for p, how in expected]
    framework = next(c for c in found if c.found_by == (BY_PYTHON_ORG,))
    assert framework.aliases == (str(root / "Library/Frameworks/Python.framework/Versions/Current/bin/python3"),)


def test_nothing_is_guessed_without_pyenv_root_uv_dir_or_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _exe(home / ".pyenv/versions/3.12.1/bin/python3")  # pyenv's default root, never assumed
    _exe(home / ".local/share/uv/python/cpython-3.12.1/bin/python3")
    assert discover(Places(env={"PATH": ""}, home=home, root=tmp_path / "empty")).candidates == ()
    _exe(home / ".asdf/installs/python/3.12.1/bin/python3")
    assert discover(Places(env={"PATH": ""}, home=None, root=tmp_path / "empty")).candidates == ()


def test_past_the_limit_candidates_are_counted_not_probed(tmp_path: Path) -> None:
    for minor in range(10):
        _exe(tmp_path / "bin" / f"python3.{minor}")
    found = discover(Places(env={"PATH": str(tmp_path / "bin")}, home=None, root=tmp_path / "empty"), limit=4)
    assert _paths(found.candidates) == [str(tmp_path / "bin" / f"python3.{m}") for m in range(4)]
    assert found.left_out == 6


def test_the_new_environment_goes_into_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    assert free_venv_dir(tmp_path) == ".venv"
    (tmp_path / ".venv").mkdir()
    assert free_venv_dir(tmp_path) == ".venv-openai"
    (tmp_path / ".venv-openai").write_text("a file counts too")
    assert free_venv_dir(tmp_path) == ".venv-openai-2"
    assert free_venv_dir(None) == ".venv"


# --- rows and the second deduplication ---------------------------------------------------------


def _probed(path: str, facts: object = None, *, failure: Optional[str] = None, real: str = "", by: str = BY_PATH,
            output: str = "") -> Probed:
    return Probed(Candidate(path, (by,)), facts=facts, failure=failure, output=output,  # type: ignore[arg-type]  # facts fixture
                  real_executable=real)


def test_a_row_says_what_the_probe_found() -> None:
    installed = Urllib3Import(installed=True, version="2.2.1", attempted=True, ok=True, warnings=(
        WarningRecord("urllib3.exceptions.NotOpenSSLWarning", "urllib3 v2 only supports OpenSSL 1.1.1+",
                      "/site/urllib3/__init__.py", 35, "default"),))
    facts = replace(make_facts("3.12.1", LIBRESSL, observed=installed, platform="darwin"),
                    distributions=(Distribution("OpenAI", "1.55.3"),))
    row = row_from(_probed("/opt/homebrew/bin/python3.12", facts, real="/opt/homebrew/Cellar/python3.12"))
    assert (row.version, row.tls, row.openai_installed, row.openai_newest, row.openai_current) == \
        ("3.12.1", "LibreSSL 2.8.3", "1.55.3", pythons.OPENAI_CURRENT, True)
    assert row.urllib3_installed is not None and row.urllib3_installed.observed
    assert (row.urllib3_installed.version, row.urllib3_installed.outcome) == ("2.2.1", u3.WARNING)
    assert row.urllib3_pip is not None and not row.urllib3_pip.observed
    assert (row.urllib3_pip.version, row.urllib3_pip.outcome) == (pythons.URLLIB3_CURRENT, u3.WARNING)
    assert row.eol_date == datetime.date(2028, 10, 31)


def test_an_old_python_gets_its_capped_openai_and_urllib3() -> None:
    row = row_from(_probed("/usr/bin/python3", make_facts("3.9.6", LIBRESSL), real="/usr/bin/python3"))
    assert (row.openai_newest, row.openai_current, row.openai_installed) == ("2.48.0", False, None)
    assert row.urllib3_installed is None
    assert row.urllib3_pip is not None and row.urllib3_pip.version == "2.6.3"


def test_a_failed_probe_is_a_row_with_its_reason() -> None:
    row = row_from(_probed("/bin/python3.99", failure="it hangs", output="garbage"))
    assert (row.probed, row.failure, row.failure_output, row.version) == (False, "it hangs", "garbage", None)


def test_probes_reporting_the_same_interpreter_are_one_row() -> None:
    real = "/root/.pyenv/versions/3.11.7/bin/python3.11"
    shim = row_from(_probed("/root/.pyenv/shims/python3", make_facts(prefix="/root/.pyenv/versions/3.11.7"), real=real))
    version = row_from(_probed("/root/.pyenv/versions/3.11.7/bin/python3", make_facts(prefix="/root/.pyenv/versions/3.11.7"),
                               real=real, by=BY_PYENV))
    venv = row_from(_probed("/work/.venv/bin/python", make_facts(prefix="/work/.venv", is_venv=True), real=real, by=BY_VENV))
    failed = row_from(_probed("/root/.pyenv/shims/python3.6", failure="exited with status 127"))
    failed_again = row_from(_probed("/elsewhere/python3.6", failure="exited with status 127"))
    merged = merge_same_interpreter([shim, failed, version, venv, failed_again])
    assert [r.path for r in merged] == [shim.path, failed.path, venv.path, failed_again.path]
    assert merged[0].aliases == (version.path,) and merged[0].found_by == (BY_PATH, BY_PYENV)


# --- recommend -----------------------------------------------------------------------------------


def _row(release: str, ssl: Optional[tuple] = OPENSSL_3, path: Optional[str] = None, **changes: object) -> InterpreterRow:
    path = path or f"/py/{release}/bin/python3"
    row = row_from(_probed(path, make_facts(release, ssl, prefix=f"/py/{release}"), real=path))
    return replace(row, **changes)  # type: ignore[arg-type]  # test overrides


def test_the_newest_supported_python_with_openssl_3_is_recommended_with_its_reasons() -> None:
    rows = [_row("3.9.18"), _row("3.12.1"), _row("3.13.0"), _row("3.10.13"), _row("3.11.7")]
    chosen = recommend(rows, TODAY)
    assert chosen is not None and chosen.row.version == "3.13.0"
    assert chosen.reasons == ("supported until 2029-10-31", f"pip gives it the current openai SDK ({pythons.OPENAI_CURRENT})",
                              f"urllib3 {pythons.URLLIB3_CURRENT} imports cleanly on OpenSSL 3.0.19",
                              "chosen over 2 other recommendable interpreters (newest, then found first)")
    assert chosen.drawbacks == ()
    verdicts = {a.row.version: a.blockers for a in assess_all(rows, TODAY)}
    assert verdicts["3.10.13"] == ("past its end of life (2026-10-31): no more security fixes",)
    assert verdicts["3.9.18"][1].startswith("pip stops at openai 2.48.0")


def test_the_same_release_line_ties_go_to_the_one_found_first() -> None:
    rows = [_row("3.12.1", path="/a/python3"), _row("3.12.1", path="/b/python3")]
    chosen = recommend(rows, TODAY)
    assert chosen is not None and chosen.row.path == "/a/python3"


def test_openssl_3_beats_a_newer_python_on_openssl_111_and_the_macos_system_python_comes_last() -> None:
    old_tls = _row("3.13.0", OPENSSL_111)
    apple = _row("3.12.1", platform="darwin", base_prefix="/Library/Developer/CommandLineTools/Library/Frameworks/Python3.framework")
    modern = _row("3.11.7")
    chosen = recommend([old_tls, apple, modern], TODAY)
    assert chosen is not None and chosen.row is modern
    chosen = recommend([apple, old_tls], TODAY)
    assert chosen is not None and chosen.row is apple  # OpenSSL counts first
    assert assess(apple, TODAY).drawbacks == ("the macOS system Python (Apple's, updated with the OS tools, not by you)",)
    assert assess(old_tls, TODAY).drawbacks == ("built with OpenSSL 1.1.1k, not OpenSSL 3",)


def test_pre_releases_and_venvs_are_taken_only_when_nothing_better_is_there() -> None:
    alpha = _row("3.14.0", version="3.14.0a1")
    venv = _row("3.13.0", is_venv=True)
    plain = _row("3.12.1")
    chosen = recommend([alpha, venv, plain], TODAY)
    assert chosen is not None and chosen.row is plain
    chosen = recommend([alpha, venv], TODAY)  # a pre-release counts worse than a venv
    assert chosen is not None and chosen.row is venv
    assert chosen.drawbacks == ("a virtual environment's interpreter (a new environment is made from its base anyway)",)
    chosen = recommend([alpha], TODAY)
    assert chosen is not None and chosen.row is alpha and chosen.drawbacks == ("a pre-release (3.14.0a1)",)


def test_nothing_recommendable_when_urllib3_2_does_not_work_or_there_is_no_ssl_or_no_answer() -> None:
    libressl = _row("3.12.1", LIBRESSL)
    no_ssl = _row("3.13.0", None)
    failed = row_from(_probed("/bin/python3.99", failure="it hangs"))
    too_old = replace(_row("2.7.18"), too_old=True)
    assert recommend([libressl, no_ssl, failed, too_old], TODAY) is None
    assert assess(libressl, TODAY).blockers[0].startswith(f"urllib3 {pythons.URLLIB3_CURRENT} (what pip installs) warns at import")
    assert assess(no_ssl, TODAY).blockers == ("it has no ssl module, so it cannot make HTTPS requests",)
    assert assess(failed, TODAY).blockers == ("it hangs",)
    assert assess(too_old, TODAY).blockers == ("Python 2.7.18 is too old for the probe and for any openai release with a chat API",)


def test_end_of_life_is_judged_on_the_day_given() -> None:
    row = _row("3.11.7")
    assert recommend([row], datetime.date(2027, 10, 31)) is not None
    assert recommend([row], datetime.date(2027, 11, 1)) is None


def test_the_commands_are_quoted_and_never_reuse_a_directory() -> None:
    commands = venv_commands("/opt/my pythons/$(rm -rf ~)/python3", ".venv-openai")
    assert commands == (
        "mkdir .venv-openai && '/opt/my pythons/$(rm -rf ~)/python3' -m venv .venv-openai",
        ".venv-openai/bin/python -m pip install openai",
        ". .venv-openai/bin/activate",
    )
    assert all("--clear" not in command for command in commands)


def test_the_json_document_has_its_schema_rows_and_exit_code() -> None:
    rows = (_row("3.13.0"), row_from(_probed("/bin/python3.99", failure="it hangs")))
    survey = Survey(rows=rows, today=TODAY, limit_s=2.0, left_out=0, venv_dir=".venv", wall_ms=1.0)
    chosen = recommend(rows, TODAY)
    doc = document(survey, assess_all(rows, TODAY), chosen)
    assert (doc["schema"], doc["exit_code"], doc["today"]) == (SCHEMA, 0, "2026-12-01")
    good, bad = doc["interpreters"]
    assert good["recommendable"] and good["urllib3"]["pip"]["outcome"] == u3.OK and good["eol"] is False
    assert bad["error"] == {"reason": "it hangs", "output": None} and bad["recommendable"] is False
    assert doc["recommendation"]["commands"][0] == "mkdir .venv && /py/3.13.0/bin/python3 -m venv .venv"
    assert exit_code(None) == 1
