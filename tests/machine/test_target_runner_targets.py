"""The target runner (doctor.stream.target_launch) in real interpreters and venvs: each openai
major as the target (1.x and 2.x on httpx, 3.x on httpx2), the broken openai 1.30 + httpx 0.28
pair, the oldest Python it supports (3.8), and the targets it must hand back to chat-doctor's own
interpreter (Python 3.7, no openai, openai 0.x). Nothing of chat-doctor is installed in the
targets: the runner arrives on stdin.
"""

from __future__ import annotations

import sys
from typing import Any, Dict

import pytest

from doctor.redact import Redactor
from doctor.stream import trace as t
from doctor.stream.target_launch import LaunchResult, RunnerJob, run_in_target
from tests.support.helpers import CANARY_KEY
from tests.support.mock_helpers import running
from tests.support.venvs import make_venv, pyenv_python, venv_python

# (openai release, interpreter, HTTP library): the newest of each major, as test_sdk_majors.py.
MAJORS = {
    "1.x": ("1.109.1", "3.9", "httpx"),
    "2.x": ("2.54.0", "3.12", "httpx"),
    "3.x": ("3.57.0", "3.11", "httpx2"),
}


def launch(python: str, base_url: str, **fields: Any) -> LaunchResult:
    options: Dict[str, Any] = dict(model="gpt-4o-mini", prompt="Say hello", max_tokens=64, timeout_s=5.0, allow_http=True)
    options.update(fields)
    result = run_in_target(python, RunnerJob(base_url=base_url, **options), env={}, key=CANARY_KEY,
                           redactor=Redactor([CANARY_KEY]))
    assert CANARY_KEY not in repr(result) and CANARY_KEY[8:40] not in repr(result)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("major", sorted(MAJORS))
def test_a_streamed_run_in_each_major(major: str) -> None:
    release, version, library = MAJORS[major]
    python = pyenv_python(version)  # first: without the interpreter, skip before building anything
    target = str(venv_python(make_venv(python, [f"openai=={release}"])))
    with running("ok", first_token_delay_ms=200, token_interval_ms=10) as server:
        result = launch(target, server.base_url, runs=2)
        failed = launch(target, server.base_url.replace("/v1", "/nowhere"))
    assert result.problem is None, result
    setup = result.setup
    assert setup is not None and (setup.openai, setup.sdk) == (release, f"openai {release}")
    assert setup.http is not None and setup.http.split()[0] == library
    assert setup.python_version.startswith(version + ".") and setup.executable == target
    for run in result.traces:
        first = run.first(t.CONTENT)
        assert (run.status, run.finish_reason, run.completion_tokens) == (200, "stop", 8)
        assert first is not None and 200 <= first.wire_ms < 400, first
    assert result.traces[0].connection == "new"
    failure = failed.traces[0].failure
    assert failure is not None and (failure.kind, failure.status, failure.exception) == (t.ERR_STATUS, 404, "NotFoundError")


@pytest.mark.slow
@pytest.mark.parametrize("scenario, code", [("cut", t.ERR_CONNECTION), ("errevent", t.ERR_EVENT), ("badjson", t.ERR_MALFORMED)])
def test_stream_failures_classify_alike_in_the_oldest_major(scenario: str, code: str) -> None:
    # openai 1.x lets httpx's own exceptions escape a stream: classified by their attributes too.
    release, version, _ = MAJORS["1.x"]
    target = str(venv_python(make_venv(pyenv_python(version), [f"openai=={release}"])))
    with running(scenario) as server:
        result = launch(target, server.base_url)
    failure = result.traces[0].failure
    assert failure is not None and (failure.kind, failure.phase) == (code, t.PHASE_STREAM), failure


@pytest.mark.slow
def test_openai_1_30_with_httpx_0_28_is_setup_failed_with_the_type_error() -> None:
    target = str(venv_python(make_venv(pyenv_python("3.11"), ["openai==1.30.0", "httpx==0.28.1"])))
    with running("ok") as server:
        result = launch(target, server.base_url)
        assert server.requests == []
    assert result.problem == "setup_failed" and result.fallback is None
    failure = result.failure
    assert failure is not None and (failure.kind, failure.exception) == (t.ERR_SETUP, "TypeError")
    assert "proxies" in failure.message
    assert result.setup is not None and result.setup.openai == "1.30.0" and result.setup.http == "httpx 0.28.1"


@pytest.mark.slow
def test_python_3_8_is_a_target() -> None:
    python = pyenv_python("3.8")
    target = str(venv_python(make_venv(python, ["openai==1.109.1"])))
    with running("ok") as server:
        result = launch(target, server.base_url)
    assert result.problem is None, result
    assert result.setup is not None and result.setup.python_version.startswith("3.8.")
    assert result.traces[0].finish_reason == "stop" and result.traces[0].text


def test_python_3_7_falls_back_to_chat_doctors_own_interpreter() -> None:
    python = pyenv_python("3.7")
    result = launch(python, "http://127.0.0.1:9/v1")
    assert result.problem == "too_old_python" and result.runs == () and result.failure is None
    assert result.fallback is not None and "is Python 3.7." in result.fallback and sys.executable in result.fallback


def test_a_python_without_openai_falls_back() -> None:
    python = pyenv_python("3.12")
    result = launch(python, "http://127.0.0.1:9/v1")
    assert result.problem == "no_openai", result
    assert result.fallback is not None and "ModuleNotFoundError" in result.fallback
    assert result.setup is not None and result.setup.openai is None and result.setup.python_version.startswith("3.12.")


@pytest.mark.slow
def test_openai_0_x_falls_back() -> None:
    target = str(venv_python(make_venv(pyenv_python("3.11"), ["openai==0.28.1"])))
    result = launch(target, "http://127.0.0.1:9/v1")
    assert result.problem == "old_openai" and result.fallback is not None and "openai 0.28.1" in result.fallback


@pytest.mark.slow
def test_an_sdk_older_than_a_request_field_sends_it_as_extra_body() -> None:
    # openai 1.30's create() has no max_completion_tokens: the same request goes out regardless.
    target = str(venv_python(make_venv(pyenv_python("3.11"), ["openai==1.30.0", "httpx==0.27.2"])))
    with running("ok") as server:
        result = launch(target, server.base_url)
        (request,) = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert result.problem is None and result.traces[0].finish_reason == "stop", result
    assert request.body["max_completion_tokens"] == 64 and request.body["stream_options"] == {"include_usage": True}
