"""Audit of issue 7 through the installed `chat-doctor` as a real process, for the bullets whose
first tests ran in-process (CliRunner): a name that starts with 127., a key in the base URL, a
middle piece of the key glued to other text, a placeholder key, and the smoke test's proxy taken
from the checked settings. Real loopback peers; a host that is not this machine is under .invalid.
"""

from __future__ import annotations

import json
from typing import Dict

import pytest

from doctor.mock.server import MockOptions, MockServer
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY, assert_no_key, run_subprocess
from tests.support.raw_server import RawServer, answering


def smoke_env(server: MockServer, **extra: str) -> Dict[str, str]:
    return {"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.base_url, **extra}


def test_a_name_starting_with_127_is_another_machine_and_nothing_is_sent() -> None:
    with MockServer(MockOptions()) as server:
        # The port is the mock's: were the name taken for this machine, the key would reach it.
        host_url = server.base_url.replace("127.0.0.1", "127.0.0.1.attacker.invalid")
        for command in (["check", "--smoke", "--json"], ["smoke", "--json"]):
            run = run_subprocess([*command, "--timeout", "2"], env=smoke_env(server, OPENAI_BASE_URL=host_url))
            assert_no_key(run)
            base = run.check("config.base_url")
            assert (base["status"], base["code"], run.exit_code) == ("fail", "base_url_insecure", 1), base
            assert "not this machine" in base["summary"]
            assert run.check("stream.chat")["status"] == "skip"
        assert server.requests == []


def test_a_key_in_the_base_url_is_masked_in_the_header_line_and_the_json() -> None:
    with MockServer(MockOptions(scenario="anymodel")) as server:
        url = f"{server.base_url}?api-key={CANARY_KEY}"
        env = {"OPENAI_API_KEY": "sk-proj-other-key-0123456789abcdefghij"}
        human = run_subprocess(["check", "--smoke", "--timeout", "3", "-v", "--base-url", url], env=env)
        as_json = run_subprocess(["check", "--smoke", "--timeout", "3", "--json", "--base-url", url], env=env)
    for run in (human, as_json):
        assert_no_key(run)
    endpoint_line = next(line for line in human.stdout.splitlines() if line.lstrip().startswith("endpoint"))
    assert f"{server.base_url}?api-key=***" in endpoint_line, endpoint_line
    assert as_json.json["endpoint"]["base_url"] == f"{server.base_url}?api-key=***"


def _echo_401(message: str) -> RawServer:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}})
    return RawServer(answering(body.encode(), "401 Unauthorized"))


@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_a_fifteen_character_middle_piece_glued_to_text_is_scrubbed(flags: list) -> None:
    piece = CANARY_KEY[40:55]
    with _echo_401(f"key=c4n4ry{piece}xq9 is not valid") as server:
        run = run_subprocess(["check", "--timeout", "3", *flags],
                             env={"OPENAI_API_KEY": CANARY_KEY, "OPENAI_BASE_URL": server.url + "/v1"})
    assert_no_key(run)  # no run of 12 characters of the key, whatever surrounds it
    assert run.exit_code == 1
    shown = json.dumps(run.check("api.auth")) if flags else run.stdout
    assert "c4n4ry[redacted]xq9" in shown, shown


@pytest.mark.parametrize("key", ["local", "http"])
def test_a_placeholder_key_is_itself_and_localhost_stays_localhost(key: str) -> None:
    with MockServer(MockOptions(scenario="anymodel")) as server:
        base_url = server.base_url.replace("127.0.0.1", "localhost")
        run = run_subprocess(["check", "--smoke", "--timeout", "3", "-v"],
                             env={"OPENAI_API_KEY": key, "OPENAI_BASE_URL": base_url})
    assert run.exit_code == 0, run.output
    assert f'"{key}" ({len(key)} chars, a placeholder)' in run.stdout
    assert run.stdout.count(base_url) >= 2  # the header line and the checks: "localhost", "http" intact
    assert "chars)host" not in run.output and "[redacted]" not in run.output


def test_the_smoke_test_uses_the_proxy_the_checks_judged_and_no_proxy_too() -> None:
    with MockServer(MockOptions()) as server, ConnectProxy() as proxy:
        through = run_subprocess(["smoke", "--json", "--timeout", "3"], env=smoke_env(server, HTTP_PROXY=proxy.url()))
        assert_no_key(through)  # first: a failing assertion below must not print the key
        assert through.check("stream.chat")["status"] == "ok", through.check("stream.chat")
        assert any(r.target.endswith("/v1/chat/completions") for r in proxy.requests), proxy.requests
        seen = len(proxy.requests)
        direct = run_subprocess(["smoke", "--json", "--timeout", "3"],
                                env=smoke_env(server, HTTP_PROXY=proxy.url(), NO_PROXY="127.0.0.1"))
        assert_no_key(direct)
        assert direct.check("stream.chat")["status"] == "ok"
        assert len(proxy.requests) == seen
