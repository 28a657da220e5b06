"""What real servers taught (issue 13), as pure rules: a short overrun that only the server's own
usage proves (LiteLLM's mock replies), LiteLLM's 400 "No connected db." (a key refused by a proxy
without its database), and nginx's HTML 502 page on the stream path (upstream_error, read by the
recogniser api.auth uses)."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest

from doctor.checks import stream_chat
from doctor.knowledge.api_errors import ApiError, diagnosis_for
from doctor.knowledge.gateways import page_server, page_title, stream_upstream_failure, upstream_failure
from doctor.knowledge.wording import gateways as gw
from doctor.model import CheckResult, Status
from doctor.stream import budget, figures, problems
from doctor.stream import trace as t

pytestmark = pytest.mark.timeout(60)

SDK = "openai 3.57.0"
NGINX_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
             "</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n")


def chunk(ms: float, kind: str = t.CONTENT) -> t.Chunk:
    return t.Chunk(wire_ms=ms, yield_ms=ms + 0.05, kind=kind, chars=3 if kind == t.CONTENT else 0, waited_ms=40.0)


def run(finish: Optional[str] = "stop", usage: Optional[int] = 12, max_tokens: int = 1, reasoning: int = 0,
        **fields: Any) -> t.StreamTrace:
    """LiteLLM's mock reply: 16 content chunks of 3 characters, whatever the limit."""
    chunks = [chunk(2.0, t.ROLE), *(chunk(100.0 + i, t.REASONING) for i in range(reasoning)),
              *(chunk(300.0 + 2 * i) for i in range(16)), chunk(340.0, t.EMPTY)]
    values: Dict[str, Any] = dict(
        model="gpt-4o-mini", sdk=SDK, status=200, content_type="text/event-stream", headers_ms=1.5, end_ms=341.0,
        chunks=tuple(chunks), reads=tuple(c.wire_ms for c in chunks), finish_reason=finish, completion_tokens=usage,
        text="x" * 47, connection="new", limit_field="max_tokens", max_tokens=max_tokens,
    )
    values.update(fields)
    return t.StreamTrace(**values)


def judge(*traces: t.StreamTrace) -> CheckResult:
    smoke = figures.summarise(traces, model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk=SDK)
    return stream_chat.judge(stream_chat.StreamChatFacts(smoke=smoke, beside=(), python="/usr/bin/python3"))


# --- an overrun the server's usage proves ----------------------------------------------------------


def test_a_short_overrun_under_the_read_bound_is_proved_by_the_usage() -> None:
    assert not budget.Budget(30.0, 1).overran(16, 47)  # under 2x+16: the read bound alone lets it pass
    result = judge(run())
    assert (result.status, result.code) == (Status.WARN, "max_tokens_ignored")
    assert result.summary == "the server ignored the token limit: the server's usage reports 12 completion tokens for max_tokens 1"
    assert result.data["limit"] == {"kind": "tokens", "bound": 1, "observed": 12, "unit": "tokens"}
    assert (result.data["limit_field"], result.data["limit_evidence"]) == ("max_tokens", "usage")


def test_the_responses_api_counts_output_tokens() -> None:
    result = judge(run(limit_field="max_output_tokens", max_tokens=16, usage=40, finish_reason="completed"))
    assert result.code == "max_tokens_ignored"
    assert "usage reports 40 output tokens for max_output_tokens 16" in result.summary


@pytest.mark.parametrize("usage, finish, reasoning, ignored", [
    (12, "stop", 0, True),
    (2, "stop", 0, False),  # limit + 1: a server counting a stop token it never sent
    (3, "stop", 0, True),
    (1, "stop", 0, False), (None, "stop", 0, False),  # honoured; no usage at all
    (12, "length", 0, False),  # cut at the limit: the server kept it, whatever its usage counts
    (12, "max_output_tokens", 0, False),
    (12, "stop", 3, False),  # streamed reasoning: servers differ on whether it counts: the read bound decides
])
def test_usage_overran(usage: Optional[int], finish: str, reasoning: int, ignored: bool) -> None:
    assert budget.usage_overran(1, usage, finish, reasoning > 0) is ignored
    result = judge(run(finish, usage, reasoning=reasoning))
    assert (result.code == "max_tokens_ignored") is ignored, result


def test_the_read_bound_overrun_keeps_its_wording_and_says_its_evidence() -> None:
    limit = t.StreamLimit(kind=t.LIMIT_TOKENS, bound=18, observed=19, unit="tokens")
    result = judge(run(finish=None, usage=None, overrun=limit))
    assert result.code == "max_tokens_ignored" and "stopped reading at 19 tokens (bound 18)" in result.summary
    assert result.data["limit_evidence"] == "read_bound"


def test_the_first_overrun_is_named_and_the_others_counted() -> None:
    result = judge(run(usage=1), run(), run())
    assert result.summary.startswith("run 2/3: the server ignored the token limit"), result.summary
    assert any("2 of 3 runs overran it" in line for line in result.details), result.details


# --- LiteLLM's proxy without a database ------------------------------------------------------------

NO_DB = ApiError(message="No connected db.", type="no_db_connection", code="400")


@pytest.mark.parametrize("error", [NO_DB, ApiError(message="No connected db."), ApiError(type="no_db_connection")])
def test_no_connected_db_is_the_key_refused_by_the_gateway(error: ApiError) -> None:
    assert diagnosis_for(400, error, "compatible")[0] == "gateway_no_key_db"


def test_another_400_stays_a_bad_request() -> None:
    assert diagnosis_for(400, ApiError(message="messages: field required"), "compatible")[0] == "api_bad_request"


def test_the_stream_checks_fail_with_it_and_the_gateways_fix() -> None:
    failure = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message="No connected db.",
                              exception="BadRequestError", status=400, code="400", type="no_db_connection")
    result = judge(t.StreamTrace(model="gpt-4o-mini", sdk=SDK, failure=failure, endpoint_kind="compatible"))
    assert (result.status, result.code) == (Status.FAIL, "gateway_no_key_db")
    assert result.summary == ("the LiteLLM proxy refused the key (HTTP 400: No connected db.): it has no database, "
                              "so only its master key works")
    assert any("master_key" in fix.text and "DATABASE_URL" in fix.text for fix in result.fixes), result.fixes


# --- nginx's HTML page on the stream path --------------------------------------------------------------


def test_the_page_is_named_with_its_title_and_server() -> None:
    assert (page_title(NGINX_502), page_server(NGINX_502)) == ("502 Bad Gateway", "nginx")
    assert gw.html_page(page_title(NGINX_502), page_server(NGINX_502)) == (
        'the body is an HTML page ("502 Bad Gateway", nginx), not an API error')
    assert gw.html_page(None, None) == gw.HTML_PAGE
    assert page_title('<title>a "quoted"\n title</title>') == "a quoted title"  # quotes would end it early
    assert page_title("<html>" + "x" * 100_000 + "<title>late</title>") is None  # bounded search


@pytest.mark.parametrize("message, gateway", [
    ('the body is an HTML page ("502 Bad Gateway", nginx), not an API error', "nginx"),
    ('the body is an HTML page ("504 Gateway Time-out"), not an API error', "a gateway"),
    ("the body is an HTML page, not an API error", "a gateway"),  # the target runner keeps no title
])
def test_a_gateway_page_on_the_stream_path_is_upstream_error(message: str, gateway: str) -> None:
    status = 504 if "504" in message else 502
    found = stream_upstream_failure(status, message, kind="compatible")
    assert found is not None and found.gateway == gateway
    failure = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message=message, exception="APIStatusError",
                              status=status)
    problem = problems.diagnose_run(t.StreamTrace(model="m", sdk=SDK, failure=failure, endpoint_kind="compatible"))
    assert problem is not None and problem.code == "upstream_error"
    assert problem.summary.startswith(f"{gateway} answered {status}: the server behind it failed")


@pytest.mark.parametrize("status, message, kind", [
    (500, "the body is an HTML page, not an API error", "compatible"),  # a 500 page: the server's own failure
    (502, "the body is an HTML page, not an API error", "openai"),  # OpenAI's own 5xx is never a gateway's
    (502, 'the body is an HTML page ("Welcome"), not an API error', "compatible"),  # a titled page that says nothing
])
def test_not_every_html_page_is_a_gateways(status: int, message: str, kind: str) -> None:
    assert stream_upstream_failure(status, message, kind=kind) is None


def test_api_auth_reads_the_same_page_the_same_way() -> None:
    found = upstream_failure(502, None, kind="compatible", html_title="502 Bad Gateway", excerpt=NGINX_502)
    streamed = stream_upstream_failure(502, gw.html_page(page_title(NGINX_502), page_server(NGINX_502)), kind="compatible")
    assert found == streamed and found is not None and found.gateway == "nginx"
