"""The smoke test under each openai SDK major, in real virtual environments.

openai 1.x and 2.x run on httpx, 3.x on httpx2; their exception messages, streaming internals
and client classes differ (facts: openai-api.md §1.1, §1.7). chat-doctor is built into a wheel
from this checkout and installed (not editable) beside the newest release of each major, then
its console script runs `smoke` against the local endpoint started by the test.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import CANARY_KEY, REPO, Run, run_subprocess
from tests.support.venvs import cache_dir, make_venv, pyenv_python

pytestmark = pytest.mark.slow


# (openai release, interpreter): the newest of each major, each on a different Python so the
# oldest supported (3.9) and a recent one are both covered. 2.54.0 needs 3.10+.
MAJORS = {
    "1.x": ("1.109.1", "3.9"),
    "2.x": ("2.54.0", "3.12"),
    "3.x": ("3.57.0", "3.11"),
}


def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "doctor").rglob("*.py")]):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def chat_doctor_wheel() -> Path:
    """A wheel of this checkout, cached by the content of its sources."""
    out = cache_dir() / "chat-doctor-wheels" / _source_digest()
    wheels = list(out.glob("chat_doctor-*.whl")) if out.exists() else []
    if wheels:
        return wheels[0]
    build = out.with_name(out.name + ".tmp")
    shutil.rmtree(build, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(build), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    build.rename(out)
    return next(out.glob("chat_doctor-*.whl"))


@pytest.fixture(scope="module", params=sorted(MAJORS))
def sdk_venv(request: Any) -> Dict[str, Any]:
    release, python_version = MAJORS[request.param]
    python = pyenv_python(python_version)  # first: without the interpreter, skip before building anything
    chat_doctor_wheel = request.getfixturevalue("chat_doctor_wheel")
    venv = make_venv(python, [str(chat_doctor_wheel), f"openai=={release}"])
    return {"major": request.param, "release": release, "exe": str(venv / "bin" / "chat-doctor")}


def smoke_in(venv: Dict[str, Any], server: MockServer, *args: str, env: Dict[str, str] = None) -> Run:  # type: ignore[assignment]
    run = run_subprocess(
        ["smoke", "--json", "--timeout", "5", *args],
        env=env or {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": CANARY_KEY},
        executable=venv["exe"], timeout=120,
    )
    assert CANARY_KEY not in run.output and CANARY_KEY[8:40] not in run.output
    return run


def stream_check(run: Run) -> Dict[str, Any]:
    return run.check("stream.chat")


def test_streams_and_times_with_this_major(sdk_venv: Dict[str, Any]) -> None:
    with MockServer(MockOptions(scenario="ok", first_token_delay_ms=200, token_interval_ms=10)) as server:
        run = smoke_in(sdk_venv, server, "--runs", "3")
        chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    document = run.json["smoke"]
    assert run.exit_code == 0, stream_check(run)
    assert document["sdk"] == f"openai {sdk_venv['release']}"
    for one in document["runs"]:
        assert 200 <= one["ttft_ms"] < 400, one  # never before the 200 ms delay, well before twice it
        assert one["first_chunk_ms"] < 100 and one["completion_tokens"] == 8 and one["finish_reason"] == "stop"
    # Connection reuse as the client observed it equals what the server saw, whatever the SDK does.
    assert document["runs"][0]["connection"] == "new"
    for previous, this, observed in zip(chats, chats[1:], document["runs"][1:]):
        assert observed["connection"] == ("reused" if this.connection_id == previous.connection_id else "new")


@pytest.mark.parametrize(
    "scenario, args, code",
    [
        ("errevent", [], "stream_error_event"),  # plain APIError, no status
        ("auth401", [], "invalid_api_key"),  # AuthenticationError (str(e) differs by major)
        ("cut", [], "stream_interrupted"),  # APIConnectionError mid-stream
        ("stall", ["--timeout", "1"], "stream_stalled"),  # APITimeoutError mid-stream
        ("badjson", [], "stream_malformed"),  # JSONDecodeError from the SSE decoder
        ("json_instead_of_sse", [], "stream_not_sse"),  # zero chunks, silently
        ("buffered", [], "stream_buffered"),
        ("reject_stream_options", [], None),  # BadRequestError, then a retry without the field
        # The bounds of doctor/stream/budget.py, enforced in each major's byte stream:
        ("slowloris", ["--timeout", "1"], "stream_timeout"),  # the watchdog cuts the trickling head
        ("keepalive_forever", ["--timeout", "1"], "stream_stalled"),  # bytes, never an event
        ("endless_line", [], "stream_too_long"),  # the SSE decoder never gets the 1 MiB line
        ("gzip_bomb", [], "stream_too_long"),  # counted after httpx/httpx2 inflate it
        ("no_limits", ["--max-tokens", "4"], "max_tokens_ignored"),
        ("odd_content", [], "stream_malformed"),  # the SDK does not validate chunk types
    ],
)
def test_each_diagnosis_with_this_major(sdk_venv: Dict[str, Any], scenario: str, args: list, code: str) -> None:
    with MockServer(MockOptions(scenario=scenario)) as server:
        run = smoke_in(sdk_venv, server, *args)
    result = stream_check(run)
    assert result["code"] == code, (sdk_venv["major"], result["summary"], result["details"])


def test_azure_client_with_this_major(sdk_venv: Dict[str, Any]) -> None:
    with MockServer(MockOptions(scenario="azure_filter_chunk")) as server:
        env = {"AZURE_OPENAI_ENDPOINT": server.base_url[: -len("/v1")], "OPENAI_API_VERSION": "2024-10-21",
               "AZURE_OPENAI_API_KEY": CANARY_KEY}
        run = smoke_in(sdk_venv, server, env=env)
        paths = [r.path for r in server.requests]
    assert stream_check(run)["status"] == "ok", stream_check(run)
    assert "/openai/deployments/gpt-4o-mini/chat/completions" in paths
