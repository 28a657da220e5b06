"""config.api_key, config.base_url and config.proxy: every mistake through the real CLI, in-process
and as the installed script (the rules themselves: tests/pure/test_config_rules.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from doctor.redact import key_shape
from tests.support.helpers import CANARY_KEY, check_cli, run_cli, run_subprocess

KEY = CANARY_KEY
SHAPE = key_shape(KEY)  # "sk-proj-…wxyz (N chars)"
LOCAL = "http://127.0.0.1:8000/v1"


# =============================================================================================
# Through the real CLI
# =============================================================================================


@pytest.mark.parametrize(
    ("env", "code"),
    [
        ({}, "api_key_missing"),
        ({"OPENAI_API_KEY": ""}, "api_key_missing"),
        ({"OPENAI_API_KEY": KEY + "\n"}, "api_key_whitespace"),
        ({"OPENAI_API_KEY": " "}, "api_key_whitespace"),  # once an IndexError (check_crashed)
        ({"OPENAI_API_KEY": "\n"}, "api_key_whitespace"),
        ({"OPENAI_API_KEY": f'"{KEY}"'}, "api_key_quoted"),
        ({"OPENAI_API_KEY": f"“{KEY}”"}, "api_key_non_ascii"),
        ({"OPENAI_API_KEY": f"Bearer {KEY}"}, "api_key_bearer_prefix"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": ""}, "base_url_empty"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "localhost:8000/v1"}, "base_url_invalid"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://api.example.com/v1"}, "base_url_insecure"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1/chat/completions"}, "base_url_endpoint_path"),
        ({"AZURE_OPENAI_API_KEY": "a" * 32, "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/"}, "azure_api_version_missing"),
        ({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "socks4://p:1080"}, "proxy_invalid"),
        ({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "socks5://p:1080"}, "proxy_socks_unsupported"),
    ],
)
def test_failures_through_the_cli(env: Dict[str, str], code: str) -> None:
    run, checks = check_cli(env)
    found = {c["code"]: c for c in checks.values() if c["id"].startswith("config.")}
    assert code in found and found[code]["status"] == "fail", checks
    assert run.exit_code == 1  # a config fail alone decides it


@pytest.mark.parametrize(
    ("env", "check_id", "code"),
    [
        ({"OPENAI_API_KEY": "sk-short"}, "config.api_key", "api_key_unusual_format"),
        ({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "http://localhost:11434"}, "config.base_url", "base_url_no_version"),
        ({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": LOCAL, "HTTP_PROXY": "http://proxy.corp:3128"}, "config.proxy",
         "proxy_for_loopback"),
        ({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.openai.com:443"}, "config.proxy",
         "no_proxy_ineffective"),
    ],
)
def test_warnings_through_the_cli(env: Dict[str, str], check_id: str, code: str) -> None:
    _, checks = check_cli(env)
    assert (checks[check_id]["status"], checks[check_id]["code"]) == ("warn", code)


def test_all_config_checks_pass_for_a_clean_setup() -> None:
    _, checks = check_cli({"OPENAI_API_KEY": KEY})
    for check_id in ("config.api_key", "config.base_url", "config.proxy"):
        assert checks[check_id]["status"] == "ok", checks[check_id]
    assert checks["config.api_key"]["data"]["shape"] == SHAPE
    assert checks["config.proxy"]["summary"] == "no proxy configured"
    assert checks["config.base_url"]["data"]["source"] == "default"


def test_key_only_in_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"# settings\nexport OPENAI_API_KEY='{KEY}'\n")  # the autouse fixture chdir'd here
    run, checks = check_cli({})
    result = checks["config.api_key"]
    assert (result["status"], result["code"]) == ("fail", "api_key_in_dotenv_only")
    assert str(tmp_path / ".env") in result["summary"]
    assert result["fixes"][0]["command"] == "set -a; . ./.env; set +a"
    assert result["data"]["origin"] == str(tmp_path / ".env") and result["data"]["shape"] == SHAPE
    assert run.exit_code == 1 and KEY not in run.stdout


def test_dotenv_with_a_bad_value_says_so_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{KEY} "\n')
    _, checks = check_cli({})
    assert checks["config.api_key"]["code"] == "api_key_in_dotenv_only"
    assert any("[api_key_whitespace]" in d for d in checks["config.api_key"]["details"])


def test_allow_insecure_turns_the_failure_into_a_warning() -> None:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://gpu-box.lan:8000/v1"}
    _, strict = check_cli(env)
    _, allowed = check_cli(env, "--allow-insecure")
    assert strict["config.base_url"]["status"] == "fail"
    assert (allowed["config.base_url"]["status"], allowed["config.base_url"]["code"]) == ("warn", "base_url_insecure")


def test_base_url_flag_wins_and_is_reported_as_the_source() -> None:
    _, checks = check_cli({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "ftp://nope"}, "--base-url", LOCAL)
    assert checks["config.base_url"]["status"] == "ok"
    assert checks["config.base_url"]["data"]["source"] == "--base-url"


def test_proxy_report_names_the_variable_in_effect() -> None:
    env = {"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://upper:1", "https_proxy": "http://bob:pw123456@lower.corp:3128"}
    run, checks = check_cli(env)
    result = checks["config.proxy"]
    assert result["summary"] == "http://***@lower.corp:3128 (https_proxy) applies to api.openai.com"
    names = {v["name"]: v for v in result["data"]["variables"]}
    assert names["https_proxy"]["in_effect"] and not names["HTTPS_PROXY"]["in_effect"]
    assert names["HTTPS_PROXY"]["note"] == "overridden by https_proxy"
    assert "pw123456" not in run.output


def test_human_output_through_the_installed_script() -> None:
    run = run_subprocess(["check", "--offline"], env={"OPENAI_API_KEY": KEY + "\r\n", "OPENAI_BASE_URL": "http://localhost:11434"})
    assert run.exit_code == 1
    assert "config.api_key" in run.stdout and "ends with a Windows line ending (CR LF)" in run.stdout
    assert "[api_key_whitespace]" in run.stdout and "tr -d '[:space:]'" in run.stdout
    assert "[base_url_no_version]" in run.stdout
    assert KEY not in run.output


def test_json_through_the_installed_script_for_a_proxy_mistake() -> None:
    run = run_subprocess(["check", "--offline", "--json"], env={"OPENAI_API_KEY": KEY, "ALL_PROXY": "ftp://p:21"})
    assert run.exit_code == 1
    result = run.check("config.proxy")
    assert (result["status"], result["code"]) == ("fail", "proxy_invalid")
    assert result["data"]["variables"] == [{"name": "ALL_PROXY", "value": "ftp://p:21", "in_effect": True, "note": None}]


# --------------------------------------------------------------------------------------------
# ports nothing can connect to: found at the config step, never a crash in net.tcp
# --------------------------------------------------------------------------------------------


def _network_run(env: Dict[str, str], base_url: str) -> Dict[str, Dict[str, Any]]:
    run = run_cli(["check", "--json", "--timeout", "1", "--base-url", base_url], env={"OPENAI_API_KEY": KEY, **env})
    checks = {c["id"]: c for c in run.json["checks"]}
    assert all(c["code"] != "check_crashed" for c in checks.values()), checks
    assert run.exit_code == 1
    return checks


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1"])
def test_a_base_url_port_outside_the_range_is_base_url_invalid(port: str) -> None:
    checks = _network_run({}, f"http://127.0.0.1:{port}/v1")
    base = checks["config.base_url"]
    assert (base["status"], base["code"]) == ("fail", "base_url_invalid"), base
    assert f"the port {port}, outside 1-65535" in base["summary"]
    assert checks["net.tcp"]["status"] == "skip"  # not tried: port 0 used to mean "connect to port 80"


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:99999", "http://127.0.0.1:0", "http://127.0.0.1:-1"])
def test_a_proxy_port_outside_the_range_is_proxy_invalid(proxy: str) -> None:
    checks = _network_run({"HTTPS_PROXY": proxy}, "https://api.example.invalid/v1")
    assert (checks["config.proxy"]["status"], checks["config.proxy"]["code"]) == ("fail", "proxy_invalid")
    assert "outside 1-65535" in checks["config.proxy"]["summary"]
    assert checks["net.tcp"]["status"] == "skip"


def test_a_proxy_with_a_bad_port_that_does_not_apply_is_a_warning() -> None:
    checks = _network_run({"HTTP_PROXY": "http://127.0.0.1:70000"}, "https://api.example.invalid/v1")
    assert (checks["config.proxy"]["status"], checks["config.proxy"]["code"]) == ("warn", "proxy_invalid")


def test_a_non_numeric_port_is_invalid_for_the_base_url_and_the_proxy() -> None:
    checks = _network_run({}, "http://127.0.0.1:eighty/v1")
    assert checks["config.base_url"]["code"] == "base_url_invalid"
    # The "port" text is not quoted back: after a forgotten '@' it is user:password:host:port.
    assert "invalid port (not a number)" in checks["config.base_url"]["summary"]
    checks = _network_run({"HTTPS_PROXY": "http://127.0.0.1:eighty"}, "https://api.example.invalid/v1")
    assert (checks["config.proxy"]["status"], checks["config.proxy"]["code"]) == ("fail", "proxy_invalid")
    assert "invalid port (not a number)" in checks["config.proxy"]["summary"]
