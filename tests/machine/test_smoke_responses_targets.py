"""`smoke --python TARGET --api responses|both` through the real CLI with real venvs as the target:
the Responses API runs inside the target with the target's openai (smoke_responses.sdk and
.python are the target's), its verdicts are the same as in-process, and an openai too old for
client.responses (1.55, before 1.66) is a broken SDK for that API while chat still runs.
"""

from __future__ import annotations

from typing import Dict

import pytest

from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli
from tests.support.mock_helpers import running
from tests.support.venvs import make_venv, pyenv_python, venv_python

# (openai release, interpreter): the two majors on httpx, as tests/machine/test_smoke_targets.py
# builds them (the same specs, so the cached venvs are shared).
TARGETS = {"1.x": ("1.109.1", "3.9"), "2.x": ("2.54.0", "3.12")}


def target_for(major: str) -> str:
    release, version = TARGETS[major]
    python = pyenv_python(version)  # first: without the interpreter, skip before building anything
    return str(venv_python(make_venv(python, [f"openai=={release}"])))


def smoke(target: str, base_url: str, *extra: str) -> Run:
    run = run_cli(["smoke", "--python", target, "--json", "--timeout", "10", "--base-url", base_url, *extra],
                  env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    return run


@pytest.mark.slow
@pytest.mark.parametrize("major", sorted(TARGETS))
def test_the_responses_api_runs_inside_the_target(major: str) -> None:
    target = target_for(major)
    with running("ok", first_token_delay_ms=200, token_interval_ms=10) as server:
        run = smoke(target, server.base_url, "--api", "both")
    document: Dict = run.json["smoke_responses"]
    assert run.exit_code == 0 and run.check("stream.responses")["status"] == "ok", run.check("stream.responses")
    assert (document["sdk"], document["python"], document["ran_in"], document["fallback"]) == (
        f"openai {TARGETS[major][0]}", target, "target", None)
    assert document["python_version"].startswith(TARGETS[major][1] + ".")
    (one,) = document["runs"]
    assert 200 <= one["ttft_ms"] <= 3000 and one["created_ms"] is not None and one["created_ms"] < one["ttft_ms"]
    assert (one["terminal"], one["completion_tokens"], one["sequence_gaps"]) == ("response.completed", 8, [])
    assert run.json["smoke"]["python"] == target and run.json["smoke"]["api"] == "chat"


@pytest.mark.slow
@pytest.mark.parametrize("scenario, code, status", [
    ("responses_failed", "stream_error_event", "fail"),
    ("responses_no_terminal", "stream_interrupted", "fail"),
    ("responses_incomplete", "stream_incomplete", "warn"),
    ("responses_content_filter", "content_filtered", "warn"),
    ("responses_no_usage", "stream_no_usage", "warn"),
    ("gateway_upstream_error", "upstream_error", "fail"),
    ("responses_sequence_gap", "stream_sequence_gap", "warn"),
    ("responses_no_sequence", None, "ok"),
    ("responses_unsupported", "responses_api_unsupported", "fail"),
])
def test_the_targets_verdicts_are_the_in_process_ones(scenario: str, code: str, status: str) -> None:
    target = target_for("2.x")
    with running(scenario) as server:
        run = smoke(target, server.base_url, "--api", "responses")
    result = run.check("stream.responses")
    assert (result["code"], result["status"]) == (code, status), (result["summary"], result["details"])
    assert run.json["smoke_responses"]["ran_in"] == "target" and run.json["smoke_responses"]["python"] == target


@pytest.mark.slow
@pytest.mark.parametrize("scenario, cause", [("gzip_buffered", "compression"), ("buffered", "upstream")])
def test_the_buffer_cause_is_searched_inside_the_target_too(scenario: str, cause: str) -> None:
    # The retries run in the target like the measured run, with Accept-Encoding: identity as the
    # target's SDK sends extra headers on client.responses.create.
    target = target_for("2.x")
    with running(scenario, first_token_delay_ms=200, token_interval_ms=40) as server:
        run = smoke(target, server.base_url, "--api", "responses")
        posts = [r.path for r in server.requests if r.method == "POST"]
    result = run.check("stream.responses")
    assert (result["code"], result["data"]["cause"]) == ("stream_buffered", cause), result["details"]
    (retry,) = result["data"]["cause_evidence"]["retries"]
    assert retry["buffering"] == ("streamed" if cause == "compression" else "buffered")
    assert posts == ["/v1/responses", "/v1/responses"]
    assert run.json["smoke_responses"]["ran_in"] == "target"


@pytest.mark.slow
def test_an_openai_without_client_responses_is_broken_for_that_api_only() -> None:
    python = pyenv_python("3.11")
    target = str(venv_python(make_venv(python, ["openai==1.55.3"])))
    with running("ok") as server:
        run = smoke(target, server.base_url, "--api", "both")
    assert run.check("stream.chat")["status"] == "ok"
    responses = run.check("stream.responses")
    assert (responses["code"], responses["status"]) == ("stream_sdk_broken", "fail")
    assert "client.responses" in responses["summary"] and run.exit_code == 1
    assert responses["fixes"][0]["command"] == f"{target} -m pip install -U 'openai>=1.66'"
