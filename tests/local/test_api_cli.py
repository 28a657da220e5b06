"""api.auth and api.model: every mock scenario through the real CLI (the rules: tests/pure/test_api_rules.py),
the key's safety (never echoed, never along a redirect, never over plain http to another
host), Azure, the /v1 hint, urllib3 trouble in chat-doctor's own process, and concurrency."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from doctor.mock.scenarios import SCENARIOS
from doctor.mock.server import MockOptions, MockServer
from tests.support.helpers import CANARY_KEY, assert_no_key, run_cli, run_subprocess
from tests.support.helpers import check_endpoint as check

pytestmark = pytest.mark.timeout(60)

Row = Tuple[Tuple[str, Optional[str]], Tuple[str, Optional[str]], int]
OK_ROW: Row = (("ok", None), ("ok", None), 0)

# scenario -> ((api.auth status, code), (api.model status, code), exit code). Scenarios that only
# change chat completions (streaming, quota on chat, ...) leave /models alone: OK_ROW.
EXPECTED: Dict[str, Row] = {
    "auth401": (("fail", "invalid_api_key"), ("skip", "prerequisite_failed"), 1),
    "scopes401": (("warn", "missing_scopes"), ("skip", "model_list_unavailable"), 0),
    "ip401": (("fail", "ip_not_authorized"), ("skip", "prerequisite_failed"), 1),
    "region403": (("fail", "unsupported_region"), ("skip", "prerequisite_failed"), 1),
    "rate429": (("warn", "rate_limited"), ("skip", "model_list_unavailable"), 0),
    "server500": (("fail", "server_error"), ("skip", "prerequisite_failed"), 1),
    "overload503": (("fail", "overloaded"), ("skip", "prerequisite_failed"), 1),
    "gateway_upstream_error": (("fail", "upstream_error"), ("skip", "prerequisite_failed"), 1),
    "slow": (("fail", "read_timeout"), ("skip", "prerequisite_failed"), 1),
    "model404": (("ok", None), ("warn", "model_unlisted"), 0),
    "anymodel": (("ok", None), ("warn", "model_unlisted"), 0),
    "html": (("fail", "not_openai_api"), ("skip", "prerequisite_failed"), 1),
    "redirect": (("fail", "endpoint_redirects"), ("skip", "prerequisite_failed"), 1),
    # /v1/models answers 200 for these: a key that lists models may still be out of credit;
    # only the streamed smoke test can tell (facts §4.3 caveat 1).
    "quota429": OK_ROW,
    "credit429": OK_ROW,
    "permission403": OK_ROW,
}


# --------------------------------------------------------------------------------------------
# every scenario through the real CLI
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_through_the_cli(scenario: str) -> None:
    (auth_status, auth_code), (model_status, model_code), exit_code = EXPECTED.get(scenario, OK_ROW)
    with MockServer(MockOptions(scenario=scenario, slow_delay_ms=3000)) as server:
        run = check(server.base_url)
        records = list(server.requests)
    auth, model = run.check("api.auth"), run.check("api.model")
    assert (auth["status"], auth["code"]) == (auth_status, auth_code), auth
    assert (model["status"], model["code"]) == (model_status, model_code), model
    assert run.exit_code == exit_code == run.json["exit_code"]
    if auth["status"] != "ok":
        assert auth["fixes"], "a problem without a fix"
    # one request to /models (plus nothing else: no retry, no redirect followed)
    model_requests = [r for r in records if r.path.endswith("/models")]
    assert len(model_requests) == 1 and model_requests[0].key_sha256 is not None


def test_request_id_and_phase_timings_are_reported() -> None:
    with MockServer(MockOptions(scenario="auth401")) as server:
        run = check(server.base_url)
    auth = run.check("api.auth")
    assert auth["data"]["request_id"].startswith("req_")
    assert any(d.startswith("request id: req_") for d in auth["details"])
    timings = auth["data"]["timings_ms"]
    assert set(timings) >= {"dns", "connect", "wait", "first_byte", "total"}
    assert timings["first_byte"] <= timings["total"]


def test_a_server_echoing_the_key_does_not_make_us_print_it() -> None:
    with MockServer(MockOptions(scenario="auth401")) as server:
        run = check(server.base_url)
        console = run_cli(["check", "-v", "--base-url", server.base_url, "--timeout", "2"], env={"OPENAI_API_KEY": CANARY_KEY})
    auth = run.check("api.auth")
    assert "Incorrect API key provided" in auth["summary"]
    assert "sk-proj-…CNRY" in auth["summary"]  # the shape, where the server put the key
    assert_no_key(console)
    assert "invalid_api_key" in console.stdout


def test_rate_limit_reset_times_from_the_headers() -> None:
    with MockServer(MockOptions(scenario="rate429")) as server:
        run = check(server.base_url)
    auth = run.check("api.auth")
    assert "requests: 0 of 3 left, resets in 20s" in auth["details"]
    assert "the server asks to retry after 20 s" in auth["details"]


def test_a_few_scenarios_as_real_processes() -> None:
    for scenario, code, exit_code in (("ok", None, 0), ("auth401", "invalid_api_key", 1), ("html", "not_openai_api", 1)):
        with MockServer(MockOptions(scenario=scenario)) as server:
            run = run_subprocess(["check", "--json", "--base-url", server.base_url, "--timeout", "2"],
                                 env={"OPENAI_API_KEY": CANARY_KEY})
        assert_no_key(run)
        assert run.check("api.auth")["code"] == code and run.exit_code == exit_code, run.stderr
        assert run.stdout.lstrip().startswith("{")


def test_verbose_console_draws_the_timeline_and_the_task_groups() -> None:
    with MockServer(MockOptions()) as server:
        run = run_cli(["check", "-v", "--base-url", server.base_url, "--timeout", "2"], env={"OPENAI_API_KEY": CANARY_KEY})
    out = run.stdout
    assert "DNS Lookup" in out and "Server Wait" in out and "starttransfer:" in out and "total:" in out
    assert "chat (4): gpt-4.1-mini, gpt-4o, gpt-4o-mini, o4-mini" in out
    assert "embeddings (1): text-embedding-3-small" in out


# --------------------------------------------------------------------------------------------
# /v1, Azure, billing
# --------------------------------------------------------------------------------------------


def test_missing_v1_is_found_by_trying_it() -> None:
    with MockServer(MockOptions()) as server:
        root = f"http://127.0.0.1:{server.port}"
        run = check(root)
        paths = [r.path for r in server.requests]
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("fail", "endpoint_not_found")
    assert f"export OPENAI_BASE_URL={root}/v1" in [f["command"] for f in auth["fixes"]]
    assert any("/v1/models works: 10 models" in d for d in auth["details"])
    assert paths == ["/models", "/v1/models"]


def test_azure_endpoint_uses_api_key_header_and_api_version() -> None:
    with MockServer(MockOptions()) as server:
        env = {"AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{server.port}", "AZURE_OPENAI_API_KEY": CANARY_KEY,
               "OPENAI_API_VERSION": "2024-10-21"}
        run = run_cli(["check", "--json", "--timeout", "2"], env=env)
        record = server.requests[-1]
    assert_no_key(run)
    assert run.json["endpoint"]["kind"] == "azure"
    auth = run.check("api.auth")
    assert auth["status"] == "ok", auth
    assert (record.path, record.query) == ("/openai/models", "api-version=2024-10-21")
    assert "api-key" in record.headers and "authorization" not in record.headers
    assert auth["data"]["key"]["header"] == "api-key"
    assert run.check("api.model")["status"] == "ok"


def test_azure_rejection_is_invalid_api_key() -> None:
    with MockServer(MockOptions(scenario="auth401")) as server:
        env = {"AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{server.port}", "AZURE_OPENAI_API_KEY": CANARY_KEY,
               "OPENAI_API_VERSION": "2024-10-21"}
        run = run_cli(["check", "--json", "--timeout", "2"], env=env)
    assert_no_key(run)
    auth = run.check("api.auth")
    assert auth["code"] == "invalid_api_key"
    assert "Access denied" in auth["summary"] and auth["data"]["headers"].get("apim-request-id")


class _QuotaHandler(BaseHTTPRequestHandler):
    """A gateway that refuses every route with a billing 429 (some do, unlike api.openai.com)."""

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"error": {"message": "You have no credits remaining.", "type": "insufficient_quota",
                                     "param": None, "code": "credit_balance_exhausted"}}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", "req_quota")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_billing_429_on_models_is_insufficient_quota() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _QuotaHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = check(f"http://127.0.0.1:{server.server_address[1]}/v1")
    finally:
        server.shutdown()
        server.server_close()
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("fail", "insufficient_quota")
    assert "retrying will not help" in auth["summary"] and run.exit_code == 1


# --------------------------------------------------------------------------------------------
# the key's safety
# --------------------------------------------------------------------------------------------


def test_a_redirect_is_reported_and_never_followed_with_the_key() -> None:
    with MockServer(MockOptions()) as elsewhere:
        with MockServer(MockOptions(scenario="redirect", redirect_to=elsewhere.base_url + "/models")) as server:
            run = check(server.base_url)
        assert elsewhere.requests == []
    auth = run.check("api.auth")
    assert auth["code"] == "endpoint_redirects"
    assert auth["data"]["location"] == elsewhere.base_url + "/models"


def _non_loopback_ip() -> Optional[str]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        ip = probe.getsockname()[0]
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


def test_the_key_never_goes_over_plain_http_to_another_host() -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with MockServer(MockOptions(host="0.0.0.0")) as server:
        url = f"http://{ip}:{server.port}/v1"
        refused = check(url)
        assert not [r for r in server.requests if r.authorized], "the key went over plain http"
        allowed = check(url, None, "--allow-insecure")
        sent = [r for r in server.requests if r.authorized]
    assert refused.check("api.auth")["status"] == "skip" and refused.exit_code == 1
    assert allowed.check("api.auth")["status"] == "ok"
    assert len(sent) == 1 and sent[0].scheme == "http"


# --------------------------------------------------------------------------------------------
# urllib3 trouble in chat-doctor's own interpreter
# --------------------------------------------------------------------------------------------


def _shadow_urllib3(directory: Path, body: str) -> Dict[str, str]:
    """A `urllib3` package earlier on PYTHONPATH than the real one."""
    package = directory / "urllib3"
    package.mkdir()
    (package / "__init__.py").write_text(body)
    return {"PYTHONPATH": str(directory)}


def test_urllib3_that_cannot_import_is_an_error_finding_not_a_crash(tmp_path: Path) -> None:
    env = _shadow_urllib3(tmp_path, "raise ImportError(\"urllib3 v2 only supports OpenSSL 1.1.1+, currently the 'ssl' "
                                    "module is compiled with 'OpenSSL 1.0.2k-fips  26 Jan 2017'.\")\n")
    with MockServer(MockOptions()) as server:
        run = run_subprocess(["check", "--json", "--base-url", server.base_url, "--timeout", "2"],
                             env={"OPENAI_API_KEY": CANARY_KEY, **env})
    assert "Traceback" not in run.stderr
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("error", "http_client_unavailable"), auth
    assert "OpenSSL 1.0.2k" in auth["summary"]
    assert any("urllib3<2" in (f["command"] or "") for f in auth["fixes"])
    # This urllib3 is on the path, so check's head start wrote the request before importing it:
    # the key went out, and the report must not read as if nothing was sent.
    assert auth["data"]["sent"] is True
    assert any("had been sent already, with the key" in line for line in auth["details"]), auth["details"]
    assert_no_key(run)


def test_not_openssl_warning_from_our_own_import_stays_off_the_screen(tmp_path: Path) -> None:
    import urllib3

    real = os.path.dirname(urllib3.__file__)
    env = _shadow_urllib3(tmp_path, (
        "import warnings\n"
        "class NotOpenSSLWarning(UserWarning):\n    pass\n"
        "warnings.warn(\"urllib3 v2 only supports OpenSSL 1.1.1+, currently the 'ssl' module is compiled with "
        "'LibreSSL 2.8.3'. See: https://github.com/urllib3/urllib3/issues/3020\", NotOpenSSLWarning)\n"
        f"__path__ = [{real!r}]\n"
        f"exec(compile(open({os.path.join(real, '__init__.py')!r}).read(), {os.path.join(real, '__init__.py')!r}, 'exec'))\n"
    ))
    with MockServer(MockOptions()) as server:
        for args in (["check", "--json"], ["check"]):
            run = run_subprocess([*args, "--base-url", server.base_url, "--timeout", "2"],
                                 env={"OPENAI_API_KEY": CANARY_KEY, **env})
            assert "urllib3 v2 only supports" not in run.stderr, run.stderr
            assert "NotOpenSSLWarning" not in run.stderr
    assert "api.auth" in run.stdout


# --------------------------------------------------------------------------------------------
# concurrency
# --------------------------------------------------------------------------------------------


def test_check_takes_about_its_slowest_part_not_the_sum() -> None:
    delay_s = 1.5
    with MockServer(MockOptions(scenario="slow", slow_delay_ms=int(delay_s * 1000))) as server:
        started = time.monotonic()
        run = check(server.base_url, None, timeout="5")
        wall = time.monotonic() - started
    assert run.check("api.auth")["status"] == "ok"
    durations = {c["id"]: c["duration_ms"] / 1000 for c in run.json["checks"]}
    # GET /models leaves before api.auth starts (doctor.checks.models_head_start): the check's
    # duration is its own wait, the request's time is in its data.
    durations["api.auth"] = max(durations["api.auth"], run.check("api.auth")["data"]["timings_ms"]["total"] / 1000)
    parts = sum(durations.values())
    slowest = max(durations.values())
    # The slow API answer dominates; the interpreter probe and the other checks overlap with it.
    assert slowest >= delay_s
    assert wall < parts, (wall, durations)
    assert wall < slowest + 1.5, (wall, durations)
