"""The outputs beyond the console and JSON show the Responses API's run too, through the installed
script against the real local endpoint: the GitHub step summary gets its percentiles table,
`chat-doctor report` takes `--api` (with `--smoke` only) and gives each API's run its section
(`[smoke]`, `[smoke responses]`; JSON `smoke_responses`), and the text and Markdown reports show
the TTFT ladder's rungs and the dialect's family line. The canary key never shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional

from doctor.mock.server import MockServer
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.mock_helpers import env_for, running

FAST = ["--timeout", "5"]
GITHUB = {"GITHUB_ACTIONS": "true"}
RUNGS = ("headers_ms", "first_byte_ms", "first_chunk_ms", "first_token_any_ms", "ttft_ms", "total_ms")


def cli(server: MockServer, *args: str, env: Optional[Dict[str, str]] = None) -> Run:
    run = run_subprocess(list(args), env={**env_for(server), **(env or {})})
    assert_no_key(run)
    return run


def section(text: str, title: str) -> List[str]:
    """The lines of one `[title]` section of a text report (up to the next blank line)."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


# --- the GitHub step summary --------------------------------------------------------------------


def test_the_step_summary_has_a_percentiles_table_per_api(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    with running("ok") as server:
        run = cli(server, "smoke", "--api", "both", "--quiet", "--runs", "2", *FAST,
                  env={**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 0, run.stderr[-2000:]
    text = summary.read_text(encoding="utf-8")
    assert_no_key(Run(0, text, ""))
    assert "**Smoke test: 2 runs of gpt-4o-mini**" in text
    assert "**Smoke test, Responses API: 2 runs of gpt-4o-mini**" in text
    assert text.index("**Smoke test: 2 runs") < text.index("**Smoke test, Responses API")
    # Each table has its TTFT row with four figures (min, p50, p90, max).
    ttft_rows = [line for line in text.splitlines() if line.startswith("| first token (TTFT) |")]
    assert len(ttft_rows) == 2 and all(len(re.findall(r"\d ms", row)) == 4 for row in ttft_rows)
    assert "| `stream.responses` |" in text and "| `stream.chat` |" in text


def test_under_api_responses_the_one_table_is_the_responses_apis(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    with running("ok") as server:
        run = cli(server, "smoke", "--api", "responses", "--quiet", *FAST,
                  env={**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.count("**Smoke test") == 1 and "**Smoke test, Responses API: 1 run of gpt-4o-mini**" in text
    assert "token arrivals" in text  # the picture is stream.responses's when chat did not run


def test_under_the_default_api_the_step_summary_is_as_before(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    with running("ok") as server:
        cli(server, "smoke", "--quiet", *FAST, env={**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    assert text.count("**Smoke test") == 1 and "Responses API" not in text


# --- chat-doctor report ---------------------------------------------------------------------------


def test_report_api_both_has_a_section_per_api_with_ladder_and_dialect() -> None:
    with running("ok") as server:
        text = cli(server, "report", "--smoke", "--api", "both", "--format", "text", *FAST)
        markdown = cli(server, "report", "--smoke", "--api", "both", *FAST)
        as_json = cli(server, "report", "--smoke", "--api", "both", "--format", "json", *FAST)
    assert text.exit_code == markdown.exit_code == as_json.exit_code == 0
    for output in (text.stdout, markdown.stdout):
        assert "chat-doctor report --smoke" in output and "--api both" in output
        chat, responses = section(output, "[smoke]"), section(output, "[smoke responses]")
        assert output.index("[smoke]") < output.index("[smoke responses]")
        for lines in (chat, responses):
            assert lines[0].strip() == "model gpt-4o-mini, " + as_json.json["smoke"]["sdk"]
            title = lines.index("  TTFT ladder, run 1 (from the request being sent):")
            rungs = lines[title + 1].strip().split(", ")
            assert [rung.split()[0] for rung in rungs] == list(RUNGS)
            assert all(re.fullmatch(r"\d+\.\d", rung.split()[1]) for rung in rungs), rungs
        # The mock speaks OpenAI's dialect on chat; the family line comes before the table.
        assert chat[1].strip().startswith("dialect: looks like OpenAI (")
    document = as_json.json
    assert document["smoke"]["api"] == "chat" and document["smoke_responses"]["api"] == "responses"
    assert document["smoke_responses"]["runs"][0]["terminal"] == "response.completed"
    assert document["smoke_responses"]["picture"] and document["smoke"]["picture"]
    assert [c["id"] for c in document["checks"] if c["id"].startswith("stream.")] == ["stream.chat",
                                                                                      "stream.responses"]


def test_report_api_responses_shows_the_responses_run_alone() -> None:
    with running("responses_incomplete") as server:
        text = cli(server, "report", "--smoke", "--api", "responses", "--format", "text", *FAST)
        sent = [r.path for r in server.requests if r.method == "POST"]
    assert text.exit_code == 0 and sent == ["/v1/responses"]
    assert "[smoke responses]" in text.stdout and "\n[smoke]\n" not in text.stdout
    lines = section(text.stdout, "[smoke responses]")
    assert [line.split()[0:2] for line in lines if line.strip().startswith("run ")] == [["run", "1"]]
    assert "stream.responses" in text.stdout and "stream_incomplete" in text.stdout


def test_report_without_api_is_chat_alone_as_before() -> None:
    with running("ok") as server:
        text = cli(server, "report", "--smoke", "--format", "text", *FAST)
        as_json = cli(server, "report", "--smoke", "--format", "json", *FAST)
    assert "[smoke]" in text.stdout and "[smoke responses]" not in text.stdout
    assert "first_token_any_ms" in text.stdout  # the ladder's rungs are there for chat alone too
    assert "smoke_responses" not in as_json.json and as_json.json["smoke"]["api"] == "chat"


def test_report_api_without_smoke_is_a_usage_error() -> None:
    run = run_subprocess(["report", "--api", "both"], env={"OPENAI_API_KEY": CANARY_KEY})
    assert run.exit_code == 2 and run.stdout == ""
    assert "--api" in run.stderr and "--smoke" in run.stderr and "Traceback" not in run.stderr
    bad = run_subprocess(["report", "--smoke", "--api", "completions"], env={"OPENAI_API_KEY": CANARY_KEY})
    assert bad.exit_code == 2 and "chat, responses, both" in bad.stderr


def test_the_report_json_smoke_responses_carries_the_responses_fields() -> None:
    with running("ok") as server:
        report = cli(server, "report", "--smoke", "--api", "both", "--format", "json", *FAST)
    runs = report.json["smoke_responses"]["runs"]
    assert len(runs) == 1 and runs[0]["sequence_gaps"] == [] and runs[0]["completion_tokens"] == 8
    assert runs[0]["limit_field"] == "max_output_tokens"
