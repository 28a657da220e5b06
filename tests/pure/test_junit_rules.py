"""The JUnit document (doctor.render.junit) from hand-built reports, read back with junitparser:
one case per check and per smoke run, counts that agree with the cases, hostile text that stays
text, and the writer's own scrubbing (doctor.commands.ci)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from doctor.commands.ci import CiOutputs, deliver
from doctor.model import Status
from doctor.redact import Redactor
from doctor.render.junit import render_junit, xml_text
from tests.support.helpers import CANARY_KEY, Run, assert_no_key
from tests.support.reports import HOSTILE, result, sample_report, smoke_summary


def parse(text: str, tmp_path: Path) -> TestSuite:
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    document = JUnitXml.fromfile(str(path))
    suites = list(document)
    assert len(suites) == 1
    return suites[0]


def cases(suite: TestSuite) -> Dict[str, TestCase]:
    return {case.name: case for case in suite}


def outcome(case: TestCase) -> List[type]:
    return [type(item) for item in case.result]


def test_one_case_per_check_named_by_group_and_id_timed_in_seconds(tmp_path: Path) -> None:
    report = sample_report()
    suite = parse(render_junit(report, elapsed_s=2.5), tmp_path)
    assert suite.name == "chat-doctor"
    assert [(case.classname, case.name) for case in suite] == [(r.group, r.id) for r in report.checks]
    by_name = cases(suite)
    assert by_name["python.interpreter"].time == 0.012
    assert by_name["api.auth"].time == 2.1
    assert suite.time == 2.5  # the run's wall time: the checks ran concurrently


def test_each_status_maps_to_its_junit_outcome(tmp_path: Path) -> None:
    by_name = cases(parse(render_junit(sample_report()), tmp_path))
    assert outcome(by_name["python.interpreter"]) == []
    assert outcome(by_name["python.ssl"]) == []  # a warning passes...
    assert "LibreSSL 2.8.3 is old" in by_name["python.ssl"].system_out  # ...and says so
    assert "brew install python@3.12" in by_name["python.ssl"].system_out
    assert outcome(by_name["config.api_key"]) == [Failure]
    assert outcome(by_name["net.dns"]) == [Skipped]
    assert by_name["net.dns"].result[0].message == "DNS: skipped (--offline)"
    assert outcome(by_name["api.auth"]) == [Error]
    assert by_name["api.auth"].result[0].type == "check_crashed"


def test_a_failure_carries_summary_code_details_and_fixes(tmp_path: Path) -> None:
    failure = cases(parse(render_junit(sample_report()), tmp_path))["config.api_key"].result[0]
    assert failure.message == "OPENAI_API_KEY ends with a newline"
    assert failure.type == "api_key_whitespace"
    assert failure.text.splitlines() == [
        "OPENAI_API_KEY ends with a newline",
        "code: api_key_whitespace",
        "  the SDK sends it as is",
        "fix: Set it without the newline",
        '    export OPENAI_API_KEY="$(printf %s "$OPENAI_API_KEY")"',
    ]


def test_under_strict_a_warning_is_a_failure_as_the_exit_code_says(tmp_path: Path) -> None:
    by_name = cases(parse(render_junit(sample_report(strict=True)), tmp_path))
    assert outcome(by_name["python.ssl"]) == [Failure]
    assert by_name["python.ssl"].result[0].type == "urllib3_ssl_warning"


def test_each_smoke_run_is_a_case_timed_by_its_ttft_and_failed_when_it_failed(tmp_path: Path) -> None:
    report = sample_report(smoke=smoke_summary((120.0, None, 80.0)))
    suite = parse(render_junit(report), tmp_path)
    runs = [case for case in suite if case.classname == "stream"]
    assert [case.name for case in runs] == ["stream.chat run 1", "stream.chat run 2", "stream.chat run 3"]
    assert [case.time for case in runs] == [0.12, 0.0, 0.08]
    assert [outcome(case) for case in runs] == [[], [Failure], []]
    assert runs[1].result[0].type == "stream_interrupted"
    assert runs[1].result[0].message == "the stream was cut after 3 tokens"


def test_the_suite_counts_agree_with_the_cases(tmp_path: Path) -> None:
    for report in (sample_report(), sample_report(strict=True), sample_report(smoke=smoke_summary((None, None))),
                   sample_report(extra=[result("stream.chat", Status.OK, "3 runs")])):
        text = render_junit(report)
        suite = parse(text, tmp_path)
        listed = list(suite)
        kinds = [outcome(case) for case in listed]
        assert suite.tests == len(listed)
        assert suite.failures == kinds.count([Failure])
        assert suite.errors == kinds.count([Error])
        assert suite.skipped == kinds.count([Skipped])
        assert sum(len(kind) for kind in kinds) == suite.failures + suite.errors + suite.skipped
        # The <testsuites> root carries the same counts (some CI systems read only the root).
        head = text.splitlines()[1]
        assert f'tests="{suite.tests}" failures="{suite.failures}" errors="{suite.errors}"' in head


def test_hostile_text_stays_text_and_the_file_stays_xml(tmp_path: Path) -> None:
    suite = parse(render_junit(sample_report()), tmp_path)
    failure = cases(suite)["api.model"].result[0]
    # Markup and quotes come back as they were; controls are shown escaped, as everywhere else.
    assert "<script>&\"'" in failure.message
    assert "\\x1b[2J\\x00" in failure.message
    assert "\x1b" not in failure.text and "\x00" not in failure.text
    assert "]]>" in failure.text
    # A lone surrogate cannot be in XML at all (nor be encoded as UTF-8): it is shown escaped.
    assert "\ud800" not in failure.message and "\\ud800" in failure.message


def test_xml_text_shows_controls_and_surrogates_escaped_and_drops_what_xml_still_forbids() -> None:
    assert xml_text("tab\there\nline") == "tab\there\nline"
    assert xml_text("a\ud800b\ufffec") == "a\\ud800bc"
    assert xml_text("bell\x07") == "bell\\x07"
    assert xml_text("two\nlines", lines=False) == "two\\nlines"
    assert xml_text("emoji 🎉 and ü") == "emoji 🎉 and ü"


def test_the_writer_scrubs_again_with_the_runs_redactor(tmp_path: Path) -> None:
    # A report that escaped the runner's scrubbing (here: never scrubbed at all) is scrubbed
    # by the writer: the file holds no 12-character piece of the key.
    leaky = sample_report(extra=[
        result("stream.chat", Status.FAIL, f"server said: {CANARY_KEY}", "invalid_api_key",
               details=[f"key={CANARY_KEY[5:40]}"]),
    ], smoke={"runs": [{"ttft_ms": None, "error": {"code": "invalid_api_key", "message": CANARY_KEY}}]})
    path = tmp_path / "junit.xml"
    code = deliver(CiOutputs(junit=path), leaky, Redactor([CANARY_KEY]), elapsed_s=1.0)
    assert code == 1
    text = path.read_text(encoding="utf-8")
    assert "server said: sk-proj-" in text  # the result is there, its key shown by shape only
    assert_no_key(Run(0, text, ""))


def test_the_file_is_replaced_not_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("old content that is not XML\n")
    deliver(CiOutputs(junit=path), sample_report(), Redactor(), elapsed_s=1.0)
    assert parse(path.read_text(encoding="utf-8"), tmp_path).tests == len(sample_report().checks)
