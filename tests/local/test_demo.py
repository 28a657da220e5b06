"""`chat-doctor demo`: the README's first command must be green with no key and no network."""

from __future__ import annotations

import os

from doctor.commands.demo import DEMO_KEY, demo_env
from tests.support.helpers import run_subprocess

# A proxy that does not exist: if anything in the demo tried to leave this machine through the
# proxy variables, it would fail; loopback must bypass it.
DEAD_PROXY = "http://127.0.0.1:9"


def test_demo_is_green_with_no_key_and_no_network() -> None:
    assert not any(name.startswith("OPENAI_") for name in os.environ)
    run = run_subprocess(["demo", "--json"], env={"HTTPS_PROXY": DEAD_PROXY, "HTTP_PROXY": DEAD_PROXY}, timeout=120)
    document = run.json
    not_green = [(c["id"], c["status"], c["code"], c["summary"]) for c in document["checks"] if c["status"] != "ok"]
    assert run.exit_code == 0, not_green
    assert not [c for c in not_green if c[1] in ("fail", "error")], not_green
    ids = [c["id"] for c in document["checks"]]
    assert ids[-1] == "stream.chat" and "config.api_key" in ids
    one = document["smoke"]["runs"][0]
    assert one["error"] is None and one["buffering"] == "streamed"
    assert 300 <= one["ttft_ms"] < 1000, one  # the demo's visible first-token delay
    assert document["endpoint"]["base_url"].startswith("http://127.0.0.1:")
    assert "Hello from chat-doctor's local endpoint." in run.stderr  # streamed beside the JSON
    assert DEMO_KEY not in run.output


def test_demo_streams_the_reply_on_screen() -> None:
    run = run_subprocess(["demo"], timeout=120)
    assert run.exit_code == 0, run.output
    assert "reply: Hello from chat-doctor's local endpoint." in run.stdout
    assert run.stdout.index("reply: ") < run.stdout.index("stream.chat")
    assert "ready" in run.stdout


def test_demo_scenario_shows_a_diagnosis() -> None:
    run = run_subprocess(["demo", "--scenario", "buffered", "--json"], timeout=120)
    stream = [c for c in run.json["checks"] if c["id"] == "stream.chat"][0]
    assert (stream["status"], stream["code"]) == ("warn", "stream_buffered")
    assert any("proxy_buffering off" in (f["command"] or "") for f in stream["fixes"])
    assert run.exit_code == 0  # a warning is not a failure


def test_demo_scenario_failure_exits_1_and_verbose_shows_timings() -> None:
    run = run_subprocess(["demo", "--scenario", "cut", "-v"], timeout=120)
    assert run.exit_code == 1
    assert "stream_interrupted" in run.stdout


def test_unknown_scenario_is_a_usage_error() -> None:
    run = run_subprocess(["demo", "--scenario", "nope"], timeout=60)
    assert run.exit_code == 2 and "unknown scenario" in run.stderr and run.stdout == ""


def test_demo_env_replaces_api_settings_and_exempts_loopback() -> None:
    env = demo_env(
        {"OPENAI_API_KEY": "sk-real", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com", "NO_PROXY": "corp.example",
         "HOME": "/home/u"},
        "http://127.0.0.1:5/v1",
    )
    assert env["OPENAI_API_KEY"] == DEMO_KEY and env["OPENAI_BASE_URL"] == "http://127.0.0.1:5/v1"
    assert "AZURE_OPENAI_ENDPOINT" not in env and env["HOME"] == "/home/u"
    assert env["NO_PROXY"].startswith("corp.example,") and "127.0.0.1" in env["no_proxy"]
