"""A `--max-ttft` verdict on fewer than 5 runs says the sample is small and suggests `--runs`,
through the real CLI against the real local endpoint; with 5 runs, or without a threshold, it
says nothing of the kind."""

from __future__ import annotations

from typing import Any, Dict

from tests.support.helpers import Run, assert_no_key, run_cli, run_subprocess
from tests.support.mock_helpers import env_for, running

NOTE = "small sample"


def smoke(*args: str, delay_ms: int = 50, subprocess: bool = False) -> Run:
    with running("ok", first_token_delay_ms=delay_ms) as server:
        argv = ["smoke", "--json", "--quiet", "--timeout", "5", *args]
        run = run_subprocess(argv, env=env_for(server)) if subprocess else run_cli(argv, env=env_for(server))
    assert_no_key(run)
    return run


def notes(result: Dict[str, Any]) -> list:
    return [line for line in result["details"] if NOTE in line]


def test_a_passing_threshold_on_one_run_says_the_sample_is_small() -> None:
    run = smoke("--max-ttft", "5", subprocess=True)
    result = run.check("stream.chat")
    assert (result["status"], result["code"], run.exit_code) == ("ok", None, 0)
    (note,) = notes(result)
    assert "1 run" in note and "--runs 5" in note
    assert result["data"]["small_sample"] == {"runs": 1, "suggested_runs": 5}


def test_a_breached_threshold_on_three_runs_says_so_in_the_failure() -> None:
    run = smoke("--max-ttft", "0.1", "--runs", "3", delay_ms=300)
    result = run.check("stream.chat")
    assert (result["status"], result["code"], run.exit_code) == ("fail", "ttft_over_limit", 4)
    (note,) = notes(result)
    assert "3 runs" in note and "--runs 5" in note
    assert result["data"]["small_sample"]["runs"] == 3


def test_five_runs_or_no_threshold_carry_no_note() -> None:
    enough = smoke("--max-ttft", "5", "--runs", "5").check("stream.chat")
    assert enough["status"] == "ok" and not notes(enough) and "small_sample" not in enough["data"]
    unset = smoke("--runs", "2").check("stream.chat")
    assert unset["status"] == "ok" and not notes(unset) and "small_sample" not in unset["data"]


def test_the_console_shows_the_note_on_a_failure() -> None:
    with running("ok", first_token_delay_ms=300) as server:
        run = run_subprocess(["smoke", "--quiet", "--timeout", "5", "--max-ttft", "0.1"], env=env_for(server))
    assert run.exit_code == 4
    assert NOTE in run.stdout and "--runs 5" in run.stdout
    assert_no_key(run)
