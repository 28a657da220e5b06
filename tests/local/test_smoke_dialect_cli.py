"""The TTFT ladder and the endpoint's dialect through the real CLI (the installed `chat-doctor`)
against the mock endpoint's dialect scenarios (doctor/mock/dialects.py), in-process and through
the target runner (this interpreter as the target, doctor.stream.target_launch).
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional

import pytest

from doctor.knowledge.wording import dialect as words
from doctor.redact import Redactor
from doctor.stream import dialect as d
from doctor.stream import figures
from doctor.stream.client import ClientConfig
from doctor.stream.sdk import SdkSession, StreamRequest
from doctor.stream.target_launch import RunnerJob, run_in_target
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.mock_helpers import env_for, running

LADDER = ("headers_ms", "first_byte_ms", "first_chunk_ms", "first_token_any_ms", "ttft_ms", "last_token_ms", "total_ms")


def smoke(server: Any, *args: str) -> Run:
    run = run_subprocess(["smoke", "--timeout", "5", *args], env=env_for(server))
    assert_no_key(run)
    return run


# scenario -> (family, usage, reasoning field, empty-choices first chunk, role-only first chunk, comments)
FAMILIES = {
    "ok": (d.OPENAI, words.USAGE_CHUNK, None, False, True, 0),
    "dialect_vllm": (d.VLLM, words.USAGE_CHUNK, "reasoning_content", False, True, 0),
    "dialect_llamacpp": (d.LLAMA_CPP, words.USAGE_ON_LAST, None, False, True, 0),
    "dialect_ollama": (d.OLLAMA, words.USAGE_CHUNK, "reasoning", False, False, 0),
    "dialect_azure": (d.AZURE, words.USAGE_CHUNK, None, True, False, 0),
    "dialect_openrouter": (d.OPENROUTER, words.USAGE_ON_LAST, None, False, False, 2),
}


@pytest.mark.parametrize("scenario", sorted(FAMILIES))
def test_each_family_is_recognised_in_the_json(scenario: str) -> None:
    family, usage, reasoning, empty_first, role_first, comments = FAMILIES[scenario]
    with running(scenario) as server:
        run = smoke(server, "--json")
    assert run.exit_code == 0 and run.check("stream.chat")["status"] == "ok", run.check("stream.chat")
    dialect = run.json["smoke"]["dialect"]
    assert dialect["family"] == family and dialect["evidence"], dialect
    assert (dialect["usage"], dialect["reasoning_field"], dialect["empty_choices_first_chunk"],
            dialect["role_only_first_chunk"], dialect["sse_comments"]) == (usage, reasoning, empty_first, role_first, comments)
    assert dialect["obfuscation"] is (scenario in ("ok", "dialect_azure"))
    # The head goes out at once: never held (None while the first token is too fast to tell, on a loaded
    # machine it may come late enough to say False).
    assert dialect["headers_held_until_first_token"] is not True
    assert "choices" in dialect["fields"] and all(len(name) <= 40 for name in dialect["fields"])
    # The check's own data carries it too (what -v draws from).
    assert run.check("stream.chat")["data"]["dialect"]["family"] == family


def test_the_json_runs_and_stats_carry_the_ladder_in_order() -> None:
    with running("dialect_ollama", first_token_delay_ms=200) as server:
        run = smoke(server, "--json", "--runs", "2")
    smoke_doc = run.json["smoke"]
    for one in smoke_doc["runs"]:
        rungs = [one[key] for key in LADDER]
        assert None not in rungs and rungs == sorted(rungs), one
        # Ollama streams reasoning first: GuideLLM's and AIPerf's TTFT comes before llmperf's.
        assert one["first_token_any_ms"] < one["ttft_ms"] and one["first_token_any_ms"] == one["first_reasoning_ms"]
    for key in ("first_byte_ms", "first_token_any_ms"):
        assert set(smoke_doc["timings_ms"][key]) >= {"min", "p50", "max"}


def test_verbose_draws_the_ladder_and_the_dialect_section() -> None:
    with running("ok", first_token_delay_ms=200, token_interval_ms=10) as server:
        run = run_subprocess(["check", "--smoke", "-v", "--timeout", "5"], env=env_for(server))
        document = run_subprocess(["smoke", "--json", "--timeout", "5"], env=env_for(server))
    assert_no_key(run)
    assert run.exit_code == 0, run.output
    lines = [line.strip() for line in run.stdout.splitlines()]
    start = lines.index(words.LADDER_TITLE.format(run=1))
    drawing = lines[start:start + 16]
    assert drawing[1].split() == ["DNS*", "TCP*", "Headers", "First", "Byte", "First", "Chunk", "First", "Token",
                                  "First", "Content", "Total"]  # net.tcp ran in this report; plain http: no TLS
    named = [line.split(":")[0].split()[-1] for line in drawing[4:12]]
    assert named == ["namelookup", "connect", "headers", "first_byte", "first_chunk", "first_token_any", "ttft", "total"]
    assert words.PEERS in lines and lines.index(words.PEERS) > start
    assert "dialect: looks like OpenAI (obfuscation field in the chunks" in run.stdout  # backticks only in the JSON
    assert "usage arrives in a usage chunk; reasoning in none seen" in run.stdout
    token_line = next(line for line in drawing if line.startswith("first_token_any:") or " first_token_any:" in line)
    ttft = float(token_line.split("first_token_any:")[1].split()[0])
    assert 200 <= ttft < 400  # never before the delay, well before twice it
    assert document.json["smoke"]["dialect"]["family"] == d.OPENAI


def test_headers_held_until_the_first_token_is_said() -> None:
    with running("slow", slow_delay_ms=300) as server:
        held = smoke(server, "--json")
        verbose = smoke(server, "-v")
    with running("ok", first_token_delay_ms=300) as server:
        not_held = smoke(server, "--json")
    dialect = held.json["smoke"]["dialect"]
    assert dialect["headers_held_until_first_token"] is True and 300 <= dialect["headers_ms"] < 600
    assert dialect["first_token_any_ms"] - dialect["headers_ms"] <= d.HELD_GAP_FLOOR_MS
    assert "response headers held until the first token" in verbose.stdout
    assert not_held.json["smoke"]["dialect"]["headers_held_until_first_token"] is False


# --- the target runner sees what in-process sees ---------------------------------------------


def _in_process(base_url: str) -> figures.SmokeSummary:
    session = SdkSession(ClientConfig(base_url=base_url, kind="openai", api_key=CANARY_KEY, timeout_s=5.0))
    try:
        trace, _ = session.run(StreamRequest(model="gpt-4o-mini", prompt="Say hello", max_tokens=64))
    finally:
        session.close()
    return figures.summarise([trace], model="gpt-4o-mini", base_url=base_url, sdk="s")


def _in_target(base_url: str) -> figures.SmokeSummary:
    job = RunnerJob(base_url=base_url, model="gpt-4o-mini", prompt="Say hello", max_tokens=64, timeout_s=5.0, allow_http=True)
    result = run_in_target(sys.executable, job, env={}, key=CANARY_KEY, redactor=Redactor([CANARY_KEY]))
    assert result.problem is None and result.failure is None, result
    assert CANARY_KEY[:12] not in repr(result)
    return figures.summarise(result.traces, model="gpt-4o-mini", base_url=base_url, sdk="s")


def _shape(summary: figures.SmokeSummary) -> Optional[Dict[str, Any]]:
    dialect = summary.dialect
    if dialect is None:
        return None
    got = dialect.to_dict()
    # The fingerprint and ids are drawn anew for each reply, the times are each run's own; the rest
    # is the server's dialect.
    got.pop("headers_ms"), got.pop("first_token_any_ms"), got.pop("headers_held_until_first_token")
    got["evidence"] = [e for e in got["evidence"] if not e.startswith("system_fingerprint")]
    return got


@pytest.mark.parametrize("scenario", ["dialect_azure", "dialect_openrouter", "dialect_vllm"])
def test_the_target_runner_reads_the_same_dialect_as_in_process(scenario: str) -> None:
    with running(scenario) as server:
        local, target = _in_process(server.base_url), _in_target(server.base_url)
    assert _shape(target) == _shape(local) and _shape(target) is not None
    assert _shape(target)["family"] == FAMILIES[scenario][0]  # type: ignore[index]  # not None: asserted above
    wire = target.traces[0].wire
    assert wire is not None and wire.events >= 8
    for summary in (local, target):
        rungs = [getattr(summary.metrics[0], key) for key in LADDER]
        assert None not in rungs and rungs == sorted(rungs)
        assert summary.metrics[0].first_token_any_ms >= 50  # type: ignore[operator]  # the writers' first-token delay


def test_a_responses_run_records_the_dialect_that_applies_to_it() -> None:
    """stream.responses: comments, headers, the family from the headers; no chat-chunk lines under -v."""
    with running("ping", first_token_delay_ms=300) as server:
        run = smoke(server, "--api", "responses", "--json")
        shown = smoke(server, "--api", "responses", "-v")
    assert run.exit_code == 0, run.output[-2000:]
    dialect = run.json["smoke"]["dialect"]
    assert (dialect["api"], dialect["family"], dialect["usage"]) == ("responses", d.OPENAI, words.USAGE_TERMINAL)
    assert dialect["sse_comments"] >= 1 and dialect["first_comment"] == "ping" and dialect["obfuscation"] is True
    assert "openai-version header" in dialect["evidence"] and "choices" not in dialect["fields"]
    assert run.check("stream.responses")["data"]["dialect"] == dialect
    assert "dialect: looks like OpenAI (" in shown.stdout, shown.stdout[-2000:]
    assert "usage arrives in" not in shown.stdout and "first chunk" not in shown.stdout.split("dialect:")[1]
