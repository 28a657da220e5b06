"""`smoke --api responses|both` (and `check --smoke --api`) through the real CLI against the real
local endpoint: every Responses scenario of doctor.mock gives its code and exit code under both
modes, `both` runs chat then responses against the same endpoint and shows them side by side,
the JSON carries `smoke` (with `api`) and `smoke_responses`, the canary key never shows, and a
bad `--api` is a one-line usage error. Here the target is chat-doctor's own interpreter (the
in-process path); tests/machine/test_smoke_responses_targets.py runs it inside real venvs.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import pytest

from doctor.mock.server import MockServer
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli, run_subprocess
from tests.support.mock_helpers import env_for, running

FAST = ["--timeout", "5"]

# scenario -> (code of stream.responses, its status under --api responses, under --api both)
SCENARIOS = {
    "ok": (None, "ok", "ok"),
    "responses_no_sequence": (None, "ok", "ok"),  # llama-server's dialect: no sequence_number is not a gap
    "responses_unsupported": ("responses_api_unsupported", "fail", "warn"),
    "responses_method_not_allowed": ("responses_api_unsupported", "fail", "warn"),
    "responses_no_terminal": ("stream_interrupted", "fail", "fail"),
    "responses_failed": ("stream_error_event", "fail", "fail"),
    "responses_error_event": ("stream_error_event", "fail", "fail"),
    "responses_incomplete": ("stream_incomplete", "warn", "warn"),
    "responses_content_filter": ("content_filtered", "warn", "warn"),
    "responses_no_usage": ("stream_no_usage", "warn", "warn"),
    "responses_sequence_gap": ("stream_sequence_gap", "warn", "warn"),
}
EXIT = {"ok": 0, "warn": 0, "fail": 1}


def smoke(server: MockServer, *args: str, env: Optional[Dict[str, str]] = None) -> Run:
    run = run_cli(["smoke", "--json", *FAST, *args], env=env or env_for(server))
    assert_no_key(run)
    return run


def stream_ids(run: Run) -> List[str]:
    return [c["id"] for c in run.json["checks"] if c["id"].startswith("stream.")]


def paths(server: MockServer) -> List[str]:
    return [r.path for r in server.requests if r.method == "POST"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_api_responses_gives_each_scenarios_code_and_exit_code(scenario: str) -> None:
    code, status, _ = SCENARIOS[scenario]
    with running(scenario) as server:
        run = smoke(server, "--api", "responses")
        sent = paths(server)
    result = run.check("stream.responses")
    assert (result["code"], result["status"]) == (code, status), (result["summary"], result["details"])
    assert run.exit_code == EXIT[status]
    assert stream_ids(run) == ["stream.responses"] and sent == ["/v1/responses"]  # chat is not asked at all
    document = run.json
    assert document["smoke"] == document["smoke_responses"] and document["smoke"]["api"] == "responses"
    assert (document["smoke_responses"]["runs"][0]["error"] is None) == (status != "fail")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_api_both_runs_chat_then_responses_and_judges_each(scenario: str) -> None:
    code, _, status = SCENARIOS[scenario]
    with running(scenario) as server:
        run = smoke(server, "--api", "both")
        sent = paths(server)
    chat, responses = run.check("stream.chat"), run.check("stream.responses")
    assert (chat["status"], chat["code"]) == ("ok", None)  # these scenarios leave chat alone
    assert (responses["code"], responses["status"]) == (code, status), (responses["summary"], responses["details"])
    assert run.exit_code == EXIT[status]
    assert stream_ids(run) == ["stream.chat", "stream.responses"]
    assert sent == ["/v1/chat/completions", "/v1/responses"]  # one after the other, chat first
    document = run.json
    assert document["smoke"]["api"] == "chat" and document["smoke_responses"]["api"] == "responses"
    assert document["smoke"]["base_url"] == document["smoke_responses"]["base_url"] == server.base_url


def test_the_responses_run_is_timed_and_its_events_recorded() -> None:
    with running("ok", first_token_delay_ms=300, token_interval_ms=20) as server:
        run = smoke(server, "--api", "responses", "--runs", "2")
    document = run.json["smoke_responses"]
    assert run.exit_code == 0 and len(document["runs"]) == 2
    for one in document["runs"]:
        # The server holds the first token 300 ms; response.created comes at once, before it.
        assert 300 <= one["ttft_ms"] <= 2000 and one["created_ms"] < one["ttft_ms"]
        assert (one["terminal"], one["finish_reason"], one["completion_tokens"]) == ("response.completed", "completed", 8)
        assert one["sequence_numbers"] is True and one["sequence_gaps"] == [] and one["events"] > 8
        assert one["limit_field"] == "max_output_tokens"
    assert document["sdk"].startswith("openai ") and document["ran_in"] == "target"


def test_a_gap_is_reported_with_the_numbers() -> None:
    with running("responses_sequence_gap") as server:
        run = smoke(server, "--api", "responses")
    one = run.json["smoke_responses"]["runs"][0]
    assert one["sequence_gaps"] == [{"expected": 6, "got": 7}]
    assert "expected 6, got 7" in run.check("stream.responses")["summary"]


def test_the_default_is_chat_alone_and_the_envelope_is_unchanged() -> None:
    with running("ok") as server:
        run = smoke(server)
        sent = paths(server)
    assert stream_ids(run) == ["stream.chat"] and sent == ["/v1/chat/completions"]
    assert "smoke_responses" not in run.json and run.json["smoke"]["api"] == "chat"


def test_check_smoke_takes_api_too() -> None:
    with running("responses_unsupported") as server:
        run = run_cli(["check", "--smoke", "--api", "both", "--json", *FAST, "--only", "config,stream"],
                      env=env_for(server))
    assert_no_key(run)
    assert run.check("stream.responses")["status"] == "warn" and run.exit_code == 0


# --- through the installed script: each new code, the console and the usage errors --------------


@pytest.mark.parametrize("scenario, code, exit_code", [
    ("responses_unsupported", "responses_api_unsupported", 1),
    ("responses_incomplete", "stream_incomplete", 0),
    ("responses_sequence_gap", "stream_sequence_gap", 0),
])
def test_each_new_code_through_the_installed_cli(scenario: str, code: str, exit_code: int) -> None:
    with running(scenario) as server:
        run = run_subprocess(["smoke", "--api", "responses", "--json", *FAST], env=env_for(server))
    assert_no_key(run)
    assert run.exit_code == exit_code and run.check("stream.responses")["code"] == code


def test_both_on_the_console_shows_two_lines_and_the_comparison() -> None:
    with running("responses_unsupported") as server:
        run = run_subprocess(["smoke", "--api", "both", "--quiet", *FAST], env=env_for(server))
    assert_no_key(run)
    lines = run.stdout.splitlines()
    assert run.exit_code == 0, run.output
    assert any(line.startswith(" [ ok ] stream.chat ") for line in lines)
    assert any(line.startswith(" [warn] stream.responses ") and "[responses_api_unsupported]" in line for line in lines)
    assert any("only Chat Completions" in line for line in lines)
    title = lines.index("Chat Completions vs Responses (same endpoint, one after the other):")
    heading, chat, responses = lines[title + 1:title + 4]
    assert heading.split() == ["TTFT", "total", "tokens", "tok/s", "verdict"]
    assert chat.split()[0] == "chat" and chat.split()[-1] == "ok" and "ms" in chat
    assert responses.split()[0] == "responses" and responses.split()[1:5] == ["-", "-", "-", "-"]
    assert responses.endswith("warn [responses_api_unsupported]")


def test_the_canary_key_never_shows_on_the_responses_path() -> None:
    # The server echoes what it is sent in its error message: the key must still never appear.
    with running("ok", require_key="sk-another-key-0123456789abcdef") as server:
        run = run_subprocess(["smoke", "--api", "both", "-v", *FAST], env=env_for(server, CANARY_KEY))
        as_json = run_subprocess(["smoke", "--api", "responses", "--json", *FAST], env=env_for(server, CANARY_KEY))
    assert_no_key(run)
    assert_no_key(as_json)
    assert as_json.check("stream.responses")["code"] == "invalid_api_key" and as_json.exit_code == 1


@pytest.mark.parametrize("args", [
    ["smoke", "--api", "completions"],
    ["check", "--smoke", "--api", "Responses"],
])
def test_a_bad_api_is_a_one_line_usage_error(args: List[str]) -> None:
    run = run_subprocess(args, env={"OPENAI_API_KEY": CANARY_KEY})
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "--api" in run.stderr and "chat, responses, both" in run.stderr
    assert "Traceback" not in run.stderr


def test_api_without_smoke_is_a_usage_error() -> None:
    run = run_subprocess(["check", "--offline", "--api", "both"], env={"OPENAI_API_KEY": CANARY_KEY})
    assert run.exit_code == 2 and "--api" in run.stderr and "--smoke" in run.stderr


def test_junit_has_a_case_per_run_of_each_api(tmp_path) -> None:
    import xml.etree.ElementTree as ET

    junit = tmp_path / "smoke.xml"
    with running("ok") as server:
        run = run_cli(["smoke", "--api", "both", "--quiet", "--runs", "2", *FAST, "--junit", str(junit)], env=env_for(server))
    assert run.exit_code == 0
    names = [case.get("name") for case in ET.parse(junit).getroot().iter("testcase")]
    assert [n for n in names if " run " in n] == ["stream.chat run 1", "stream.chat run 2",
                                                  "stream.responses run 1", "stream.responses run 2"]
