"""Stream integrity and gateways through the real CLI (the installed `chat-doctor`, as a process)
against the mock endpoint: a reply vLLM aborted, one a content filter cut, vLLM's flat error chunk,
a stream without the usage chunk it was asked for, and a LiteLLM proxy whose model server is down.
Each gives its code, status and exit code, and the JSON says what the stream carried.
The smoke test here runs in chat-doctor's own interpreter (the default target); the target
runner's path is tests/machine/test_stream_integrity_targets.py."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from doctor.knowledge.diagnoses import lookup
from doctor.mock.scenarios import LITELLM_UPSTREAM_MESSAGE
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.mock_helpers import env_for, running

pytestmark = pytest.mark.timeout(120)


def smoke(scenario: str, *args: str, **options: Any) -> Run:
    with running(scenario, **options) as server:
        run = run_subprocess(["smoke", "--json", "--timeout", "5", *args], env=env_for(server))
    assert_no_key(run)
    assert "Traceback" not in run.stderr
    return run


@pytest.mark.parametrize("scenario, code, status, exit_code, finish_reason", [
    ("vllm_abort", "stream_aborted", "fail", 1, "abort"),
    ("content_filter", "content_filtered", "warn", 0, "content_filter"),
    ("vllm_error_chunk", "stream_error_event", "fail", 1, None),
    ("no_usage", "stream_no_usage", "warn", 0, "stop"),
    ("gateway_upstream_error", "upstream_error", "fail", 1, None),
])
def test_each_scenario_gives_its_code_status_and_exit_code(scenario: str, code: str, status: str, exit_code: int,
                                                           finish_reason: str) -> None:
    run = smoke(scenario)
    chat = run.check("stream.chat")
    assert (chat["code"], chat["status"]) == (code, status), chat["summary"]
    assert run.exit_code == exit_code == run.json["exit_code"]
    assert chat["fixes"], "a problem without a fix"
    one = run.json["smoke"]["runs"][0]
    assert one["finish_reason"] == finish_reason
    # A failed run carries its error; a warning leaves the run's own figures alone.
    assert (one["error"]["code"] if one["error"] else None) == (code if status == "fail" else None)


def test_an_aborted_reply_is_a_failure_although_done_came() -> None:
    chat = smoke("vllm_abort").check("stream.chat")
    assert chat["summary"] == "the server aborted the reply: finish_reason=abort after 3 content chunks, then [DONE]"
    assert chat["fixes"][0]["text"] == lookup("stream_aborted").fix


def test_a_filtered_reply_warns_with_its_meaning_and_keeps_the_timings() -> None:
    run = smoke("content_filter")
    chat = run.check("stream.chat")
    assert "content filter stopped the reply after 3 content chunks" in chat["summary"]
    assert "the reply is incomplete: a content policy flagged the prompt or the reply" in " ".join(chat["details"])
    assert run.json["smoke"]["ttft_ms"] is not None and run.json["smoke"]["runs"][0]["content_chunks"] == 3


def test_vllm_s_error_chunk_is_the_error_event_with_its_message() -> None:
    chat = smoke("vllm_error_chunk").check("stream.chat")
    assert chat["summary"] == ("in-band error event after 1 content chunks: Internal server error: the engine core "
                               "died unexpectedly (EngineDeadError).")
    assert 'an error chunk ("object": "error")' in chat["details"]
    assert "error code: 500, type: InternalServerError" in chat["details"]


def test_no_usage_counts_the_runs_and_says_what_reads_zero() -> None:
    run = smoke("no_usage", "--runs", "2")
    chat = run.check("stream.chat")
    assert chat["summary"] == ("run 1/2: include_usage was asked for, but 2 of 2 streams carried no usage chunk: "
                               "token and cost accounting reads zero")
    assert [one["completion_tokens"] for one in run.json["smoke"]["runs"]] == [None, None]
    assert "stream_options.include_usage" in chat["fixes"][0]["text"]


def test_a_server_that_sends_usage_is_not_warned_about() -> None:
    run = smoke("ok")
    assert run.check("stream.chat")["status"] == "ok" and run.json["smoke"]["runs"][0]["completion_tokens"] == 8


def expected_gateway_message() -> str:
    return " ".join(LITELLM_UPSTREAM_MESSAGE.format(model="gpt-4o-mini").split())


def test_a_gateway_s_upstream_failure_on_chat_names_the_gateway_and_its_words() -> None:
    chat = smoke("gateway_upstream_error").check("stream.chat")
    summary = chat["summary"]
    assert summary.startswith("LiteLLM answered 500: the server behind it failed or could not be reached: ")
    assert expected_gateway_message()[:150] in summary and len(summary) < 320
    assert "status.openai.com" not in str(chat["fixes"])
    assert [fix["text"] for fix in chat["fixes"]] == [lookup("upstream_error").fix]


def test_a_gateway_s_upstream_failure_on_models_is_api_auth_s_upstream_error() -> None:
    with running("gateway_upstream_error") as server:
        run = run_subprocess(["check", "--json", "--timeout", "5"], env=env_for(server))
    assert_no_key(run)
    auth: Dict[str, Any] = run.check("api.auth")
    assert (auth["status"], auth["code"], run.exit_code) == ("fail", "upstream_error", 1)
    assert auth["summary"].startswith("LiteLLM answered 500: ")
    assert auth["data"]["error"]["code"] == "500" and auth["data"]["status"] == 500
    assert "the error comes from LiteLLM in front of the model server" in " ".join(auth["details"])
    assert (run.check("api.model")["status"], run.check("api.model")["code"]) == ("skip", "prerequisite_failed")


def test_the_human_report_shows_the_code_and_no_key() -> None:
    with running("vllm_abort") as server:
        run = run_subprocess(["smoke", "--timeout", "5"], env=env_for(server, CANARY_KEY))
    assert_no_key(run)
    assert run.exit_code == 1 and "stream_aborted" in run.stdout and "finish_reason=abort" in run.stdout
