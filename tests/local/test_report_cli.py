"""`chat-doctor report` through the real CLI against the local endpoint: every format, and no
secret in any of them, whether the key is exported, only in `.env`, echoed by the server, or a
proxy password; exit 0 once the report is printed, 2 for a usage error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import pytest

from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_cli
from tests.support.mock_helpers import running

FORMATS = ("markdown", "text", "json")
PROXY_PASSWORD = "Pr0xyPassw0rd-" + CANARY_KEY[30:50]


def _report(env: Dict[str, str], *flags: str) -> Dict[str, Run]:
    runs = {}
    for report_format in FORMATS:
        run = run_cli(["report", "--format", report_format, "--timeout", "5", *flags], env=env)
        assert run.exit_code == 0, run.output  # printed: whatever the checks found
        assert_no_key(run)
        assert_no_key(run, PROXY_PASSWORD)
        runs[report_format] = run
    return runs


def test_every_format_with_the_smoke_test_and_a_proxy_password() -> None:
    with running("ok") as server:
        env = {"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url,
               "HTTPS_PROXY": f"http://alice:{PROXY_PASSWORD}@proxy.corp:3128", "NO_PROXY": "127.0.0.1"}
        runs = _report(env, "--smoke")
    markdown, text = runs["markdown"].stdout, runs["text"].stdout
    assert markdown.startswith("### chat-doctor report: ready:") and "<details>" in markdown
    assert markdown.rstrip().endswith("</details>")
    for report_format, output in (("markdown", markdown), ("text", text)):
        assert f"chat-doctor report --smoke --format {report_format} --timeout 5.0" in output
        assert "sk-proj-…" in output  # the key's shape, never the key
        assert "http://***@proxy.corp:3128" in output
        assert "compatible at 127.0.0.1 (OPENAI_BASE_URL)" in output
        assert "stream.chat" in output and "token arrivals" in output
    document = runs["json"].json
    assert document["schema"] == "chat-doctor.problem-report/1" and document["exit_code"] == 0
    assert document["endpoint"]["host"] == "127.0.0.1"
    assert document["packages"]["openai"].split()[0] == document["smoke"]["sdk"].split()[1]
    assert document["smoke"]["runs"][0]["error"] is None and document["smoke"]["picture"]
    assert {c["id"]: c["status"] for c in document["checks"]}["stream.chat"] == "ok"
    assert runs["json"].stderr == ""  # nothing streamed beside the report


def test_a_key_only_in_dotenv_is_reported_by_its_shape(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={CANARY_KEY}\n")  # tmp_path is the cwd
    with running("ok") as server:
        runs = _report({"OPENAI_BASE_URL": server.base_url})
    document = runs["json"].json
    codes = {c["id"]: c["code"] for c in document["checks"]}
    assert codes["config.api_key"] == "api_key_in_dotenv_only"
    assert document["endpoint"]["key"].startswith("sk-proj-…") and ".env" in document["endpoint"]["key"]
    assert document["exit_code"] == 1 and document["smoke"] is None
    assert "api_key_in_dotenv_only" in runs["markdown"].stdout.split("<details>")[0]  # in the summary


@pytest.mark.parametrize("scenario", ["echo_key", "auth401"])
def test_what_a_server_echoes_is_not_in_the_report(scenario: str) -> None:
    with running(scenario) as server:
        runs = _report({"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url}, "--smoke")
    statuses = {c["id"]: (c["status"], c["code"]) for c in runs["json"].json["checks"]}
    if scenario == "auth401":
        assert statuses["api.auth"] == ("fail", "invalid_api_key")  # the message quoted the key
    else:
        assert statuses["stream.chat"][0] == "ok"  # the key streamed back as the reply


def test_usage_errors_exit_2() -> None:
    run = run_cli(["report", "--format", "xml"])
    assert run.exit_code == 2 and "--format" in run.stderr and run.stdout == ""
    run = run_cli(["report", "--python", "/no/such/python"])
    assert run.exit_code == 2 and "/no/such/python" in run.stderr and run.stdout == ""


def test_credentials_in_the_command_line_are_masked() -> None:
    url = f"http://bob:{PROXY_PASSWORD}@127.0.0.1:9/v1?api-key={CANARY_KEY}"
    run = run_cli(["report", "--format", "json", "--base-url", url, "--timeout", "1"])
    assert run.exit_code == 0
    assert_no_key(run)
    assert_no_key(run, PROXY_PASSWORD)
    assert json.loads(run.stdout)["chat_doctor"]["command"].startswith(
        "chat-doctor report --format json --base-url 'http://***@127.0.0.1:9/v1?api-key=***'")


def test_a_buffered_stream_reports_its_cause_in_every_format() -> None:
    with running("gzip_buffered", first_token_delay_ms=200, token_interval_ms=40) as server:
        runs = _report({"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url}, "--smoke")
    smoke = runs["json"].json["smoke"]
    assert smoke["cause"] == "compression", smoke.get("cause")
    (retry,) = smoke["cause_evidence"]["retries"]
    assert (retry["route"], retry["buffering"]) == ("same", "streamed")
    for report_format in ("text", "markdown"):
        section = runs[report_format].stdout.split("[smoke]", 1)[1]
        assert "  cause: compression (the stream is held while it is gzipped)" in section, section[:800]
        assert "  asked again along the same route with Accept-Encoding: identity: streamed: " in section
