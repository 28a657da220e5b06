"""The smoke test's time and memory bounds (doctor/stream/budget.py), through the real CLI against
the local endpoint's hostile scenarios: each ends with its own diagnosis and figures, in the time
the README states, never with the session's backstop (`check_timeout`, exit 3).

Also: odd values in chunks, the token limit sent in the field each endpoint kind understands, a
reply that ignores it, and a SOCKS proxy without SOCKS support.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, List, Tuple

import pytest

from doctor.stream.budget import EVENT_BYTES, Budget
from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, assert_no_key, Run, run_cli
from tests.support.mock_helpers import env_for, running


def smoke(server: Any, *args: str, env: Dict[str, str] = None) -> Tuple[Run, float]:  # type: ignore[assignment]
    started = time.monotonic()
    run = run_cli(["smoke", "--json", *args], env=env or env_for(server))
    elapsed = time.monotonic() - started
    assert_no_key(run)
    return run, elapsed


def chat_bodies(server: Any) -> List[Any]:
    """The smoke runs' requests; not the buffering-cause retries (sent with Accept-Encoding:
    identity), which a loaded machine can trigger by reading an "ok" stream in one burst."""
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")
            and r.accept_encoding != "identity"]


# --- time ----------------------------------------------------------------------------------------


def test_headers_one_byte_a_second_end_as_stream_timeout_after_the_timeout() -> None:
    with running("slowloris") as server:
        run, elapsed = smoke(server, "--timeout", "1")
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("stream_timeout", 1), result
    limit = result["data"]["limit"]
    assert limit["kind"] == "headers" and 1.0 <= limit["observed"] < 2.0, limit  # at or past the 1 s timeout (3 decimals), before 2 s
    assert "headers were still incomplete" in result["summary"]
    assert run.json["smoke"]["runs"][0]["total_ms"] < 2500 and elapsed < 20


def test_endless_keep_alive_comments_stall_the_stream_after_the_timeout() -> None:
    with running("keepalive_forever") as server:
        run, _ = smoke(server, "--timeout", "1")
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("stream_stalled", 1), result
    assert result["data"]["limit"]["kind"] == "stall" and "no new event for 1.0 s" in result["summary"]
    assert 1000 <= run.json["smoke"]["runs"][0]["total_ms"] < 2000


def test_a_stream_that_never_ends_is_stopped_at_the_run_bound() -> None:
    budget = Budget(timeout_s=1.0, max_tokens=4)  # run_s = 3 x 1 s + 4 tokens / 4 per s = 4 s
    with running("empty_events") as server:
        run, elapsed = smoke(server, "--timeout", "1", "--max-tokens", "4")
    result = run.check("stream.chat")
    assert (result["code"], result["status"], run.exit_code) == ("stream_too_long", "fail", 1), result
    limit = result["data"]["limit"]
    assert (limit["kind"], limit["bound"], limit["unit"]) == ("run_time", budget.run_s, "s")
    assert "still sending after 4.0 s (the limit is 4.0 s)" in result["summary"]
    assert budget.run_s * 1000 <= run.json["smoke"]["runs"][0]["total_ms"] < budget.run_s * 1000 * 1.25
    assert elapsed < 30


def test_a_data_line_that_never_ends_is_cut_at_the_event_bound() -> None:
    with running("endless_line") as server:
        run, _ = smoke(server, "--timeout", "3")
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("stream_too_long", 1), result
    limit = result["data"]["limit"]
    assert limit["kind"] == "event_bytes" and limit["bound"] == EVENT_BYTES < limit["observed"]
    assert "a line that never ends" in result["summary"]


# --- memory ---------------------------------------------------------------------------------------

_MEASURE = (
    "import json, resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "print(json.dumps({'rss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " 'code': proc.returncode, 'stdout': proc.stdout}))\n"
)


def peak_rss(args: List[str], env: Dict[str, str]) -> Tuple[int, Run]:
    """The CLI's own peak RSS (MiB): measured by a fresh helper process whose only child it is."""
    full_env = dict(os.environ, **env)
    out = subprocess.run([sys.executable, "-c", _MEASURE, CHAT_DOCTOR, *args], capture_output=True, text=True,
                         env=full_env, timeout=300, check=True)
    measured = json.loads(out.stdout)
    return measured["rss_kib"] // 1024, Run(measured["code"], measured["stdout"], "")


def test_a_gzip_bomb_is_stopped_before_it_inflates(tmp_path: Any) -> None:
    with running("gzip_bomb") as server:
        rss_mib, run = peak_rss(["smoke", "--json", "--timeout", "5"], env_for(server))
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("stream_too_long", 1), result
    assert result["data"]["limit"]["kind"] in ("event_bytes", "reply_bytes")
    assert rss_mib < 300, f"peak RSS {rss_mib} MiB"  # 1 GiB inflated; 4 GB before the bound


# --- token limits ----------------------------------------------------------------------------


def test_a_compatible_server_gets_max_tokens_and_is_bounded_by_it() -> None:
    with running("max_tokens_only") as server:
        run, _ = smoke(server, "--timeout", "5", "--max-tokens", "5")
        bodies = chat_bodies(server)
    result = run.check("stream.chat")
    assert (result["status"], run.exit_code) == ("ok", 0), result
    assert bodies[0]["max_tokens"] == 5 and "max_completion_tokens" not in bodies[0]
    one = run.json["smoke"]["runs"][0]
    assert (one["completion_tokens"], one["limit_field"], one["fallbacks"]) == (5, "max_tokens", [])


def test_a_reply_that_ignores_every_limit_is_cut_and_keeps_its_timings() -> None:
    with running("no_limits", token_interval_ms=1) as server:
        run, _ = smoke(server, "--timeout", "5", "--max-tokens", "8", "--runs", "2")
    result = run.check("stream.chat")
    assert (result["code"], result["status"], run.exit_code) == ("max_tokens_ignored", "warn", 0), result
    assert result["data"]["limit"] == {"kind": "tokens", "bound": 32, "observed": 33, "unit": "token chunks"}
    assert "asked for 8 tokens (`max_tokens`)" in result["summary"]
    document = run.json["smoke"]
    assert len(document["runs"]) == 2 and document["ttft_ms"] is not None  # both runs timed
    assert all(r["content_chunks"] == 33 and r["error"] is None for r in document["runs"])


def test_an_endless_stream_of_content_is_cut_at_the_token_bound() -> None:
    with running("endless") as server:
        run, elapsed = smoke(server, "--timeout", "3", "--max-tokens", "8")
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("max_tokens_ignored", 0), result
    assert run.json["smoke"]["runs"][0]["overrun"]["observed"] == 33 and elapsed < 20


@pytest.mark.parametrize("api_version, field_name", [("2024-10-21", "max_completion_tokens"),
                                                     ("2024-06-01", "max_tokens")])
def test_azure_gets_the_field_of_its_api_version(api_version: str, field_name: str) -> None:
    with running("ok") as server:
        env = {"AZURE_OPENAI_ENDPOINT": server.url, "OPENAI_API_VERSION": api_version,
               "AZURE_OPENAI_API_KEY": CANARY_KEY}
        run, _ = smoke(server, "--timeout", "5", env=env)
        bodies = chat_bodies(server)
    assert run.check("stream.chat")["status"] == "ok"
    assert field_name in bodies[0] and len({"max_tokens", "max_completion_tokens"} & set(bodies[0])) == 1


def test_the_other_limit_field_is_tried_once_when_one_is_rejected() -> None:
    with running("reject_max_completion_tokens") as server:  # on Azure >= 2024-09-01: max_completion_tokens
        env = {"AZURE_OPENAI_ENDPOINT": server.url, "OPENAI_API_VERSION": "2024-10-21",
               "AZURE_OPENAI_API_KEY": CANARY_KEY}
        run, _ = smoke(server, "--timeout", "5", env=env)
        azure = chat_bodies(server)
    with running("ok") as server:  # o-series models refuse max_tokens, which compatible servers get
        run_o, _ = smoke(server, "--timeout", "5", "--model", "o4-mini")
        compatible = chat_bodies(server)
    assert run.json["smoke"]["runs"][0]["fallbacks"] == ["max_completion_tokens"], run.check("stream.chat")
    assert "max_tokens" in azure[-1] and "max_completion_tokens" not in azure[-1]
    assert run_o.json["smoke"]["runs"][0]["fallbacks"] == ["max_tokens"], run_o.check("stream.chat")
    assert [sorted(set(b) & {"max_tokens", "max_completion_tokens"}) for b in compatible] == [
        ["max_tokens"], ["max_completion_tokens"]]


# --- odd values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario, words", [("odd_usage", "usage.completion_tokens is 'many' (a string)"),
                                             ("odd_content", "content is 5 (a number)")])
def test_values_of_the_wrong_type_are_a_malformed_stream_not_a_crash(scenario: str, words: str) -> None:
    with running(scenario) as server:
        run, _ = smoke(server, "--timeout", "5")
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("stream_malformed", 1), result
    assert words in result["summary"]


# --- SOCKS -------------------------------------------------------------------------------------------


def test_a_socks_proxy_without_socks_support_says_what_to_install() -> None:
    try:
        import socksio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("socksio is installed here")
    import openai

    with running("ok") as server:
        env = dict(env_for(server), ALL_PROXY="socks5://127.0.0.1:1")
        run, _ = smoke(server, "--timeout", "2", env=env)
    result = run.check("stream.chat")
    assert (result["code"], result["status"], run.exit_code) == ("proxy_socks_unsupported", "fail", 1), result
    extra = "httpx2[socks]" if int(openai.__version__.split(".")[0]) >= 3 else "httpx[socks]"
    commands = [f["command"] for f in result["fixes"] if f["command"]]
    assert commands and commands[0].endswith(f"-m pip install '{extra}'"), commands
    assert "reinstall" not in json.dumps(result).lower()
    # pip cannot use a SOCKS proxy itself: the install runs without the variables that hold one.
    # Pasted whole, with the interpreter asked whether any of them is left instead of installing:
    assert commands[0].startswith("env -u ALL_PROXY -u all_proxy "), commands
    probe = commands[0].replace(f"-m pip install '{extra}'",
                                "-c 'import os, sys; sys.exit(any(k.lower() == \"all_proxy\" for k in os.environ))'")
    pasted = subprocess.run(["/bin/bash", "-c", probe], env={"ALL_PROXY": "socks5://127.0.0.1:1", "all_proxy": "socks5://x",
                                                            "PATH": "/usr/bin:/bin"}, capture_output=True, timeout=60, check=False)
    assert pasted.returncode == 0, pasted
