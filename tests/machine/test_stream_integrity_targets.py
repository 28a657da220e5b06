"""Stream integrity and gateways when the smoke test runs inside a real target (the target runner,
doctor/stream/target_runner.py, with the target's own openai): `chat-doctor smoke --python TARGET`
through the real CLI gives the same codes as in-process (tests/local/test_stream_integrity_cli.py)."""

from __future__ import annotations

import pytest

from tests.support.helpers import CANARY_KEY, assert_no_key, run_cli
from tests.support.mock_helpers import running
from tests.support.venvs import make_venv, pyenv_python, venv_python

# The oldest major (openai 1.x on httpx), the one whose chunk objects and exceptions differ most.
RELEASE, PYTHON = "1.109.1", "3.9"


@pytest.mark.slow
def test_each_integrity_code_comes_from_the_target_runner_too() -> None:
    python = pyenv_python(PYTHON)  # first: without the interpreter, skip before building anything
    target = str(venv_python(make_venv(python, [f"openai=={RELEASE}"])))
    expected = {
        "vllm_abort": ("stream_aborted", "fail", 1),
        "content_filter": ("content_filtered", "warn", 0),
        "vllm_error_chunk": ("stream_error_event", "fail", 1),
        "no_usage": ("stream_no_usage", "warn", 0),
        "gateway_upstream_error": ("upstream_error", "fail", 1),
    }
    for scenario, (code, status, exit_code) in expected.items():
        with running(scenario) as server:
            run = run_cli(["smoke", "--python", target, "--json", "--timeout", "5", "--base-url", server.base_url],
                          env={"OPENAI_API_KEY": CANARY_KEY})
        assert_no_key(run)
        chat, document = run.check("stream.chat"), run.json["smoke"]
        assert (document["sdk"], document["ran_in"]) == (f"openai {RELEASE}", "target"), scenario
        assert (chat["code"], chat["status"], run.exit_code) == (code, status, exit_code), (scenario, chat["summary"])
    # The words are the in-process path's: the runner's readings become the same traces.
    with running("vllm_error_chunk") as server:
        run = run_cli(["smoke", "--python", target, "--json", "--timeout", "5", "--base-url", server.base_url],
                      env={"OPENAI_API_KEY": CANARY_KEY})
    chat = run.check("stream.chat")
    assert chat["summary"] == ("in-band error event after 1 content chunks: Internal server error: the engine core "
                               "died unexpectedly (EngineDeadError).")
    assert "error code: 500, type: InternalServerError" in chat["details"]
