"""`chat-doctor smoke` and `check --smoke` through the real CLI against the real local endpoint.

Every streaming scenario of doctor.mock gives its diagnosis code and exit code; timings are
checked against the delays the server injects (generously: precision is scripts/bench_ttft.py's
job); the canary key never appears in any output.
"""

from __future__ import annotations

import socket
from typing import Dict, List, Optional

import pytest

from doctor.mock.server import MockServer
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli, run_subprocess
from tests.support.mock_helpers import env_for, running

FAST = ["--timeout", "5"]


def smoke(server: MockServer, *args: str, env: Optional[Dict[str, str]] = None) -> Run:
    run = run_cli(["smoke", "--json", *FAST, *args], env=env or env_for(server))
    assert_no_key(run)
    return run


def not_ok_besides_stream(run: Run) -> List[str]:
    return [f"{c['id']}={c['status']}({c['code']})" for c in run.json["checks"]
            if c["id"] != "stream.chat" and c["status"] not in ("ok", "skip")]


# --- every scenario: code and exit code --------------------------------------------------------


@pytest.mark.parametrize(
    "scenario, options, args, code, exit_code",
    [
        ("ok", {}, [], None, 0),
        ("ping", {}, [], None, 0),
        ("azure_filter_chunk", {}, [], None, 0),
        ("reasoning", {}, [], None, 0),
        ("reject_stream_options", {}, [], None, 0),
        ("reject_max_completion_tokens", {}, [], None, 0),
        ("buffered", {}, [], "stream_buffered", 0),
        ("cut", {}, [], "stream_interrupted", 1),
        ("nofinish", {}, [], "stream_interrupted", 1),
        ("stall", {}, ["--timeout", "1"], "stream_stalled", 1),
        ("badjson", {}, [], "stream_malformed", 1),
        ("list_chunk", {}, [], "stream_malformed", 1),  # valid JSON, but not a chunk object
        ("odd_reasoning", {}, [], "stream_malformed", 1),  # reasoning_content: 7, not text
        ("errevent", {}, [], "stream_error_event", 1),
        ("json_instead_of_sse", {}, [], "stream_not_sse", 1),
        ("html", {}, [], "not_openai_api", 1),
        ("redirect", {}, [], "endpoint_redirects", 1),
        ("auth401", {}, [], "invalid_api_key", 1),
        ("quota429", {}, [], "insufficient_quota", 1),
        ("rate429", {}, [], "rate_limited", 1),
        ("model404", {}, [], "model_not_found", 1),
        ("server500", {}, [], "server_error", 1),
        ("overload503", {}, [], "overloaded", 1),
        ("slow", {"slow_delay_ms": 2000}, ["--timeout", "0.5"], "stream_timeout", 1),
    ],
)
def test_scenario_gives_its_code_and_exit_code(scenario, options, args, code, exit_code) -> None:
    with running(scenario, **options) as server:
        run = smoke(server, *args)
    result = run.check("stream.chat")
    assert result["code"] == code, (result["summary"], result["details"])
    assert run.exit_code == exit_code, (run.exit_code, not_ok_besides_stream(run))
    expected_status = "ok" if code is None else ("warn" if code == "stream_buffered" else "fail")
    assert result["status"] == expected_status
    smoke_doc = run.json["smoke"]
    assert smoke_doc["model"] == "gpt-4o-mini" and smoke_doc["base_url"] == server.base_url
    run_doc = smoke_doc["runs"][0]
    assert (run_doc["error"] is None) == (code in (None, "stream_buffered"))
    if run_doc["error"] is not None:
        assert run_doc["error"]["code"] == code


def test_connection_refused_before_any_response() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = run_cli(["smoke", "--json", *FAST], env={"OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1", "OPENAI_API_KEY": CANARY_KEY})
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("stream_connection_failed", 1)
    assert "Connect" in " ".join(result["details"])


# --- what the numbers mean ------------------------------------------------------------------------


def test_ttft_tracks_the_injected_delay_and_skips_the_role_chunk() -> None:
    with running("ok", first_token_delay_ms=300, token_interval_ms=20) as server:
        run = smoke(server)
    assert run.exit_code == 0
    one = run.json["smoke"]["runs"][0]
    # Never before the delay, well before twice it: precision is scripts/bench_ttft.py's job.
    assert 300 <= one["ttft_ms"] < 600, one
    assert one["first_chunk_ms"] < 250 and one["ttft_ms"] >= 300, one  # the role chunk did not wait
    assert one["headers_ms"] <= one["first_chunk_ms"]
    assert 0 < one["request_build_ms"] < 300, one  # the SDK's work before the send: not in the rungs
    assert one["content_chunks"] == 8 and one["completion_tokens"] == 8
    assert 10 <= one["itl_ms"]["p50"] <= 80, one  # 20 ms apart on schedule; the median ignores one stall
    assert one["finish_reason"] == "stop" and one["request_id"].startswith("req_")
    assert one["buffering"] == "streamed" and run.json["smoke"]["buffered"] is False


def test_runs_give_percentiles_and_connection_reuse_is_reported_honestly() -> None:
    with running("ok", first_token_delay_ms=50) as server:
        run = smoke(server, "--runs", "4")
        chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    document = run.json["smoke"]
    assert run.exit_code == 0 and len(document["runs"]) == 4
    ttft = document["ttft_ms"]
    assert set(ttft) == {"min", "p50", "p90", "max"}
    assert ttft["min"] <= ttft["p50"] <= ttft["p90"] <= ttft["max"]
    assert all(50 <= r["ttft_ms"] < 300 for r in document["runs"]), document["runs"]  # the 50 ms delay, never less
    assert set(document["timings_ms"]["total_ms"]) == {"min", "p50", "p90", "max"}
    # What the client observed (httpcore opening a connection or not) matches what the server saw.
    assert len(chats) == 4
    assert document["runs"][0]["connection"] == "new"
    for previous, this, observed in zip(chats, chats[1:], document["runs"][1:]):
        server_view = "reused" if this.connection_id == previous.connection_id else "new"
        assert observed["connection"] == server_view


def test_threshold_breach_alone_exits_4() -> None:
    with running("ok", first_token_delay_ms=300) as server:
        run = smoke(server, "--max-ttft", "0.1")
    result = run.check("stream.chat")
    assert (result["code"], result["status"], run.exit_code) == ("ttft_over_limit", "fail", 4), not_ok_besides_stream(run)
    assert run.json["smoke"]["max_ttft_ms"] == 100.0


def test_threshold_met_passes() -> None:
    with running("ok", first_token_delay_ms=50) as server:
        run = smoke(server, "--max-ttft", "2")
    assert run.exit_code == 0 and run.check("stream.chat")["status"] == "ok"


def test_fallbacks_are_recorded_when_the_server_rejects_optional_fields() -> None:
    with running("reject_stream_options") as server:
        run = smoke(server)
        bodies = [r.body for r in server.requests if r.path.endswith("/chat/completions")]
    one = run.json["smoke"]["runs"][0]
    assert one["fallbacks"] == ["stream_options"] and one["completion_tokens"] is None
    assert "stream_options" in bodies[0] and "stream_options" not in bodies[-1]
    # A compatible server gets `max_tokens` from the start (the token-limit fallbacks are in
    # tests/local/test_smoke_bounds.py), so rejecting max_completion_tokens costs it nothing.
    with running("reject_max_completion_tokens") as server:
        run = smoke(server)
        bodies = [r.body for r in server.requests if r.path.endswith("/chat/completions")]
    assert run.json["smoke"]["runs"][0]["fallbacks"] == [] and len(bodies) == 1
    assert bodies[0]["max_tokens"] == 64 and "max_completion_tokens" not in bodies[0]


def test_reasoning_is_timed_separately() -> None:
    with running("reasoning", first_token_delay_ms=100, token_interval_ms=5) as server:
        run = smoke(server)
    one = run.json["smoke"]["runs"][0]
    assert 100 <= one["first_reasoning_ms"] < one["ttft_ms"], one


def test_azure_endpoint_uses_the_azure_client() -> None:
    with running("ok") as server:
        root = server.base_url[: -len("/v1")]
        env = {"AZURE_OPENAI_ENDPOINT": root, "OPENAI_API_VERSION": "2024-10-21", "AZURE_OPENAI_API_KEY": CANARY_KEY}
        run = smoke(server, env=env)
        chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert run.json["endpoint"]["kind"] == "azure"
    assert run.check("stream.chat")["status"] == "ok", run.check("stream.chat")
    assert chats[0].path == "/openai/deployments/gpt-4o-mini/chat/completions"
    assert "api-version=2024-10-21" in chats[0].query and chats[0].authorized


def test_plain_http_to_another_host_stops_at_config_base_url_before_anything_is_sent() -> None:
    """On the direct route the refusal is config.base_url's: stream.chat never starts, so no
    request (and no key) leaves. The stream's own key-travel refusal, `key_withheld_insecure`,
    which only a proxy that is not this machine can reach once config passes, is tested in
    tests/local/test_key_travel.py (test_the_smoke_test_never_sends_the_key_in_clear_through_a_remote_proxy)."""
    args = ["smoke", "--json", "--timeout", "1", "--base-url", "http://chat-doctor-test.invalid/v1"]
    run = run_cli(args, env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    base = run.check("config.base_url")
    assert (base["status"], base["code"]) == ("fail", "base_url_insecure")
    stream = run.check("stream.chat")
    assert (stream["status"], stream["code"], stream["data"]["blocked_by"]) == \
        ("skip", "prerequisite_failed", "config.base_url"), stream
    assert run.json.get("smoke") is None and run.exit_code == 1  # no run: nothing was dialled
    # The gate is what stopped it: accepted with --allow-insecure, the SDK really tries the host.
    allowed = run_cli([*args, "--allow-insecure"], env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(allowed)
    assert allowed.check("stream.chat")["code"] == "stream_connection_failed", allowed.check("stream.chat")


# --- output channels -------------------------------------------------------------------------


def test_human_output_streams_the_reply_then_the_timings() -> None:
    with running("ok", first_token_delay_ms=20, token_interval_ms=5) as server:
        run = run_cli(["smoke", *FAST], env=env_for(server))
    assert_no_key(run)
    assert run.exit_code == 0
    out = run.stdout
    reply = out.index("reply: Hello from chat-doctor's local endpoint.")
    assert reply < out.index("stream.chat") < out.index("TTFT")


def test_verbose_shows_the_timing_table_with_percentiles() -> None:
    with running("ok", first_token_delay_ms=20) as server:
        run = run_cli(["smoke", "-v", "--runs", "3", *FAST], env=env_for(server))
    assert run.exit_code == 0
    for needle in ("1st token", "run 3", "p50", "p90", "inter-token gaps"):
        assert needle in run.stdout, needle


def test_json_keeps_stdout_pure_while_tokens_stream_to_stderr() -> None:
    with running("ok", first_token_delay_ms=20, token_interval_ms=5) as server:
        run = run_subprocess(["smoke", "--json", *FAST], env=env_for(server), timeout=60)
    assert_no_key(run)
    assert run.stdout.lstrip().startswith("{") and run.stdout.rstrip().endswith("}")
    assert run.json["smoke"]["runs"][0]["ttft_ms"] > 0
    assert "Hello from chat-doctor's local endpoint." in run.stderr
    assert "Hello from" not in run.stdout.replace(run.json["checks"][-1]["summary"], "")


def test_quiet_shows_no_reply_anywhere() -> None:
    with running("ok") as server:
        run = run_subprocess(["smoke", "--quiet", *FAST], env=env_for(server), timeout=60)
    assert run.exit_code == 0
    assert "Hello from" not in run.output and "stream.chat" in run.stdout


def test_a_server_that_echoes_the_key_is_redacted_everywhere() -> None:
    with running("auth401") as server:
        for args in (["smoke", "--json", *FAST], ["smoke", "-v", *FAST]):
            run = run_cli(args, env=env_for(server))
            assert_no_key(run)
            assert "Incorrect API key provided" in run.output


# --- check --smoke ------------------------------------------------------------------------------


def test_check_smoke_adds_stream_chat_and_the_smoke_object() -> None:
    with running("ok") as server:
        run = run_cli(["check", "--smoke", "--json", *FAST], env=env_for(server))
        plain = run_cli(["check", "--json", *FAST], env=env_for(server))
    assert_no_key(run)
    assert run.check("stream.chat")["status"] == "ok"
    assert run.json["smoke"]["runs"][0]["error"] is None
    ids = [c["id"] for c in run.json["checks"]]
    assert ids[-1] == "stream.chat" and "config.api_key" in ids
    assert "stream.chat" not in [c["id"] for c in plain.json["checks"]] and plain.json["smoke"] is None


# --- which interpreter ran it -----------------------------------------------------------------


def test_chat_doctors_own_interpreter_as_the_target_runs_it_and_names_it() -> None:
    import platform
    import sys

    import openai

    with running("ok") as server:
        default = smoke(server)
        named = smoke(server, "--python", sys.executable, "-v")
    for run in (default, named):
        document = run.json["smoke"]
        assert run.check("stream.chat")["status"] == "ok"
        assert (document["sdk"], document["ran_in"], document["fallback"]) == (f"openai {openai.__version__}", "target", None)
        assert document["python"] == sys.executable and document["python_version"] == platform.python_version()
        assert document["http"].split()[0] in ("httpx", "httpx2")
        details = run.check("stream.chat")["details"]
        assert f"ran in the target, {sys.executable} (Python {platform.python_version()}): {document['sdk']} " \
               f"with {document['http']}" in details
        assert not [line for line in details if "own interpreter" in line]
