"""The smoke test run inside the target interpreter (doctor.stream.target_launch + target_runner),
with this venv's Python as the target, against real loopback peers: the mock endpoint, raw
servers for the Responses API's stream, a TLS mock behind a CONNECT proxy, and shell scripts
standing in for targets that hang, crash, flood or print garbage.
"""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from doctor.net.trust import TrustSpec
from doctor.redact import Redactor
from doctor.stream import trace as t
from doctor.stream.client import ClientConfig
from doctor.stream.sdk import SdkSession, StreamRequest
from doctor.stream.target_launch import KEY_VARIABLE, LaunchResult, RunnerJob, payload, run_in_target
from doctor.stream.target_process import RunnerProcess
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY
from tests.support.mock_helpers import running
from tests.support.raw_server import RawServer
from tests.support.tls_certs import TlsMaterial, tls_server


def job_for(base_url: str, **fields: Any) -> RunnerJob:
    options: Dict[str, Any] = dict(model="gpt-4o-mini", prompt="Say hello", max_tokens=64, timeout_s=3.0, allow_http=True)
    options.update(fields)
    return RunnerJob(base_url=base_url, **options)


def launch(job: RunnerJob, python: str = sys.executable, env: Optional[Dict[str, str]] = None,
           **options: Any) -> LaunchResult:
    result = run_in_target(python, job, env=env or {}, key=CANARY_KEY, redactor=Redactor([CANARY_KEY]), **options)
    assert_no_key_in(repr(result))
    return result


def assert_no_key_in(text: str) -> None:
    assert CANARY_KEY not in text
    leaked = [CANARY_KEY[i:i + 12] for i in range(len(CANARY_KEY) - 11) if CANARY_KEY[i:i + 12] in text]
    assert not leaked, f"{len(leaked)} piece(s) of the key leaked"


class Printer:
    """A live printer (stream.chat's _LivePrinter's shape) that keeps what it was handed."""

    def __init__(self, log: List[str], run: int) -> None:
        self.log, self.run = log, run

    def text(self, piece: str) -> None:
        self.log.append(f"{self.run}:{piece}")

    def end(self) -> None:
        self.log.append(f"{self.run}:<end>")


# --- a streamed chat run parses --------------------------------------------------------------


def test_a_streamed_chat_run_in_the_target_parses_and_times_like_in_process() -> None:
    import openai

    log: List[str] = []
    with running("ok", first_token_delay_ms=200, token_interval_ms=10) as server:
        result = launch(job_for(server.base_url, runs=2), printer=lambda run: Printer(log, run))
        chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert result.problem is None and result.failure is None and result.fallback is None, result
    setup = result.setup
    assert setup is not None and setup.openai == openai.__version__ and setup.sdk == f"openai {openai.__version__}"
    assert setup.http is not None and setup.http.split()[0] in ("httpx", "httpx2")
    assert setup.python_version == "%d.%d.%d" % sys.version_info[:3]  # noqa: UP031  # the version as the target says it
    assert result.warmup_ms is not None and result.warmup_ms > 0
    assert len(result.runs) == 2
    for run in result.traces:
        assert (run.status, run.finish_reason, run.completion_tokens) == (200, "stop", 8)
        assert run.text == "Hello from chat-doctor's local endpoint." and (run.content_type or "").startswith("text/event-stream")
        first = run.first(t.CONTENT)
        assert first is not None and 200 <= first.wire_ms < 400, first  # never before the delay, well before twice it
        assert run.headers_ms is not None and run.headers_ms < first.wire_ms <= first.yield_ms
        assert run.reads and run.reads[0] <= first.wire_ms and run.end_ms is not None and run.end_ms >= first.yield_ms
    assert result.traces[0].connection == "new"
    # Connection reuse as the target's client saw it equals what the server saw.
    assert result.traces[1].connection == ("reused" if chats[1].connection_id == chats[0].connection_id else "new")
    assert "".join(p.split(":", 1)[1] for p in log if p.startswith("1:") and p != "1:<end>") == result.traces[0].text
    assert log.count("1:<end>") == 1 and log[-1] == "2:<end>"


def test_the_clock_starts_as_the_request_is_sent_in_both_paths() -> None:
    """t0 is the HTTP client's request hook (the README's "from the moment the request is sent"):
    the SDK's request building before it is its own figure, request_build_ms, in both paths."""
    with running("ok", first_token_delay_ms=200, token_interval_ms=10) as server:
        target = launch(job_for(server.base_url))
        session = SdkSession(ClientConfig(base_url=server.base_url, kind="compatible", api_key=CANARY_KEY, timeout_s=3.0))
        try:
            before = time.monotonic()
            in_process, _ = session.run(StreamRequest(model="gpt-4o-mini", prompt="Say hello", max_tokens=64))
            after = time.monotonic()
        finally:
            session.close()
    assert target.problem is None and in_process.failure is None, (target, in_process)
    for trace in (target.traces[0], in_process):
        build = trace.request_build_ms
        assert build is not None and 0.0 < build < 1000.0, build
        first = trace.first(t.CONTENT)
        assert first is not None and 200 <= first.wire_ms < 400, first  # the server's delay, from the send
    # The clock started after create() was called and the SDK built the request: the whole run,
    # from before create() to its end, took the build time plus the measured stream.
    assert in_process.end_ms is not None and in_process.request_build_ms is not None
    assert (after - before) * 1000.0 >= in_process.request_build_ms + in_process.end_ms


@pytest.mark.parametrize(
    "scenario, timeout_s, max_tokens",
    [
        ("auth401", 3.0, 64), ("errevent", 3.0, 64), ("cut", 3.0, 64), ("badjson", 3.0, 64), ("odd_content", 3.0, 64),
        ("list_chunk", 3.0, 64), ("odd_reasoning", 3.0, 64),
        ("stall", 1.0, 64), ("slowloris", 1.0, 64), ("keepalive_forever", 1.0, 64), ("endless_line", 3.0, 64),
        ("gzip_bomb", 3.0, 64), ("no_limits", 3.0, 4), ("reject_stream_options", 3.0, 64),
    ],
)
def test_each_failure_reads_as_the_in_process_path_reads_it(scenario: str, timeout_s: float, max_tokens: int) -> None:
    with running(scenario) as server:
        result = launch(job_for(server.base_url, timeout_s=timeout_s, max_tokens=max_tokens))
        session = SdkSession(ClientConfig(base_url=server.base_url, kind="openai", api_key=CANARY_KEY, timeout_s=timeout_s))
        try:
            local, _ = session.run(StreamRequest(model="gpt-4o-mini", prompt="Say hello", max_tokens=max_tokens))
        finally:
            session.close()
    assert result.problem is None, result
    (remote,) = result.traces
    local = Redactor([CANARY_KEY]).scrub(local)

    def shape(trace: t.StreamTrace) -> Any:
        failure = trace.failure
        return (trace.status, trace.finish_reason, trace.fallbacks, trace.overrun and trace.overrun.kind,
                failure and (failure.kind, failure.phase, failure.status, failure.code,
                             # which layer noticed a bound first (the watchdog or a read) is a race
                             None if failure.limit else failure.exception,
                             failure.limit and (failure.limit.kind, failure.limit.unit),
                             # a bound's figures are timings; its kind and unit are compared above
                             None if failure.limit else failure.message))

    assert shape(remote) == shape(local), scenario


def test_the_key_is_never_in_what_the_runner_prints_nor_in_the_result(tmp_path: Path) -> None:
    # auth401 echoes the key in its error; echo_key streams it back 5 characters a chunk.
    for scenario in ("auth401", "echo_key"):
        with running(scenario) as server:
            job = job_for(server.base_url)
            process = RunnerProcess.start(sys.executable, {}, CANARY_KEY, KEY_VARIABLE, payload(job, None, None),
                                          64 * 1024 * 1024, 1024 * 1024, 10_000)
            lines: List[bytes] = []
            assert process.pump(lines.append, lambda: False, time.monotonic() + 60, 1.0) == "exited"
            raw = b"\n".join(lines).decode() + process.stderr_excerpt()
            assert '"event": "done"' in raw
            assert ('"kind": "status"' if scenario == "auth401" else '"event": "chunk"') in raw
            assert_no_key_in(raw)
            log: List[str] = []
            result = launch(job, printer=lambda run: Printer(log, run))
            assert_no_key_in("".join(log))
            assert result.traces and result.problem is None


# --- the Responses API ------------------------------------------------------------------------

RESPONSE = {"id": "resp_1", "object": "response", "created_at": 0, "status": "in_progress", "model": "gpt-4o-mini",
            "output": [], "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
USAGE = {"input_tokens": 3, "output_tokens": 3, "total_tokens": 6, "input_tokens_details": {"cached_tokens": 0},
         "output_tokens_details": {"reasoning_tokens": 0}}
TERMINALS = {
    "completed": {"type": "response.completed", "response": dict(RESPONSE, status="completed", usage=USAGE)},
    "incomplete": {"type": "response.incomplete",
                   "response": dict(RESPONSE, status="incomplete", incomplete_details={"reason": "max_output_tokens"})},
    "failed": {"type": "response.failed",
               "response": dict(RESPONSE, status="failed", error={"code": "server_error", "message": "it broke"})},
    "error": {"type": "error", "code": "rate_limit_exceeded", "message": "slow down", "param": None},
    "none": None,
}


def responses_body(ending: str) -> bytes:
    events: List[Dict[str, Any]] = [{"type": "response.created", "response": RESPONSE}]
    events += [{"type": "response.output_text.delta", "delta": word, "item_id": "msg_1", "output_index": 0,
                "content_index": 0} for word in ("Hel", "lo", " there")]
    if TERMINALS[ending] is not None:
        events.append(dict(TERMINALS[ending]))  # type: ignore[arg-type]  # a dict, checked just above
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return b"".join(b"event: %s\ndata: %s\n\n" % (e["type"].encode(), json.dumps(e).encode()) for e in events)


@pytest.mark.parametrize(
    "ending, finish, terminal, failure",
    [
        ("completed", "completed", "response.completed", None),
        ("incomplete", "max_output_tokens", "response.incomplete", None),
        ("failed", "failed", "response.failed", ("error_event", "server_error", "it broke")),
        ("error", None, "error", ("error_event", "rate_limit_exceeded", "slow down")),
        ("none", None, None, None),
    ],
)
def test_a_responses_stream_reads_its_events(ending: str, finish: Optional[str], terminal: Optional[str],
                                             failure: Optional[tuple]) -> None:
    body = responses_body(ending)

    def answer(_server: RawServer, conn: Any) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n" % len(body) + body)
        conn.close()

    with RawServer(answer) as server:
        result = launch(job_for(server.url + "/v1", api="responses"))
    assert result.problem is None, result
    (run,) = result.runs
    trace = run.trace
    assert (trace.status, trace.text, trace.finish_reason, run.terminal) == (200, "Hello there", finish, terminal)
    assert run.event_types[:2] == ("response.created", "response.output_text.delta")
    assert run.sequence_numbers == tuple(range(len(run.event_types)))
    assert [c.kind for c in trace.chunks[:4]] == [t.ROLE, t.CONTENT, t.CONTENT, t.CONTENT]
    assert trace.completion_tokens == (3 if ending == "completed" else None)
    got = trace.failure and (trace.failure.kind, trace.failure.code, trace.failure.message)
    assert got == failure


def test_a_responses_run_against_the_mock_server() -> None:
    with running("ok") as server:
        result = launch(job_for(server.base_url, api="responses"))
    traces = result.traces
    if traces and traces[0].status == 404:
        pytest.skip("mock-server has no /v1/responses yet")
    assert result.problem is None, result
    (run,) = result.runs
    assert run.trace.status == 200 and run.trace.text and run.terminal == "response.completed"
    assert run.event_types[0] == "response.created"


# --- setup: what the target's SDK cannot do ---------------------------------------------------


def test_a_client_that_cannot_be_built_is_setup_failed_with_the_exception() -> None:
    with running("ok") as server:
        result = launch(job_for(server.base_url, kind="azure"))  # AzureOpenAI without an api_version
        assert server.requests == []
    assert result.problem == "setup_failed" and result.fallback is None and result.runs == ()
    failure = result.failure
    assert failure is not None and (failure.kind, failure.phase, failure.exception) == (t.ERR_SETUP, t.PHASE_SETUP, "ValueError")
    assert "api_version" in failure.message


def test_the_key_is_not_sent_over_http_unless_the_job_allows_it() -> None:
    with running("ok") as server:
        result = launch(job_for(server.base_url, allow_http=False))
        assert server.requests == []
    assert result.problem == "withheld" and result.failure is not None and result.failure.kind == t.ERR_WITHHELD


@pytest.mark.parametrize(
    "module, problem, words",
    [
        ("raise ImportError('No module named httpx')", "no_openai", "ImportError: No module named httpx"),
        ("__version__ = '0.28.1'", "old_openai", "openai 0.28.1"),
    ],
)
def test_no_usable_openai_means_fall_back_to_chat_doctors_own_interpreter(tmp_path: Path, module: str, problem: str,
                                                                        words: str) -> None:
    (tmp_path / "openai").mkdir()
    (tmp_path / "openai" / "__init__.py").write_text(module + "\n")
    result = launch(job_for("http://127.0.0.1:9/v1"), env={"PYTHONPATH": str(tmp_path)})
    assert result.problem == problem and result.failure is None and result.runs == ()
    assert result.fallback is not None and words in result.fallback and sys.executable in result.fallback


def test_the_proxy_and_the_trust_are_the_jobs(tmp_path: Path) -> None:
    material = TlsMaterial(tmp_path)
    trust = TrustSpec(name="sdk", client="test", source="SSL_CERT_FILE", cafile=material.ca_file)
    with tls_server(material.good) as server, ConnectProxy() as proxy:
        proxied = launch(job_for(server.base_url, allow_http=False), proxy_url=proxy.url(), trust=trust)
        untrusted = launch(job_for(server.base_url, allow_http=False),
                           trust=TrustSpec(name="sdk", client="test", source="SSL_CERT_FILE", cafile=material.other_ca_file))
        tunnels = [r.target for r in proxy.requests]
    assert proxied.problem is None and proxied.traces[0].status == 200 and proxied.traces[0].finish_reason == "stop"
    assert tunnels == [f"127.0.0.1:{server.port}"]  # one CONNECT: the untrusted run went direct
    failure = untrusted.traces[0].failure
    assert failure is not None and failure.kind == t.ERR_CONNECTION and "CERTIFICATE_VERIFY_FAILED" in (failure.cause or "")


# --- targets that misbehave -------------------------------------------------------------------


def fake_target(tmp_path: Path, body: str) -> str:
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.parametrize(
    "body, problem, words",
    [
        ("cat > /dev/null; sleep 30", "hung", "did not finish within 2 s (killed)"),
        ("cat > /dev/null; echo 'Traceback: it broke' >&2; exit 3", "crashed", "exited with status 3"),
        ("cat > /dev/null; kill -9 $$", "crashed", "was killed by signal 9"),
        ("cat > /dev/null; echo hello; echo '{\"x\": 1}'", "garbage", "not a runner event: hello"),
        ("head -c 100000000 /dev/zero", "flooded", "printed more than"),  # one endless line
        ("yes '{\"event\": \"nothing\"}' | head -c 100000000", "flooded", "lines (killed)"),  # many lines
        ("yes 'oops' | head -c 100000000 >&2", "flooded", "on stderr (killed)"),
        ("echo '{\"event\": \"too_old\", \"python\": \"3.7.16\"}'", "too_old_python", "is Python 3.7.16, older than the 3.8"),
    ],
)
def test_a_target_that_misbehaves_ends_in_bounded_time_with_the_reason(tmp_path: Path, body: str, problem: str,
                                                                     words: str) -> None:
    python = fake_target(tmp_path, body)
    started = time.monotonic()
    result = launch(job_for("http://127.0.0.1:9/v1"), python=python, deadline=2.0)
    took = time.monotonic() - started
    assert result.problem == problem, result
    text = result.fallback if problem == "too_old_python" else (result.failure and result.failure.message)
    assert text is not None and words in text, text
    assert took < 4.0, took  # the 2 s deadline, and no more than about twice it


def test_a_target_that_cannot_be_started() -> None:
    result = launch(job_for("http://127.0.0.1:9/v1"), python="/nonexistent/python3")
    assert result.problem == "not_started" and result.failure is not None
    assert "/nonexistent/python3 could not be started" in result.failure.message
