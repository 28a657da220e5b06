"""api.auth and api.model as pure rules: the error table as data, every server error shape,
rate-limit notes, model tasks, and the verdicts judged from hand-made facts."""

from __future__ import annotations

from typing import Dict

import pytest

from doctor.checks import api_auth, api_model
from doctor.checks.models_fact import ModelsFact, V1Probe, models_url
from doctor.checks.route import Route
from doctor.knowledge import api_errors
from doctor.knowledge.api_errors import (
    ApiError,
    diagnosis_for,
    parse_error,
    rate_limit_notes,
)
from doctor.knowledge.models import group_by_task, task_of
from doctor.model import CheckResult, Status

pytestmark = pytest.mark.timeout(60)



# --------------------------------------------------------------------------------------------
# pure rules: the error table, parsing, models
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, error, kind, code", [
    (401, ApiError("Incorrect API key provided: sk-…", "invalid_request_error", "invalid_api_key"), "openai", "invalid_api_key"),
    (401, ApiError("Unauthorized"), "compatible", "invalid_api_key"),  # vLLM
    (401, ApiError("Access denied due to invalid subscription key", None, "401"), "azure", "invalid_api_key"),
    (401, ApiError("You have insufficient permissions for this operation. Missing scopes: api.model.read."), "openai", "missing_scopes"),
    (401, ApiError("Your IP address 1.2.3.4 is not authorized", "invalid_request_error", "ip_not_authorized"), "openai", "ip_not_authorized"),
    (403, ApiError("Country, region, or territory not supported", "request_forbidden", "unsupported_country_region_territory"), "openai", "unsupported_region"),
    (403, ApiError("Project does not have access"), "openai", "permission_denied"),
    (404, ApiError(), "compatible", "endpoint_not_found"),
    (429, ApiError("quota", "insufficient_quota", "insufficient_quota"), "openai", "insufficient_quota"),
    (429, ApiError("no credits", "insufficient_quota", "credit_balance_exhausted"), "openai", "insufficient_quota"),
    (429, ApiError("limit", None, "project_spend_limit_exceeded"), "openai", "insufficient_quota"),
    (429, ApiError("quota", "insufficient_quota", "insufficient_quota"), "azure", "rate_limited"),
    (429, ApiError("Rate limit reached", "requests", "rate_limit_exceeded"), "openai", "rate_limited"),
    (429, ApiError(), "compatible", "rate_limited"),
    (500, ApiError("The server had an error", "server_error"), "openai", "server_error"),
    (502, ApiError(), "openai", "server_error"),
    (503, ApiError("Loading model", "unavailable_error", "503"), "compatible", "overloaded"),
    (400, ApiError("api-version not supported"), "azure", "api_bad_request"),
    (418, ApiError(), "openai", "unexpected_status"),
])
def test_error_table(status: int, error: ApiError, kind: str, code: str) -> None:
    assert diagnosis_for(status, error, kind)[0] == code


def test_every_code_the_table_can_produce_is_registered() -> None:
    from doctor.knowledge.diagnoses import lookup

    for rule in api_errors.RULES:
        assert lookup(rule.diagnosis)
    lookup("unexpected_status")


def test_parse_error_reads_every_server_shape() -> None:
    assert parse_error(b'{"error":{"message":"m","type":"t","param":null,"code":"c"}}') == ApiError("m", "t", "c", None)
    assert parse_error(b'{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","code":404}}').code == "404"
    assert parse_error(b'{"error":"Unauthorized"}') == ApiError("Unauthorized")
    assert parse_error(b'{"detail":"Not Found"}') == ApiError("Not Found")
    assert parse_error(b"<html>nope</html>") is None
    assert parse_error(b'{"object":"list","data":[]}') is None


def test_rate_limit_notes() -> None:
    notes = rate_limit_notes({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-limit-tokens": "30000",
                              "x-ratelimit-reset-tokens": "6m0s", "retry-after-ms": "644"})
    assert notes == ["tokens: 0 of 30000 left, resets in 6m0s", "the server asks to retry after 644 ms"]


def test_model_tasks() -> None:
    assert [task_of(m) for m in ("gpt-4o-mini", "o3", "gpt-3.5-turbo-instruct", "text-embedding-3-large",
                                 "dall-e-3", "gpt-image-1", "whisper-1", "gpt-4o-mini-tts", "gpt-4o-realtime-preview",
                                 "omni-moderation-latest", "llama3.1:8b", "babbage-002", "ft:custom-thing")] == [
        "chat", "chat", "legacy completions", "embeddings", "images", "images", "audio", "audio", "audio",
        "moderation", "chat", "legacy completions", "other"]
    assert list(group_by_task(["whisper-1", "gpt-4o", "gpt-4o-mini"])) == ["chat", "audio"]


def _fact(**changes: object) -> ModelsFact:
    base: Dict[str, object] = dict(url="https://api.openai.com/v1/models", kind="openai", key_shape="sk-proj-…abcd (164 chars)",
                                   key_source="OPENAI_API_KEY", key_header="Authorization: Bearer", status=200,
                                   models=(("gpt-4o", "system"), ("gpt-4o-mini-2024-07-18", "system"), ("whisper-1", "system")))
    base.update(changes)
    return ModelsFact(**base)  # type: ignore[arg-type]


def judge_auth(fact: ModelsFact, kind: str) -> CheckResult:
    route = Route("https://api.openai.com/v1", "https", "api.openai.com", 443)
    return api_auth.judge(api_auth.AuthFacts(route=route, endpoint_kind=kind, models=fact))


def judge_model(fact: ModelsFact, model: str, kind: str) -> CheckResult:
    return api_model.judge(api_model.ModelFacts(models=fact, model=model, endpoint_kind=kind))


def test_model_not_found_on_openai_fails_with_the_closest_names() -> None:
    result = judge_model(_fact(), "gpt-4o-mni", "openai")
    assert (result.status, result.code) == (Status.FAIL, "model_not_found")
    assert result.data["closest"][0] == "gpt-4o"
    assert result.fixes[0].command == "chat-doctor check --model gpt-4o"


def test_model_not_listed_on_compatible_or_azure_is_a_warning() -> None:
    single = judge_model(_fact(models=(("llama-3.2-3b", "llamacpp"),)), "gpt-4o-mini", "compatible")
    assert (single.status, single.code) == (Status.WARN, "model_unlisted")
    assert any("single model" in d for d in single.details)
    azure = judge_model(_fact(kind="azure"), "my-deployment", "azure")
    assert azure.code == "model_unlisted" and any("deployment" in d for d in azure.details)


def test_no_list_means_the_model_is_not_checked() -> None:
    assert judge_model(_fact(status=401, models=None), "gpt-4o-mini", "openai").code == "model_list_unavailable"


def test_auth_rules_from_facts() -> None:
    assert judge_auth(_fact(), "openai").status is Status.OK
    assert judge_auth(_fact(not_sent="no_key"), "openai").code == "no_api_key"
    assert judge_auth(_fact(not_sent="insecure", not_sent_reason="x"), "openai").code == "key_withheld_insecure"
    unavailable = judge_auth(_fact(not_sent="http_client", not_sent_reason="ImportError: urllib3 v2 only supports OpenSSL 1.1.1+"), "openai")
    assert (unavailable.status, unavailable.code) == (Status.ERROR, "http_client_unavailable")
    assert judge_auth(_fact(status=None, models=None, failure_phase="response", failure_kind="timeout", failure="x"), "openai").code == "read_timeout"
    assert judge_auth(_fact(status=None, models=None, failure_phase="tls", failure_kind="unknown_ca", failure="x"), "openai").code == "tls_unknown_ca"
    assert judge_auth(_fact(status=None, models=None, failure_phase="connect", failure_kind="refused", failure="x",
                            via_proxy="http://p:3128"), "openai").code == "proxy_unreachable"
    assert judge_auth(_fact(status=200, models=None, content_type="text/html", html_title="Guest Wi-Fi"), "openai").code == "not_openai_api"
    v1 = judge_auth(_fact(status=404, models=None, url="http://h/models", v1=V1Probe("http://h/v1/models", 200, 3)), "compatible")
    assert v1.code == "endpoint_not_found" and v1.fixes[0].command == "export OPENAI_BASE_URL=http://h/v1"


def test_models_url_for_each_kind() -> None:
    from doctor.endpoint import EndpointConfig

    assert models_url(EndpointConfig("https://api.openai.com/v1/", "default", "openai")) == ("https://api.openai.com/v1/models", None)
    azure = EndpointConfig("https://res.openai.azure.com/openai/deployments/gpt", "AZURE_OPENAI_ENDPOINT", "azure", "2024-06-01")
    assert models_url(azure) == ("https://res.openai.azure.com/openai/models?api-version=2024-06-01", None)
    bare = EndpointConfig("https://res.openai.azure.com", "AZURE_OPENAI_ENDPOINT", "azure")
    assert models_url(bare) == ("https://res.openai.azure.com/openai/models?api-version=2024-10-21", "2024-10-21")
    v1 = EndpointConfig("https://res.openai.azure.com/openai/v1", "--base-url", "azure")
    assert models_url(v1) == ("https://res.openai.azure.com/openai/v1/models", None)


SOCKS = Route("https://localhost:9/v1", "https", "localhost", 9, proxy_url="socks5://127.0.0.1:1080",
              proxy_shown="socks5://127.0.0.1:1080", proxy_scheme="socks5", proxy_host="127.0.0.1", proxy_port=1080)


def test_auth_judges_the_route_before_the_answer() -> None:
    untestable = api_auth.judge(api_auth.AuthFacts(route=SOCKS, endpoint_kind="openai"))
    assert (untestable.status, untestable.code) == (Status.SKIP, "proxy_not_testable")
    assert untestable.summary == "not tried: chat-doctor cannot send requests through the socks5 proxy socks5://127.0.0.1:1080"
    assert untestable.data == {"via_proxy": "socks5://127.0.0.1:1080"}
    broken = Route("https://h/v1", "", "", 0, url_error="x")
    skipped = api_auth.judge(api_auth.AuthFacts(route=broken, endpoint_kind="openai", models=_fact()))
    assert (skipped.code, skipped.summary) == ("prerequisite_failed", "not tried: the base URL does not parse (x)")


@pytest.mark.parametrize("route, needs_tls", [
    (Route("https://h/v1", "https", "h", 443), True),
    (Route("http://h/v1", "http", "h", 80), False),
    (SOCKS, False),  # not crossed by chat-doctor: api.auth says so itself
])
def test_auth_needs_tls_only_for_https_it_can_send_itself(route: Route, needs_tls: bool) -> None:
    from doctor.runner import Context
    from doctor.settings import Settings
    from tests.support.helpers import plan_for

    ctx = Context(plan_for(Settings(env={})), {"route": lambda _ctx: route})
    needed = [need.check_id for need in api_auth.CHECKS[0].prerequisites() if need.applies(ctx)]
    assert needed == (["config.api_key", "net.tcp", "net.tls"] if needs_tls else ["config.api_key", "net.tcp"])


def test_a_condition_is_asked_only_once_the_needs_before_it_passed() -> None:
    # Under --offline net.tcp is skipped: api.auth's net.tls condition (which works out the
    # route, and may wait for the probe) is never asked.
    from doctor.knowledge.diagnoses import diagnose
    from doctor.runner import Check, Context, run_checks
    from doctor.settings import Settings
    from tests.support.helpers import plan_for

    asked = []

    def give_route(_ctx: Context) -> Route:
        asked.append("route")
        return Route("https://h/v1", "https", "h", 443)

    def skipped(check_id: str) -> Check:
        return Check(check_id, check_id, lambda ctx: diagnose(check_id, "offline", "skipped"), lambda r: r)

    auth = api_auth.CHECKS[0]
    ctx = Context(plan_for(Settings(env={}, offline=True)), {"route": give_route})
    *_, result = run_checks([skipped("config.api_key"), skipped("net.tcp"), auth], ctx, deadline_s=10)
    assert (result.id, result.code) == ("api.auth", "offline") and asked == []
