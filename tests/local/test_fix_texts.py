"""Honest words: fix texts that fit the endpoint and the command, causes that are real."""

from __future__ import annotations

import pytest

from tests.support.helpers import CANARY_KEY, run_cli

pytestmark = pytest.mark.timeout(60)


def test_api_key_whitespace_names_real_causes_not_command_substitution() -> None:
    run = run_cli(["check", "--offline", "--json"], env={"OPENAI_API_KEY": "sk-proj-" + "x1" * 20 + "\n"})
    result = run.check("config.api_key")
    assert result["code"] == "api_key_whitespace"
    text = " ".join(result["details"])
    assert "$(cat" not in text  # command substitution strips trailing newlines: it is no cause
    assert "Windows line endings" in text and "pasted" in text


from doctor.mock.server import MockOptions, MockServer  # noqa: E402


def fixes_of(result: dict) -> str:
    return " | ".join(f"{f['text']} {f['command'] or ''}" for f in result["fixes"])


def test_server_error_of_a_compatible_endpoint_names_no_openai_status_page() -> None:
    with MockServer(MockOptions(scenario="server500")) as server:  # http://127.0.0.1:port/v1: compatible
        env = {"OPENAI_API_KEY": CANARY_KEY}
        check = run_cli(["check", "--json", "--base-url", server.base_url, "--timeout", "3"], env=env)
        smoke = run_cli(["smoke", "--json", "-q", "--base-url", server.base_url, "--timeout", "3"], env=env)
    for result in (check.check("api.auth"), smoke.check("stream.chat")):
        assert result["code"] == "server_error"
        assert "status.openai.com" not in fixes_of(result) and "logs" in fixes_of(result)
    assert "error code: None" not in " ".join(smoke.check("stream.chat")["details"])


def test_openai_endpoints_do_get_the_status_page_and_azure_the_api_version() -> None:
    from doctor.checks.api_auth import AuthFacts, judge
    from doctor.checks.models_fact import ModelsFact
    from doctor.checks.route import Route
    from doctor.knowledge.api_errors import ApiError
    from doctor.model import CheckResult

    def judge_auth(fact: ModelsFact, kind: str) -> CheckResult:
        return judge(AuthFacts(route=Route("https://x.invalid/v1", "https", "x.invalid", 443), endpoint_kind=kind, models=fact))

    fact = ModelsFact(url="https://api.openai.com/v1/models", kind="openai", status=500, reason="Internal Server Error")
    assert "status.openai.com" in fixes_of(judge_auth(fact, "openai").to_dict())
    bad = ModelsFact(url="https://x.invalid/v1/models", kind="compatible", status=400, reason="Bad Request",
                     error=ApiError(message="Unsupported parameter"))
    assert "OPENAI_API_VERSION" not in fixes_of(judge_auth(bad, "compatible").to_dict())
    assert "OPENAI_API_VERSION" in fixes_of(judge_auth(bad, "azure").to_dict())


def test_a_refused_connection_in_check_points_at_the_checks_above_not_at_check() -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    env = {"OPENAI_API_KEY": CANARY_KEY}
    check = run_cli(["check", "--smoke", "--json", "--base-url", url, "--timeout", "2"], env=env)
    in_check = check.check("stream.chat")
    assert in_check["code"] == "stream_connection_failed"
    assert "chat-doctor check" not in fixes_of(in_check) and "net.tcp" in fixes_of(in_check)
    smoke = run_cli(["smoke", "--json", "--base-url", url, "--timeout", "2"], env=env)
    assert "chat-doctor check" in fixes_of(smoke.check("stream.chat"))  # smoke has no network checks: run them


def test_fixes_point_at_the_details_or_the_readme_only_where_they_are_shown() -> None:
    from doctor.knowledge.diagnoses import all_diagnoses

    for diagnosis in all_diagnoses():
        text = diagnosis.fix.lower()
        assert "readme" not in text, diagnosis.code
        # "the details" only for a crash, whose details (the traceback) every problem line shows.
        assert "details" not in text or diagnosis.code == "check_crashed", diagnosis.code


def test_help_placeholders_are_words() -> None:
    import re

    from tests.support.helpers import run_subprocess

    for command in ("check", "smoke", "demo", "mock-server"):
        help_text = run_subprocess([command, "--help"], env={"COLUMNS": "200"}).stdout
        assert not re.search(r"<[a-z]+>|\b(TEXT|FLOAT|INTEGER)\b", help_text), (command, help_text)


def test_one_model_is_one_model() -> None:
    from doctor.mock.server import MockOptions, MockServer

    with MockServer(MockOptions(scenario="ok", models=("gpt-4o-mini",))) as server:
        run = run_cli(["check", "--json", "--base-url", server.base_url, "--timeout", "3"],
                      env={"OPENAI_API_KEY": CANARY_KEY})
    for check_id in ("api.auth", "api.model"):
        summary = run.check(check_id)["summary"]
        assert "1 model" in summary and "1 models" not in summary, summary
