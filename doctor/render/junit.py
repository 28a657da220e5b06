"""The report as JUnit XML (`--junit PATH`), the format CI systems show as test results.

GitLab (`artifacts: reports: junit:`), Jenkins and the GitHub test-report actions all read
`<testsuites><testsuite name tests failures errors skipped time><testcase>...`. Each check is a
test case (classname = its group, name = its id, time = its duration in seconds):

- fail -> `<failure message=summary type=code>`, whose text holds summary, code, details, fixes;
- error (the check itself could not run) -> `<error>`, the same way;
- skip -> `<skipped message=summary>`;
- warn -> a pass with the warning in `<system-out>`; under `--strict` a `<failure>`, because the
  exit code fails on it there and a CI page must not show green beside a red job;
- ok -> a bare pass.

Each run of the smoke test is one more case (classname `stream`, name `stream.chat run N`, time
its TTFT), failed when that run failed: CI systems chart test times, so TTFT gets a history.

Pure: a report in, text out (doctor.commands.ci writes it). Every string goes through
`xml_text`: a server's message ends up in summaries, and one character that XML 1.0 forbids (a
control character, a lone surrogate from a non-UTF-8 environment) would make the whole file
unreadable to the CI system; they are shown escaped (doctor.render.plain), whatever is still
left dropped. Escaping `<`, `&` and quotes is ElementTree's job.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Mapping, Optional, Tuple

from doctor.model import CheckResult, Report, Status
from doctor.render.console import terminal_text
from doctor.render.plain import plain

SUITE = "chat-doctor"
RUN_CLASS = "stream"
_OUTCOMES = ("failure", "error", "skipped")

# Everything outside XML 1.0's Char production (tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD,
# U+10000-U+10FFFF). After `plain` only the noncharacters U+FFFE and U+FFFF can be left.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str, *, lines: bool = True) -> str:
    """`text` as XML can carry it: control and invisible characters and lone surrogates shown
    escaped (`\\x1b`, as every other output shows them, so nothing is silently lost), then
    whatever XML 1.0 still forbids dropped. `lines` keeps line feeds (element text); attributes
    get none."""
    return _NOT_XML.sub("", plain(text, keep_newlines=lines))


def render_junit(report: Report, *, elapsed_s: Optional[float] = None) -> str:
    """The JUnit document of `report`. `elapsed_s`, the run's wall time, is the suite's time
    (checks run concurrently, so their durations do not add up to it); without it, their sum."""
    cases = [check_case(result, strict=report.strict) for result in report.checks]
    cases += run_cases(report.smoke)
    if report.smoke_responses is not None and (report.smoke or {}).get("api") == "chat":  # --api both
        cases += run_cases(report.smoke_responses)
    total_s = elapsed_s if elapsed_s is not None else sum(r.duration_ms for r in report.checks) / 1000
    counts = _counts(cases, total_s)
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(report):
        ET.SubElement(properties, "property", name=name, value=xml_text(value, lines=False))
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def check_case(result: CheckResult, *, strict: bool = False) -> ET.Element:
    """One check as a `<testcase>` (see the module docstring for the mapping)."""
    case = ET.Element("testcase", classname=result.group, name=result.id, time=_seconds(result.duration_ms))
    status = result.status
    if status is Status.FAIL or (strict and status is Status.WARN):
        _outcome(case, "failure", result.summary, result.code, result_text(result))
    elif status is Status.ERROR:
        _outcome(case, "error", result.summary, result.code, result_text(result))
    elif status is Status.SKIP:
        ET.SubElement(case, "skipped", message=xml_text(terminal_text(result.summary), lines=False))
    elif status is Status.WARN:
        ET.SubElement(case, "system-out").text = xml_text(result_text(result))
    return case


def run_cases(smoke: Optional[Mapping[str, Any]]) -> List[ET.Element]:
    """One `<testcase>` per smoke run, from the report's `smoke` object (none when it did not run)."""
    runs = smoke.get("runs") if smoke else None
    if not isinstance(runs, (list, tuple)):
        return []
    check = "stream.responses" if (smoke or {}).get("api") == "responses" else "stream.chat"
    cases = []
    for number, listed in enumerate(runs, 1):
        run: Mapping[str, Any] = listed if isinstance(listed, Mapping) else {}
        ttft = run.get("ttft_ms")
        case = ET.Element("testcase", classname=RUN_CLASS, name=f"{check} run {number}",
                          time=_seconds(ttft if isinstance(ttft, (int, float)) else None))
        error = run.get("error")
        if isinstance(error, Mapping):
            message, code = str(error.get("message") or ""), error.get("code")
            _outcome(case, "failure", message, str(code) if code else None,
                     "\n".join([terminal_text(message)] + ([f"code: {code}"] if code else [])))
        cases.append(case)
    return cases


def result_text(result: CheckResult) -> str:
    """A result as plain lines: the summary, `code: ...`, the details indented, then each fix
    and its command (commands verbatim: a backtick there is shell, not Markdown)."""
    lines = [terminal_text(result.summary)]
    if result.code:
        lines.append(f"code: {result.code}")
    lines += [f"  {terminal_text(detail)}" for detail in result.details]
    for fix in result.fixes:
        lines.append(f"fix: {terminal_text(fix.text)}")
        if fix.command:
            lines += [f"    {line}" for line in fix.command.splitlines()]
    return "\n".join(lines)


def _outcome(case: ET.Element, tag: str, message: str, code: Optional[str], text: str) -> None:
    attributes = {"message": xml_text(terminal_text(message), lines=False)}
    if code:
        attributes["type"] = xml_text(code, lines=False)
    ET.SubElement(case, tag, attributes).text = xml_text(text)


def _counts(cases: List[ET.Element], total_s: float) -> Dict[str, str]:
    """The suite's counts, read from the cases themselves so the two can never disagree."""
    outcomes = [next((child.tag for child in case if child.tag in _OUTCOMES), None) for case in cases]
    return {
        "tests": str(len(cases)),
        "failures": str(outcomes.count("failure")),
        "errors": str(outcomes.count("error")),
        "skipped": str(outcomes.count("skipped")),
        "time": f"{max(0.0, total_s):.3f}",
    }


def _properties(report: Report) -> List[Tuple[str, str]]:
    found = [("chat-doctor.version", report.tool_version), ("exit_code", str(int(report.exit_code)))]
    if report.target is not None:
        found += [("target.python", report.target.python), ("target.selected_by", report.target.selected_by)]
        found += [("target.version", report.target.version)] if report.target.version else []
    if report.endpoint is not None:
        found += [("endpoint.base_url", report.endpoint.base_url), ("endpoint.kind", report.endpoint.kind)]
    return found


def _seconds(ms: Optional[float]) -> str:
    return f"{(ms or 0.0) / 1000:.3f}"
