"""The machine-readable contracts (DESIGN.md, README "Contracts"): pinned keys and exit codes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from doctor.knowledge.diagnoses import all_diagnoses, lookup
from doctor.model import CheckResult, ExitCode, Status, exit_code_for
from tests.support.helpers import run_cli, run_subprocess

try:
    from typing import TypedDict
except ImportError:  # pragma: no cover
    from typing_extensions import TypedDict


class _Envelope(TypedDict):
    schema: str
    tool: Dict[str, str]
    target: Optional[Dict[str, Any]]
    endpoint: Optional[Dict[str, Any]]
    checks: List[Dict[str, Any]]
    smoke: Optional[Dict[str, Any]]
    summary: Dict[str, int]
    exit_code: int


class _Check(TypedDict):
    id: str
    group: str
    status: str
    code: Optional[str]
    summary: str
    details: List[str]
    fixes: List[Dict[str, Optional[str]]]
    duration_ms: float
    data: Dict[str, Any]


ENVELOPE_KEYS = frozenset(_Envelope.__annotations__)
# Keys present only when what they describe ran: `smoke_responses` under `--api responses|both`.
OPTIONAL_KEYS = frozenset({"smoke_responses"})
CHECK_KEYS = frozenset(_Check.__annotations__)
STATUSES = {"ok", "warn", "fail", "skip", "error"}
STABLE_CHECK_IDS = [
    "python.interpreter", "python.ssl", "python.urllib3", "python.certs", "packages.openai",
    "config.api_key", "config.base_url", "config.proxy", "net.dns", "net.tcp", "net.tls",
    "api.auth", "api.model",
]


def assert_envelope(document: Dict[str, Any], exit_code: int) -> None:
    assert set(document) - OPTIONAL_KEYS == ENVELOPE_KEYS
    assert document["schema"] == "chat-doctor.report/1"
    assert document["tool"]["name"] == "chat-doctor"
    assert set(document["target"]) == {"python", "selected_by", "version", "ssl"}
    assert set(document["endpoint"]) == {"base_url", "source", "kind"}
    assert document["exit_code"] == exit_code
    counts = {status: 0 for status in STATUSES}
    for check in document["checks"]:
        assert set(check) == CHECK_KEYS, check["id"]
        assert check["status"] in STATUSES
        assert check["group"] == check["id"].split(".")[0]
        if check["status"] != "ok":
            assert check["code"], f"{check['id']} is {check['status']} without a code"
            assert lookup(check["code"]), check["code"]
        if check["status"] in ("warn", "fail"):
            assert check["fixes"], f"{check['id']} has no fix"
        counts[check["status"]] += 1
    assert document["summary"] == counts


def test_offline_check_envelope_in_process() -> None:
    run = run_cli(["check", "--offline", "--json"])
    assert_envelope(run.json, run.exit_code)


def test_offline_check_envelope_as_a_process_keeps_stdout_pure_json() -> None:
    run = run_subprocess(["check", "--offline", "--json"])
    assert run.stdout.lstrip().startswith("{") and run.stdout.rstrip().endswith("}")
    assert_envelope(run.json, run.exit_code)


def test_every_stable_check_id_is_registered_in_order() -> None:
    from doctor.checks import registry

    checks, _ = registry()
    ids = [c.id for c in checks]
    present = [i for i in STABLE_CHECK_IDS if i in ids]
    assert present == sorted(present, key=ids.index), "declared order changed"
    missing = set(STABLE_CHECK_IDS) - set(ids)
    assert not missing, f"stable check ids missing: {sorted(missing)}"


@pytest.mark.parametrize(
    "statuses, codes, strict, expected",
    [
        ([], [], False, ExitCode.OK),
        (["ok", "warn"], [None, "x"], False, ExitCode.OK),
        (["ok", "warn"], [None, "x"], True, ExitCode.FAILURE),
        (["fail", "error"], ["x", "check_crashed"], False, ExitCode.FAILURE),
        (["ok", "error"], [None, "check_crashed"], False, ExitCode.CHECK_ERROR),
        (["fail"], ["ttft_over_limit"], False, ExitCode.THRESHOLD),
        (["fail", "error"], ["ttft_over_limit", "check_crashed"], False, ExitCode.THRESHOLD),
        (["fail", "fail"], ["ttft_over_limit", "x"], False, ExitCode.FAILURE),
        (["fail", "warn"], ["ttft_over_limit", "x"], True, ExitCode.FAILURE),
        (["skip", "skip"], ["offline", "offline"], True, ExitCode.OK),
    ],
)
def test_exit_code_mapping(statuses, codes, strict, expected) -> None:
    results = [CheckResult(id=f"g.c{i}", status=Status(s), summary="", code=c) for i, (s, c) in enumerate(zip(statuses, codes))]
    assert exit_code_for(results, strict=strict) is expected


def test_exit_code_values_are_the_documented_ones() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4]


def test_usage_errors_exit_2_with_one_line_and_no_traceback() -> None:
    for args in (["check", "--python", "/definitely/not/here"], ["check", "--timeout", "-1"], ["check", "--bogus"]):
        run = run_subprocess(args)
        assert run.exit_code == 2, (args, run.output)
        assert "Traceback" not in run.output
        assert run.stdout == ""


def test_every_registered_code_has_cause_and_fix() -> None:
    for diagnosis in all_diagnoses():
        assert diagnosis.code.islower() and " " not in diagnosis.code
        assert diagnosis.cause.strip().endswith((".", ")")), diagnosis.code
        assert diagnosis.fix.strip(), diagnosis.code


SMOKE_KEYS = {"model", "base_url", "runs", "ttft_ms", "buffered"}  # DESIGN.md; more may be added
RUN_KEYS = {
    "ttft_ms", "headers_ms", "first_chunk_ms", "total_ms", "content_chunks", "completion_tokens",
    "tokens_per_s", "itl_ms", "buffered", "finish_reason", "request_id", "error",
}


def test_smoke_object_carries_the_documented_fields() -> None:
    run = run_subprocess(["demo", "--json"])
    document = run.json
    assert_envelope(document, run.exit_code)
    smoke = document["smoke"]
    assert SMOKE_KEYS <= set(smoke), SMOKE_KEYS - set(smoke)
    assert set(smoke["ttft_ms"]) == {"min", "p50", "p90", "max"}
    (one,) = smoke["runs"]
    assert RUN_KEYS <= set(one), RUN_KEYS - set(one)
    assert set(one["itl_ms"]) == {"p50", "p90", "max"} and one["error"] is None
    assert [c["id"] for c in document["checks"]][-1] == "stream.chat"


RESPONSES_RUN_KEYS = RUN_KEYS | {"terminal", "created_ms", "events", "sequence_numbers", "sequence_gaps"}


def test_smoke_responses_is_additive_and_has_smokes_shape() -> None:
    from tests.support.mock_helpers import env_for, running

    with running("ok") as server:
        run = run_subprocess(["smoke", "--api", "both", "--json", "--timeout", "5"], env=env_for(server))
    document = run.json
    assert_envelope(document, run.exit_code)
    assert set(document) == ENVELOPE_KEYS | {"smoke_responses"}
    smoke, responses = document["smoke"], document["smoke_responses"]
    assert (smoke["api"], responses["api"]) == ("chat", "responses")
    assert SMOKE_KEYS <= set(responses) and set(smoke) == set(responses)
    (one,) = responses["runs"]
    assert RESPONSES_RUN_KEYS <= set(one), RESPONSES_RUN_KEYS - set(one)
    assert [c["id"] for c in document["checks"]][-2:] == ["stream.chat", "stream.responses"]


def test_smoke_carries_the_buffering_cause_additively() -> None:
    """`cause` / `cause_evidence` as stream.chat's data has them; null when no cause was searched."""
    from tests.support.mock_helpers import env_for, running

    for scenario, cause in (("ok", None), ("gzip_buffered", "compression")):
        with running(scenario, first_token_delay_ms=200, token_interval_ms=40) as server:
            run = run_subprocess(["smoke", "--json", "--timeout", "5"], env=env_for(server))
        document = run.json
        assert_envelope(document, run.exit_code)
        smoke = document["smoke"]
        assert SMOKE_KEYS | {"cause", "cause_evidence"} <= set(smoke), scenario
        data = next(c for c in document["checks"] if c["id"] == "stream.chat")["data"]
        assert (smoke["cause"], smoke["cause_evidence"]) == (data.get("cause"), data.get("cause_evidence")), scenario
        assert smoke["cause"] == cause, scenario
