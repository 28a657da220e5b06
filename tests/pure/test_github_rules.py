"""GitHub Actions output (doctor.render.github, written by doctor.commands.ci) from hand-built
reports: which results get which annotation, the workflow-command escaping that keeps a server's
text inside its message, the step summary's table and smoke percentiles, and where it all goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.commands.ci import CiOutputs, deliver
from doctor.model import Fix, Status
from doctor.redact import Redactor
from doctor.render.github import annotation, cell, escape_data, escape_property, step_summary, workflow_commands
from tests.support.helpers import CANARY_KEY, Run, assert_no_key
from tests.support.reports import HOSTILE, result, sample_report, smoke_summary


def test_fail_and_error_are_errors_warn_a_warning_ok_and_skip_nothing() -> None:
    lines = workflow_commands(sample_report())
    titles = [line.split("::")[1] for line in lines]
    assert titles == [
        "warning title=python.ssl (urllib3_ssl_warning)",
        "error title=config.api_key (api_key_whitespace)",
        "error title=api.auth (check_crashed)",
        "error title=api.model (model_not_found)",
    ]


def test_under_strict_a_warning_is_an_error() -> None:
    lines = workflow_commands(sample_report(strict=True))
    assert lines[0].startswith("::error title=python.ssl (urllib3_ssl_warning)::")


def test_the_message_is_the_summary_and_the_first_fix() -> None:
    warn = result("python.ssl", Status.WARN, "LibreSSL 2.8.3 is old", "urllib3_ssl_warning",
                  fixes=[Fix("Use `pip install 'urllib3<2'`", "pip install 'urllib3<2'"), Fix("Or another one")])
    line = annotation(warn)
    assert line == ("::warning title=python.ssl (urllib3_ssl_warning)::LibreSSL 2.8.3 is old"
                    "%0Afix: Use pip install 'urllib3<2'%0Apip install 'urllib3<2'")


def test_workflow_command_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"
    # Percent first: an already-encoded "%0A" stays text and is not decoded into a line break.
    assert escape_data("%0A") == "%250A"


def test_a_server_controlled_summary_cannot_start_a_command_of_its_own() -> None:
    line = annotation(result("api.model", Status.FAIL, HOSTILE, "model_not_found", fixes=[Fix(HOSTILE, HOSTILE)]))
    assert line is not None
    assert line.splitlines() == [line]  # one line, whatever the summary held
    assert line.startswith("::error title=api.model (model_not_found)::")
    assert "\r" not in line and "\n" not in line and "\x1b" not in line and "\u2028" not in line
    # The server's "%0A" is sent as "%250A": the runner decodes it to the text "%0A", not a break.
    assert "%250A" in line
    separator = result("api.model", Status.FAIL, "one\u2028::error::two", "model_not_found")
    assert "\u2028" not in str(annotation(separator))


def test_a_property_cannot_be_ended_by_its_value() -> None:
    line = annotation(result("config.api_key", Status.FAIL, "x", "code,with:colon"))
    assert line == "::error title=config.api_key (code%2Cwith%3Acolon)::x"


def test_the_step_summary_has_one_row_per_check_and_the_verdict() -> None:
    report = sample_report()
    text = step_summary(report)
    assert "### chat-doctor: not ready (exit 1)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(report.checks)
    assert rows[2] == "| ❌ fail | `config.api_key` | `api_key_whitespace` | OPENAI\\_API\\_KEY ends with a newline |"
    assert rows[0].startswith("| ✅ ok | `python.interpreter` |  |")


def test_a_hostile_summary_stays_in_its_cell() -> None:
    row = next(line for line in step_summary(sample_report()).splitlines() if "`api.model`" in line)
    # Five real cell borders; every `|` of the server's text is escaped.
    assert row.replace("\\|", "").count("|") == 5
    assert "<script>" not in row and "\\<script\\>" in row
    assert "\\&" in row  # no entity can be formed
    assert "<br>" in row  # its line break, kept inside the cell
    assert "\x1b" not in row and "\x00" not in row


def test_cell_escapes_markdown_and_line_breaks() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("[link](http://x) *bold* _it_ `code` ~s~") == "\\[link\\](http://x) \\*bold\\* \\_it\\_ \\`code\\` \\~s\\~"
    assert cell("one\ntwo") == "one<br>two"
    assert cell("") == ""


def test_the_smoke_percentiles_when_a_smoke_ran() -> None:
    text = step_summary(sample_report(smoke=smoke_summary((120.0, None, 80.0))))
    assert "**Smoke test: 3 runs of gpt-4o-mini, 1 failed**" in text
    assert "| first token (TTFT) | 80 ms | 80 ms | 120 ms | 120 ms |" in text
    assert "| response headers |" in text
    assert "tokens/s" not in text  # no figure for it: no row
    assert "Smoke test" not in step_summary(sample_report())
    nothing = step_summary(sample_report(smoke=smoke_summary((None,))))
    assert "no run succeeded" in nothing


def _github(tmp_path: Path) -> CiOutputs:
    return CiOutputs(github=True, step_summary=tmp_path / "summary.md")


def test_annotations_go_to_stderr_and_the_summary_is_appended(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = _github(tmp_path)
    assert outputs.step_summary is not None
    outputs.step_summary.write_text("## an earlier step\n")
    code = deliver(outputs, sample_report(), Redactor(), elapsed_s=1.0)
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout is the report's alone (pure JSON under --json)
    assert captured.err.splitlines() == workflow_commands(sample_report())
    text = outputs.step_summary.read_text(encoding="utf-8")
    assert text.startswith("## an earlier step\n")
    assert "### chat-doctor: not ready (exit 1)" in text


def test_an_unwritable_summary_is_a_warning_and_changes_no_exit_code(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    outputs = CiOutputs(github=True, step_summary=tmp_path)  # a directory
    assert deliver(outputs, sample_report(), Redactor(), elapsed_s=1.0) == 1
    err = capsys.readouterr().err
    assert f"chat-doctor: warning: the step summary could not be appended to {tmp_path}" in err


def test_github_outputs_follow_the_settings_environment() -> None:
    assert CiOutputs.for_run({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/s.md"}, None) == \
        CiOutputs(github=True, step_summary=Path("/s.md"))
    assert CiOutputs.for_run({"GITHUB_STEP_SUMMARY": "/s.md"}, "j.xml") == CiOutputs(junit=Path("j.xml"))
    assert CiOutputs.for_run({"GITHUB_ACTIONS": "false"}, None) == CiOutputs()


def test_the_writer_scrubs_annotations_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaky = sample_report(extra=[
        result("stream.chat", Status.FAIL, f"echoed {CANARY_KEY}", "invalid_api_key",
               fixes=[Fix(f"not {CANARY_KEY[3:30]}", f"export OPENAI_API_KEY={CANARY_KEY}")]),
    ], smoke={"model": CANARY_KEY, "runs": []})
    outputs = _github(tmp_path)
    deliver(outputs, leaky, Redactor([CANARY_KEY]), elapsed_s=1.0)
    err = capsys.readouterr().err
    assert "::error title=stream.chat (invalid_api_key)::echoed sk-proj-" in err
    assert outputs.step_summary is not None
    assert_no_key(Run(0, outputs.step_summary.read_text(encoding="utf-8"), err))
