"""The CI outputs through the real CLI: `--junit`, `--only`/`--skip`, and GitHub Actions'
annotations and step summary (GITHUB_ACTIONS=true in the environment chat-doctor reads), against
the local endpoint where a server is needed; the canary key reaches none of them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List

import pytest
from junitparser import Failure, JUnitXml, TestCase

from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli
from tests.support.mock_helpers import env_for, running

OFFLINE = ["check", "--offline", "--json"]
GITHUB = {"GITHUB_ACTIONS": "true"}


def junit_cases(path: Path) -> List[TestCase]:
    (suite,) = list(JUnitXml.fromfile(str(path)))
    cases = list(suite)
    assert suite.tests == len(cases)
    return cases


def ids(run: Run) -> List[str]:
    return [check["id"] for check in run.json["checks"]]


def annotations(run: Run) -> List[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("::")]


# --- --junit ------------------------------------------------------------------------------------


def test_junit_holds_every_check_of_the_report_and_its_counts(tmp_path: Path) -> None:
    path = tmp_path / "out" / "chat-doctor.xml"
    path.parent.mkdir()
    run = run_cli([*OFFLINE, "--junit", str(path)])  # no key: config.api_key fails
    assert run.exit_code == 1, run.output
    (suite,) = list(JUnitXml.fromfile(str(path)))
    cases = list(suite)
    assert [(case.classname, case.name) for case in cases] == [(c["group"], c["id"]) for c in run.json["checks"]]
    summary = run.json["summary"]
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
        len(cases), summary["fail"], summary["error"], summary["skip"])
    failure = next(case for case in cases if case.name == "config.api_key").result[0]
    assert isinstance(failure, Failure)
    assert failure.type == "api_key_missing"
    assert failure.message == run.check("config.api_key")["summary"]


def test_junit_is_written_when_every_check_passes_too(tmp_path: Path) -> None:
    path = tmp_path / "ok.xml"
    run = run_cli([*OFFLINE, "--only", "config", "--junit", str(path)], env={"OPENAI_API_KEY": CANARY_KEY})
    assert run.exit_code == 0, run.output
    assert [case.name for case in junit_cases(path)] == ["config.api_key", "config.base_url", "config.proxy"]


def test_an_empty_junit_path_is_refused() -> None:
    run = run_cli(["check", "--offline", "--junit", ""])
    assert run.exit_code == 2
    assert "Invalid value for '--junit': needs a file path" in run.stderr


@pytest.mark.parametrize("where, problem", [
    ("missing/dir/x.xml", "no such directory: missing/dir"),
    (".", "is a directory"),
    ("a-file/x.xml", "cannot be written (Not a directory)"),
])
def test_a_junit_path_that_cannot_be_written_is_a_usage_error_before_any_check(
        tmp_path: Path, where: str, problem: str) -> None:
    (tmp_path / "a-file").write_text("")
    run = run_cli(["check", "--offline", "--junit", where])
    assert run.exit_code == 2
    assert run.stdout == ""  # not even the header: nothing ran
    assert run.stderr == f"chat-doctor: error: --junit {where}: {problem}\n"


def test_the_early_check_leaves_no_file_behind_and_truncates_none(tmp_path: Path) -> None:
    kept = tmp_path / "kept.xml"
    kept.write_text("an earlier report\n")
    # A usage error found after the --junit check (none here) would leave both as they were;
    # a run replaces the existing file and creates the new one only at the end.
    assert run_cli(["check", "--offline", "--python", str(tmp_path / "nope"), "--junit", str(kept)]).exit_code == 2
    assert kept.read_text() == "an earlier report\n"
    assert run_cli(["check", "--offline", "--python", str(tmp_path / "nope"), "--junit", "new.xml"]).exit_code == 2
    assert not (tmp_path / "new.xml").exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="this machine has no /dev/full")
def test_a_junit_file_lost_at_the_end_is_exit_3_never_a_pass() -> None:
    run = run_cli([*OFFLINE, "--only", "config", "--junit", "/dev/full"], env={"OPENAI_API_KEY": CANARY_KEY})
    assert run.exit_code == 3
    assert run.json["exit_code"] == 0  # the report itself was fine
    assert "chat-doctor: error: the JUnit report could not be written to /dev/full (No space left on device)" in run.stderr


def test_smoke_junit_has_a_case_per_run_timed_by_its_ttft(tmp_path: Path) -> None:
    path = tmp_path / "smoke.xml"
    with running("ok") as server:
        run = run_cli(["smoke", "--json", "-q", "--timeout", "5", "--runs", "3", "--junit", str(path)],
                      env=env_for(server))
    assert_no_key(run)
    assert run.exit_code == 0, run.output
    runs = [case for case in junit_cases(path) if case.name.startswith("stream.chat run")]
    assert [case.name for case in runs] == ["stream.chat run 1", "stream.chat run 2", "stream.chat run 3"]
    ttfts = [r["ttft_ms"] for r in run.json["smoke"]["runs"]]
    assert [case.time for case in runs] == [round(ttft / 1000, 3) for ttft in ttfts]
    assert all(case.result == [] for case in runs)


# --- --only / --skip ------------------------------------------------------------------------------


def test_only_and_skip_select_groups() -> None:
    assert ids(run_cli([*OFFLINE, "--only", "config"])) == ["config.api_key", "config.base_url", "config.proxy"]
    assert [i.split(".")[0] for i in ids(run_cli([*OFFLINE, "--only", "python", "--only", "api"]))] == \
        ["python"] * 4 + ["api"] * 2
    skipped = ids(run_cli([*OFFLINE, "--skip", "python,packages,net"]))
    assert skipped == ["config.api_key", "config.base_url", "config.proxy", "api.auth", "api.model"]
    both = ids(run_cli([*OFFLINE, "--only", "config,net", "--skip", "net"]))
    assert both == ["config.api_key", "config.base_url", "config.proxy"]


@pytest.mark.parametrize("args, message", [
    (["--only", "network"], "Invalid value for '--only': unknown group 'network'; "
                            "the groups are python, packages, config, net, api, stream"),
    (["--skip", "python,dns"], "Invalid value for '--skip': unknown group 'dns'"),
    (["--only", ","], "Invalid value for '--only': names no group"),
    (["--only", "stream"], "--only stream: the stream group is the smoke test; add --smoke"),
    (["--only", "net", "--skip", "net"], "--only and --skip leave no group to check"),
])
def test_group_selections_that_cannot_run_are_usage_errors(args: List[str], message: str) -> None:
    run = run_cli(["check", "--offline", *args])
    assert run.exit_code == 2, run.output
    assert message in run.stderr
    assert run.stdout == ""


def test_smoke_with_the_stream_left_out_is_a_usage_error() -> None:
    run = run_cli(["check", "--smoke", "--only", "api"])
    assert run.exit_code == 2
    assert "--smoke runs the stream group, which --only/--skip leave out" in run.stderr


def test_a_check_whose_prerequisite_is_left_out_still_runs() -> None:
    with running("ok") as server:
        run = run_cli(["check", "--json", "--timeout", "5", "--only", "api"], env=env_for(server))
    assert_no_key(run)
    # api.auth needs config.api_key and net.tls (for https): neither is in the run, so neither
    # blocks it; it runs and reaches the endpoint.
    assert ids(run) == ["api.auth", "api.model"]
    assert [run.check(i)["status"] for i in ids(run)] == ["ok", "ok"], run.output


def test_the_help_says_skipped_prerequisites_do_not_block() -> None:
    help_text = " ".join(run_cli(["check", "--help"]).stdout.split())
    assert "Checks whose prerequisites are skipped still run." in help_text


def test_smoke_skip_config_runs_the_stream_alone() -> None:
    with running("ok") as server:
        run = run_cli(["smoke", "--json", "-q", "--timeout", "5", "--skip", "config"], env=env_for(server))
    assert ids(run) == ["stream.chat"]
    refused = run_cli(["smoke", "--skip", "stream"])
    assert refused.exit_code == 2
    assert "smoke --skip stream: smoke runs the config and stream groups, and only config can be left out" \
        in refused.stderr


# --- GitHub Actions -------------------------------------------------------------------------------


def test_under_github_actions_annotations_go_to_stderr_and_stdout_stays_json(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    run = run_cli([*OFFLINE, "--only", "config"], env={**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 1
    json.loads(run.stdout)  # nothing but the document
    assert annotations(run) == [
        "::error title=config.api_key (api_key_missing)::OPENAI_API_KEY is not set%0Afix: Create a key at "
        "https://platform.openai.com/api-keys and paste it at the silent prompt%0A"
        "read -rs OPENAI_API_KEY && export OPENAI_API_KEY",
    ]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    assert "| ❌ fail | `config.api_key` | `api_key_missing` | OPENAI\\_API\\_KEY is not set |" in text


def test_console_mode_annotates_too_and_a_warning_is_a_warning_but_an_error_under_strict() -> None:
    args = ["check", "--offline", "--only", "config", "--base-url", "https://example.invalid"]
    env = {**GITHUB, "OPENAI_API_KEY": CANARY_KEY}
    run = run_cli(args, env=env)
    assert run.exit_code == 0, run.output
    assert "[warn] config.base_url" in run.stdout
    assert annotations(run) == [
        "::warning title=config.base_url (base_url_no_version)::https://example.invalid has no /v1-style "
        "version segment%0Afix: Append /v1%0Achat-doctor check --base-url https://example.invalid/v1",
    ]
    strict = run_cli([*args, "--strict"], env=env)
    assert strict.exit_code == 1
    assert [line.split("::")[1] for line in annotations(strict)] == ["error title=config.base_url (base_url_no_version)"]


def test_without_github_actions_there_are_no_annotations_and_no_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    run = run_cli([*OFFLINE, "--only", "config"], env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert annotations(run) == []
    assert not summary.exists()


def test_an_unwritable_step_summary_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    env: Dict[str, str] = {**GITHUB, "GITHUB_STEP_SUMMARY": str(tmp_path), "OPENAI_API_KEY": CANARY_KEY}
    run = run_cli([*OFFLINE, "--only", "config"], env=env)
    assert run.exit_code == 0
    assert f"chat-doctor: warning: the step summary could not be appended to {tmp_path}" in run.stderr


# --- the key reaches no CI output ------------------------------------------------------------------


@pytest.mark.parametrize("scenario, args", [
    ("auth401", ["check", "--smoke"]),  # the 401 message echoes the key in full
    ("echo_key", ["smoke", "--runs", "2"]),  # the streamed reply is the key
])
def test_the_canary_key_reaches_no_ci_output(tmp_path: Path, scenario: str, args: List[str]) -> None:
    path, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    with running(scenario) as server:
        run = run_cli([*args, "--timeout", "5", "--junit", str(path)],
                      env={**env_for(server), **GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    assert_no_key(run)
    junit, markdown = path.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")
    assert_no_key(Run(0, junit, markdown))
    assert "sk-proj-…" in junit + markdown + run.stderr  # the key was there, shown by its shape only
    if scenario == "auth401":
        assert run.exit_code == 1
        assert any(line.startswith("::error title=api.auth (invalid_api_key)::") for line in annotations(run))
        assert "invalid_api_key" in junit
