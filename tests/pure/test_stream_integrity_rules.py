"""Stream integrity and gateways as pure rules: how a reply ended (doctor.stream.integrity), vLLM's
flat error chunk (doctor.stream.chunks, and the target runner's reading of it), and a gateway's
5xx naming its upstream (doctor.knowledge.gateways) through api.auth's and stream.chat's judges."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from doctor.checks import api_auth, stream_chat
from doctor.checks.models_fact import ModelsFact
from doctor.checks.route import Route
from doctor.knowledge.api_errors import ApiError
from doctor.knowledge.diagnoses import lookup
from doctor.knowledge.gateways import upstream_failure
from doctor.model import CheckResult, Status
from doctor.stream import figures, integrity, problems
from doctor.stream import target_reading as reading
from doctor.stream import trace as t

pytestmark = pytest.mark.timeout(60)

SDK = "openai 3.57.0"


def chunk(ms: float, kind: str = t.CONTENT) -> t.Chunk:
    return t.Chunk(wire_ms=ms, yield_ms=ms + 0.05, kind=kind, chars=3 if kind == t.CONTENT else 0, waited_ms=40.0)


def run(finish: Optional[str] = "stop", content: int = 8, usage: Optional[int] = 8, **fields: Any) -> t.StreamTrace:
    """A stream of `content` content chunks 40 ms apart that ends with `finish` and `usage` tokens."""
    chunks = [chunk(2.0, t.ROLE), *(chunk(300.0 + 40 * i) for i in range(content)), chunk(700.0, t.EMPTY)]
    values: Dict[str, Any] = dict(
        model="gpt-4o-mini", sdk=SDK, status=200, content_type="text/event-stream", headers_ms=1.5, end_ms=701.0,
        chunks=tuple(chunks), reads=tuple(c.wire_ms for c in chunks), finish_reason=finish, completion_tokens=usage,
        text="x" * content, connection="new",
    )
    values.update(fields)
    return t.StreamTrace(**values)


def judge(*traces: t.StreamTrace) -> CheckResult:
    smoke = figures.summarise(traces, model="gpt-4o-mini", base_url="http://127.0.0.1:1/v1", sdk=SDK)
    return stream_chat.judge(stream_chat.StreamChatFacts(smoke=smoke, beside=(), python="/usr/bin/python3"))


# --- how the reply ended ------------------------------------------------------------------------


@pytest.mark.parametrize("reason, code", [
    ("stop", None), ("length", None), ("tool_calls", None), ("function_call", None),
    ("completed", None), ("max_output_tokens", None),  # the Responses API's normal ends
    ("eos_token", None),  # TGI: unknown is taken as normal rather than failing a healthy server
    (None, None),
    ("abort", "stream_aborted"), ("error", "stream_aborted"), ("ABORT", "stream_aborted"),
    ("content_filter", "content_filtered"),
])
def test_finish_verdict(reason: Optional[str], code: Optional[str]) -> None:
    found = integrity.finish_verdict(reason, 3)
    assert (found.code if found else None) == code
    if found is not None:
        assert lookup(found.code).status_on("stream.chat") is (Status.FAIL if code == "stream_aborted" else Status.WARN)
        assert "3 content chunks" in found.summary


def test_usage_missing_only_when_it_was_asked_for() -> None:
    assert integrity.usage_missing(True, False)
    assert not integrity.usage_missing(True, True)
    assert not integrity.usage_missing(False, False)  # the server refused stream_options: it was dropped


def test_an_aborted_run_fails_even_though_the_stream_closed_normally() -> None:
    problem = problems.diagnose_run(run("abort", content=3))
    assert problem is not None and problem.code == "stream_aborted"
    assert problem.summary == "the server aborted the reply: finish_reason=abort after 3 content chunks, then [DONE]"
    result = judge(run("abort", content=3))
    assert (result.status, result.code) == (Status.FAIL, "stream_aborted")
    assert result.fixes[0].text == lookup("stream_aborted").fix


def test_an_aborted_run_with_no_content_is_aborted_not_empty() -> None:
    assert judge(run("abort", content=0)).code == "stream_aborted"


def test_a_filtered_reply_warns_and_keeps_its_timings() -> None:
    result = judge(run("content_filter", content=3))
    assert (result.status, result.code) == (Status.WARN, "content_filtered")
    assert "content filter stopped the reply after 3 content chunks" in result.summary
    assert result.data["runs"][0]["error"] is None and result.data["stats"]["ttft_ms"] is not None


def test_a_filtered_reply_with_nothing_in_it_is_filtered_not_empty() -> None:
    assert problems.diagnose_run(run("content_filter", content=0)) is None
    assert judge(run("content_filter", content=0)).code == "content_filtered"


def test_no_usage_chunk_although_asked_warns_and_says_how_many_runs() -> None:
    one = judge(run(usage=None))
    assert (one.status, one.code) == (Status.WARN, "stream_no_usage")
    assert "the stream carried no usage chunk" in one.summary
    assert "stream_options.include_usage" in one.fixes[0].text
    two = judge(run(), run(usage=None), run(usage=None))
    assert two.code == "stream_no_usage" and two.summary.startswith("run 2/3: ")
    assert "2 of 3 streams carried no usage chunk" in two.summary


def test_no_usage_is_fine_when_it_was_not_asked_for() -> None:
    assert judge(run(usage=None, usage_requested=False)).status is Status.OK


def test_a_filtered_run_outranks_a_missing_usage_chunk_and_a_failure_outranks_both() -> None:
    assert judge(run(usage=None), run("content_filter", content=2)).code == "content_filtered"
    assert judge(run("content_filter"), run("abort")).code == "stream_aborted"


# --- vLLM's error chunk -------------------------------------------------------------------------


def unvalidated(body: Dict[str, Any]) -> Any:
    """A chunk as the SDK builds it from a data: line (construct: no validation)."""
    import openai.types.chat as types  # a dependency: its absence is a failure, not a skip
    from openai._models import construct_type

    return construct_type(type_=types.ChatCompletionChunk, value=body)


VLLM_ERROR = {"object": "error", "message": "Internal server error", "type": "InternalServerError", "param": None,
              "code": 500}


def test_vllm_s_flat_error_chunk_is_an_error_event_not_an_empty_chunk() -> None:
    from doctor.stream.chunks import ErrorChunk, inspect_chunk
    from doctor.stream.classify import classify

    with pytest.raises(ErrorChunk) as raised:
        inspect_chunk(unvalidated(VLLM_ERROR))
    failure = classify(raised.value, None, t.PHASE_STREAM)  # read before anything of the SDK is needed
    assert (failure.kind, failure.message, failure.code, failure.type) == (
        t.ERR_EVENT, "Internal server error", "500", "InternalServerError")
    problem = problems.diagnose_run(run(None, content=1, failure=failure))
    assert problem is not None and problem.code == "stream_error_event"
    assert problem.summary == "in-band error event after 1 content chunks: Internal server error"


def test_the_target_runner_reads_the_error_chunk_alike() -> None:
    with pytest.raises(reading.ErrorChunk) as raised:
        reading.chat_chunk(unvalidated(VLLM_ERROR))
    described = reading.classify(raised.value, None, None)
    assert described == {"kind": "error_event", "message": "Internal server error", "code": "500",
                         "type": "InternalServerError", "exception": 'an error chunk ("object": "error")'}


def test_an_ordinary_chunk_is_not_an_error_chunk() -> None:
    from doctor.stream.chunks import inspect_chunk

    body = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "error"}, "finish_reason": None}]}
    assert inspect_chunk(unvalidated(body)) == (t.CONTENT, "error", None, None)
    assert reading.chat_chunk(unvalidated(body))[:2] == ("content", "error")


# --- gateways -----------------------------------------------------------------------------------

LITELLM = ("litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.. Received Model "
           "Group=vllm-group\nAvailable Model Group Fallbacks=None LiteLLM Retried: 1 times, LiteLLM Max Retries: 2")
ENVOY = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"


@pytest.mark.parametrize("status, message, title, excerpt, kind, gateway", [
    (500, LITELLM, None, "", "compatible", "LiteLLM"),
    (500, "litellm.APIConnectionError: APIConnectionError: OpenAIException - Connection error.", None, "", "compatible",
     "LiteLLM"),
    (502, "Provider returned error", None, "", "compatible", "OpenRouter"),
    (503, ENVOY, None, "", "compatible", "Envoy"),
    (503, "no healthy upstream", None, "", "azure", "Envoy"),
    (502, "An invalid response was received from the upstream server", None, "", "compatible", "a gateway"),
    (502, None, "502 Bad Gateway", "<html> 502 Bad Gateway nginx/1.24.0", "compatible", "nginx"),
    (504, None, "504 Gateway Time-out", "<html> 504 Gateway Time-out", "compatible", "a gateway"),
    # Not a gateway naming an upstream:
    (500, LITELLM, None, "", "openai", None),  # OpenAI's own endpoint: its 5xx is its own
    (400, "litellm.BadRequestError: There are no healthy deployments", None, "", "compatible", None),  # not a 5xx
    (500, "The server had an error while processing your request.", None, "", "compatible", None),
    (503, "The engine is currently overloaded, please try again later.", None, "", "compatible", None),
    (503, None, "503 Service Unavailable", "<html>", "compatible", None),
    (500, None, None, "", "compatible", None),
])
def test_upstream_failure(status: int, message: Optional[str], title: Optional[str], excerpt: str, kind: str,
                          gateway: Optional[str]) -> None:
    found = upstream_failure(status, message, kind=kind, html_title=title, excerpt=excerpt)
    assert (found.gateway if found else None) == gateway


def test_the_gateway_s_message_is_one_line_and_short() -> None:
    found = upstream_failure(500, LITELLM + " " + "x" * 5000, kind="compatible")
    assert found is not None and found.message is not None
    assert "\n" not in found.message and len(found.message) <= 202 and "Received Model Group=vllm-group" in found.message


def auth(status: int, kind: str = "compatible", **fields: Any) -> CheckResult:
    fact = ModelsFact(url="http://127.0.0.1:4000/v1/models", kind=kind, key_shape="sk-…abcd (51 chars)",
                      key_source="OPENAI_API_KEY", key_header="Authorization: Bearer", status=status,
                      reason="Internal Server Error", **fields)
    route = Route("http://127.0.0.1:4000/v1", "http", "127.0.0.1", 4000)
    return api_auth.judge(api_auth.AuthFacts(route=route, endpoint_kind=kind, models=fact))


def test_api_auth_reports_a_gateway_s_upstream_failure_with_upstream_fixes() -> None:
    result = auth(500, error=ApiError(LITELLM, None, "500"), content_type="application/json")
    assert (result.status, result.code) == (Status.FAIL, "upstream_error")
    assert result.summary.startswith("LiteLLM answered 500: the server behind it failed or could not be reached: "
                                     "litellm.InternalServerError")
    assert "the error comes from LiteLLM in front of the model server" in " ".join(result.details)
    texts = [fix.text for fix in result.fixes]
    assert texts == [lookup("upstream_error").fix] and "status.openai.com" not in " ".join(texts)


def test_api_auth_reads_envoy_s_plain_text_and_nginx_s_page() -> None:
    envoy = auth(503, excerpt=ENVOY, content_type="text/plain")
    nginx = auth(502, html_title="502 Bad Gateway", excerpt="<html> <head><title>502 Bad Gateway</title> nginx",
                 content_type="text/html")
    assert (envoy.code, nginx.code) == ("upstream_error", "upstream_error")
    assert envoy.summary.startswith("Envoy answered 503") and nginx.summary.startswith("nginx answered 502")


def test_api_auth_on_azure_adds_the_apim_fix_and_openai_keeps_the_status_page() -> None:
    azure = auth(503, kind="azure", excerpt="no healthy upstream", content_type="text/plain")
    assert azure.code == "upstream_error" and "API Management" in azure.fixes[-1].text
    openai = auth(500, kind="openai", error=ApiError(LITELLM, None, "500"))
    assert openai.code == "server_error" and "status.openai.com" in openai.fixes[-1].text


def test_stream_chat_reports_the_same_upstream_failure() -> None:
    failure = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message=LITELLM.replace("\n", " "),
                              exception="InternalServerError", status=500, code="500")
    trace = t.StreamTrace(model="gpt-4o-mini", sdk=SDK, status=500, failure=failure, end_ms=3.0,
                          endpoint_kind="compatible")
    result = judge(trace)
    assert (result.status, result.code) == (Status.FAIL, "upstream_error")
    assert result.summary.startswith("LiteLLM answered 500: ")
    lines: List[str] = list(result.details)
    assert "InternalServerError (HTTP 500)" in lines
    assert [fix.text for fix in result.fixes] == [lookup("upstream_error").fix]
    on_openai = judge(t.StreamTrace(model="gpt-4o-mini", sdk=SDK, status=500, failure=failure, end_ms=3.0))
    assert on_openai.code == "server_error"


def test_a_huge_gateway_body_is_judged_from_its_start_only() -> None:
    # Only the first SEARCHED_CHARS are searched (the module's timeout bounds the rest).
    found = upstream_failure(500, LITELLM + " " + "a" * 2_000_000, kind="compatible")
    lost = upstream_failure(500, "x" * 10_000 + " upstream", kind="compatible")  # past what is searched
    assert found is not None and found.gateway == "LiteLLM" and lost is None


def test_a_gateway_s_400_invalid_model_name_is_model_not_found() -> None:
    # LiteLLM 1.108's proxy answers an unknown model with 400, not 404 (tests/machine/test_real_server.py).
    message = "litellm.BadRequestError: Invalid model name passed in model=no-such-model. Call `/v1/models` to view"
    failure = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message=message,
                              exception="BadRequestError", status=400, code="400")
    assert problems.http_error_code(failure, "compatible") == ("model_not_found", None)
    other = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message="temperature must be <= 2",
                            exception="BadRequestError", status=400, code="400")
    assert problems.http_error_code(other, "compatible")[0] == "api_bad_request"


def test_a_404_naming_model_not_found_in_type_alone_is_model_not_found() -> None:
    # dasllama 0.6.6: 404 {"error": {"message": ..., "type": "model_not_found"}}, no `code`
    # (tests/machine/test_real_model_server.py). A bare 404 is still the base URL's.
    message = "model 'no-such' not found — GET /v1/models lists the served ids"
    failure = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message=message,
                              exception="NotFoundError", status=404, type="model_not_found")
    assert problems.http_error_code(failure, "compatible") == ("model_not_found", None)
    bare = t.StreamFailure(kind=t.ERR_STATUS, phase=t.PHASE_REQUEST, message="unknown endpoint: /v1/chat",
                           exception="NotFoundError", status=404, type="invalid_request_error")
    assert problems.http_error_code(bare, "compatible")[0] == "endpoint_not_found"
