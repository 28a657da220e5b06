"""`check`'s head start before typer (doctor.commands.check_early): the Settings it reads from argv
are exactly the ones typer builds, or it reads none; and the command adopts the early head start
only for equal Settings. Runs through the real CLI are in tests/local/test_head_start_cli.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
from typer.testing import CliRunner

from doctor.checks import models_fact, models_head_start
from doctor.checks.models_fact import HeadStart, hand_over_head_start, offer_head_start, provide_models
from doctor.cli import build_app
from doctor.commands import present
from doctor.commands.check_early import early_options
from doctor.endpoint import resolve_endpoint
from doctor.runner import Context
from doctor.settings import Settings
from tests.support.helpers import CANARY_KEY, plan_for

LOCAL = "http://127.0.0.1:8000/v1"

SIMPLE = [
    ["check"],
    ["check", "--base-url", LOCAL],
    ["check", "--base-url=" + LOCAL + "?a=b", "--json"],
    ["check", "--json", "--base-url", LOCAL, "--timeout", "5"],
    ["check", "--timeout=2.5", "-v", "--strict", "--allow-insecure"],
    ["check", "--model", "gpt-4o", "--python", "/usr/bin/python3"],
    ["check", "-m", "my-deployment", "--verbose", "--timeout", " 7 "],
    ["check", "--timeout", "1_0", "--model=x=y"],
]
UNSURE = [
    ["check", "--help"], ["check", "-h"], ["check", "--offline"], ["check", "--smoke"],
    ["check", "--only", "api"], ["check", "--skip=python"], ["check", "--junit", "out.xml"],
    ["check", "--save-svg", "x.svg"], ["check", "--frobnicate"], ["check", "-vq"], ["check", "-mx"],
    ["check", "-m=x"], ["check", "--base-url"], ["check", "--base-url", "--json"],
    ["check", "--timeout", "-1"], ["check", "--timeout", "soon"], ["check", "--json", "--json"],
    ["check", "-v", "--verbose"], ["check", "--model", "a", "-m", "b"], ["check", "--"],
    ["check", "extra"], ["check", "--json=1"], ["smoke"], [], ["--version"], ["pythons"],
]


def _typer_settings(monkeypatch: pytest.MonkeyPatch, args: List[str], env: Dict[str, str], cwd: Path) -> Settings:
    """The Settings `check` builds from `args` through typer, stopping before any check runs."""
    built: List[Settings] = []

    def capture(**options: Any) -> Settings:
        settings = Settings(env=env, cwd=cwd, **options)
        built.append(settings)
        raise SystemExit(0)

    monkeypatch.setattr(present, "settings_or_exit", capture)
    result = CliRunner().invoke(build_app("check"), args)
    assert result.exit_code == 0, result.output
    return built[0]


@pytest.mark.parametrize("args", SIMPLE, ids=" ".join)
def test_a_simple_command_line_reads_as_typer_reads_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                       args: List[str]) -> None:
    options = early_options(["chat-doctor", *args])
    assert options is not None
    env = {"OPENAI_API_KEY": CANARY_KEY}
    assert Settings(env=env, cwd=tmp_path, **options) == _typer_settings(monkeypatch, args, env, tmp_path)  # type: ignore[arg-type]  # early_options' values


@pytest.mark.parametrize("args", UNSURE, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_reads_as_unsure(args: List[str]) -> None:
    assert early_options(["chat-doctor", *args]) is None


@pytest.fixture
def asks_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models_fact, "gather_models", lambda _ctx: "asked itself")


def _ctx(settings: Settings) -> Context:
    from doctor.checks.route import gather_route

    return Context(plan_for(settings), {"route": gather_route})


def _early(settings: Settings) -> HeadStart:
    early = HeadStart(settings, resolve_endpoint(settings))
    early.outcome.set_result((_ctx(settings).fact("route"), "the early answer"))
    offer_head_start(early)
    return early


@pytest.mark.usefixtures("asks_itself")
def test_the_run_of_equal_settings_adopts_the_early_head_start(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": CANARY_KEY}
    _early(Settings(env=dict(env), cwd=tmp_path, base_url=LOCAL))
    typer_settings = Settings(env=dict(env), cwd=tmp_path, base_url=LOCAL)  # another object, equal values
    models_head_start.start(typer_settings, ("config", "net", "api"))
    assert provide_models(_ctx(typer_settings)) == "the early answer"


@pytest.mark.usefixtures("asks_itself")
@pytest.mark.parametrize("differs", [{"base_url": "http://127.0.0.1:8001/v1"}, {"timeout_s": 5.0},
                                     {"allow_insecure": True}, {"env": {"OPENAI_API_KEY": CANARY_KEY, "X": "1"}}])
def test_other_settings_drop_the_early_answer_and_the_run_asks(tmp_path: Path, differs: Dict[str, Any]) -> None:
    base: Dict[str, Any] = {"env": {"OPENAI_API_KEY": CANARY_KEY}, "cwd": tmp_path, "base_url": LOCAL}
    _early(Settings(**base))
    typer_settings = Settings(**{**base, **differs})
    assert hand_over_head_start(typer_settings) is False
    assert provide_models(_ctx(typer_settings)) == "asked itself"
    assert models_fact._head_start[0] is None  # dropped, not left for a later run
