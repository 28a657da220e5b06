"""Issue 11's stream verdicts on `stream.responses`, through the installed `chat-doctor smoke --api
responses` against the real local endpoint: a terminal event without usage (stream_no_usage), an
answer a content filter stopped (content_filtered, while other incomplete reasons stay
stream_incomplete), a gateway whose model server is down (upstream_error), and a buffered stream
with its cause searched over the Responses API (`data.cause`, its retries POSTed to /v1/responses).
The canary key never shows. (The chat side of the same verdicts: test_stream_integrity_cli.py,
test_buffer_cause_cli.py.)
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from doctor.mock.server import MockServer, key_fingerprint
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.mock_helpers import env_for, running

FAST = ["--timeout", "5"]
FIRST_MS, INTERVAL_MS, TOKENS = 200, 40, 8  # paced: 8 tokens over ~480 ms


def smoke(server: MockServer, *args: str, api: str = "responses") -> Run:
    run = run_subprocess(["smoke", "--api", api, "--json", *FAST, *args], env=env_for(server))
    assert_no_key(run)
    return run


def responses_posts(server: MockServer) -> List[Any]:
    """The Responses requests the mock received; each carries the canary key, no other."""
    found = [r for r in server.requests if r.method == "POST" and r.path == "/v1/responses"]
    assert all(r.key_sha256 == key_fingerprint(CANARY_KEY) for r in found), found
    return found


def fix_text(result: Dict[str, Any]) -> str:
    return " ".join(f"{f['text']} {f['command'] or ''}" for f in result["fixes"])


# --- stream_no_usage ----------------------------------------------------------------------------


def test_a_terminal_event_without_usage_is_stream_no_usage() -> None:
    with running("responses_no_usage") as server:
        run = smoke(server)
    result = run.check("stream.responses")
    assert (result["status"], result["code"], run.exit_code) == ("warn", "stream_no_usage", 0)
    assert "response.completed" in result["summary"] and "no usage" in result["summary"]
    assert "terminal event" in " ".join(result["details"])
    assert "response.usage" in fix_text(result)  # this API's fix, not chat's include_usage
    one = run.json["smoke_responses"]["runs"][0]
    assert (one["terminal"], one["completion_tokens"], one["error"]) == ("response.completed", None, None)


def test_no_usage_is_counted_over_the_runs() -> None:
    with running("responses_no_usage") as server:
        run = smoke(server, "--runs", "2", "--quiet")
    result = run.check("stream.responses")
    assert result["code"] == "stream_no_usage" and "2 of 2 runs" in result["summary"]


def test_a_healthy_responses_stream_reports_its_usage() -> None:
    with running("ok") as server:
        run = smoke(server)
    result = run.check("stream.responses")
    assert (result["status"], result["code"]) == ("ok", None)
    assert run.json["smoke_responses"]["runs"][0]["completion_tokens"] == TOKENS


def test_under_both_chat_and_responses_each_warn_in_their_own_terms() -> None:
    # `no_usage` is chat's scenario (no usage chunk), `responses_no_usage` this API's: each warns
    # only on its own API.
    with running("no_usage") as server:
        chat_only = smoke(server, api="both")
    with running("responses_no_usage") as server:
        responses_only = smoke(server, api="both")
    assert chat_only.check("stream.chat")["code"] == "stream_no_usage"
    assert chat_only.check("stream.responses")["code"] is None
    assert responses_only.check("stream.chat")["code"] is None
    assert responses_only.check("stream.responses")["code"] == "stream_no_usage"


# --- content_filtered and stream_incomplete -----------------------------------------------------


def test_an_answer_stopped_by_a_content_filter_is_content_filtered() -> None:
    with running("responses_content_filter") as server:
        run = smoke(server)
    result = run.check("stream.responses")
    assert (result["status"], result["code"], run.exit_code) == ("warn", "content_filtered", 0)
    assert "content filter stopped the answer after 3 text deltas" in result["summary"]
    assert "reason: content_filter" in result["summary"]
    assert "content policy" in " ".join(result["details"])
    one = run.json["smoke_responses"]["runs"][0]
    assert (one["terminal"], one["finish_reason"]) == ("response.incomplete", "content_filter")


def test_an_answer_cut_at_the_token_limit_stays_stream_incomplete() -> None:
    with running("responses_incomplete") as server:
        run = smoke(server)
    result = run.check("stream.responses")
    assert (result["code"], result["status"]) == ("stream_incomplete", "warn")
    assert "reason: max_output_tokens" in result["summary"]


# --- upstream_error ------------------------------------------------------------------------------


def test_a_gateway_whose_model_server_is_down_is_upstream_error_on_responses() -> None:
    with running("gateway_upstream_error") as server:
        run = smoke(server)
        posts = responses_posts(server)
    result = run.check("stream.responses")
    assert (result["status"], result["code"], run.exit_code) == ("fail", "upstream_error", 1)
    assert "LiteLLM answered 500" in result["summary"]
    assert [r.status for r in posts] == [500]


# --- stream_buffered and its cause --------------------------------------------------------------


def buffered(scenario: str, *args: str) -> Dict[str, Any]:
    with running(scenario, first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server, *args)
        posts = responses_posts(server)
    result = run.check("stream.responses")
    assert run.exit_code == 0, run.stderr[-2000:]
    return {"run": run, "result": result, "posts": posts}


def test_a_gzipped_responses_stream_is_compression_and_identity_streams() -> None:
    got = buffered("gzip_buffered")
    result, posts = got["result"], got["posts"]
    assert (result["status"], result["code"], result["data"]["cause"]) == ("warn", "stream_buffered", "compression")
    assert got["run"].json["smoke_responses"]["runs"][0]["buffering"] == "buffered"
    # The one retry (no proxy: no direct one) was a Responses request too, and streamed plain.
    (retry,) = result["data"]["cause_evidence"]["retries"]
    assert (retry["route"], retry["buffering"], retry["content_encoding"]) == ("same", "streamed", None)
    assert FIRST_MS - 5 <= retry["ttft_ms"] < 2 * (FIRST_MS + INTERVAL_MS * TOKENS)
    assert len(posts) == 2
    assert "gzip off;" in fix_text(result) and result["details"][1].startswith("cause: compression")


def test_a_buffered_responses_stream_without_a_proxy_is_upstream() -> None:
    got = buffered("buffered")
    result = got["result"]
    assert (result["code"], result["data"]["cause"]) == ("stream_buffered", "upstream")
    assert [r["buffering"] for r in result["data"]["cause_evidence"]["retries"]] == ["buffered"]
    assert len(got["posts"]) == 2
    assert "server's own streaming settings" in fix_text(result)


@pytest.mark.parametrize("scenario, cause", [("buffered", "upstream"), ("gzip_buffered", "compression")])
def test_under_both_each_api_has_its_own_cause_search(scenario: str, cause: str) -> None:
    with running(scenario, first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server, api="both")
        paths = [r.path for r in server.requests if r.method == "POST"]
    chat, responses = run.check("stream.chat"), run.check("stream.responses")
    assert chat["data"]["cause"] == responses["data"]["cause"] == cause
    # Each check's measured run, then its own retry, over its own API.
    assert paths == ["/v1/chat/completions", "/v1/chat/completions", "/v1/responses", "/v1/responses"]


def test_a_streamed_responses_answer_makes_no_retry() -> None:
    with running("ok", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server)
        posts = responses_posts(server)
    result = run.check("stream.responses")
    assert (result["status"], "cause" in result["data"], len(posts)) == ("ok", False, 1)

