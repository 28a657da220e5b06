"""Property tests of the text every output passes through: `inert` (doctor.render.inert) never
lets a control or invisible character through, `shorten` (doctor.words) keeps to its limit and
cuts between words, and the JUnit document (doctor.render.junit) of any report parses and counts
what the report holds."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional

from hypothesis import example, given
from hypothesis import strategies as st

from doctor.model import CheckResult, Endpoint, Fix, Report, Status, Target
from doctor.render.inert import inert, json_inert
from doctor.render.junit import render_junit
from doctor.words import shorten
from tests.support.reports import HOSTILE

# What a terminal would act on: C0 and C1 controls, DEL, and the invisible format characters
# inert names (bidi controls, zero-width spaces, the BOM, the tag block, ...).
_RAW_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]"
)
TEXT = st.text() | st.sampled_from((HOSTILE, "\x1b]0;title\x07", "\x1b[2J", "\u202eevil", "a\rb", "\x9b31m"))


@given(TEXT)
@example("\x1b[31mred\x1b[0m\r\n\u2066x\u2069")
def test_inert_text_holds_no_control_character(text: str) -> None:
    shown = inert(text)
    assert not _RAW_CONTROL.search(shown)
    lines = inert(text, keep_newlines=True)
    assert not _RAW_CONTROL.search(lines.replace("\n", "").replace("\t", ""))  # only line feeds and tabs kept
    assert inert(shown) == shown  # nothing left to escape
    if not _RAW_CONTROL.search(text):
        assert shown == text  # ordinary text is left alone


@given(st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8))
def test_json_inert_is_valid_json_of_the_same_data_with_no_raw_control(value: Any) -> None:
    document = json_inert(json.dumps(value, ensure_ascii=False))
    assert not _RAW_CONTROL.search(document)
    assert json.loads(document) == value


@given(TEXT, st.integers(min_value=1, max_value=400))
# Found by this test: the punctuation before the blank was stripped to nothing, leaving " …".
@example(",,, abcdef", 4)
def test_shorten_keeps_to_its_limit_and_cuts_between_words(text: str, limit: int) -> None:
    flat = " ".join(text.split())
    short = shorten(text, limit)
    assert len(short) <= limit + len(" …")
    if len(flat) <= limit:
        assert short == flat
        return
    kept = short[: -len(" …")] if short.endswith(" …") else short[: -len("…")]
    assert short.endswith("…") and flat.startswith(kept)
    if " " in flat[: limit + 1]:
        # A blank exists before the limit: the cut is at a word's end, never inside it.
        assert short.endswith(" …") and kept and flat[len(kept.rstrip(",;:"))] in " ,;:"


STATUSES = st.sampled_from(list(Status))
CHECK_IDS = st.sampled_from(("python.interpreter", "config.api_key", "net.tls", "api.models", "stream.chat", "x"))
FIXES = st.builds(Fix, TEXT, st.none() | TEXT)
RESULTS = st.builds(
    CheckResult, id=CHECK_IDS, status=STATUSES, summary=TEXT, code=st.none() | TEXT,
    details=st.lists(TEXT, max_size=3).map(tuple), fixes=st.lists(FIXES, max_size=2).map(tuple),
    duration_ms=st.floats(min_value=0, max_value=1e7),
)
RUNS = st.lists(
    st.fixed_dictionaries({"ttft_ms": st.none() | st.floats(min_value=0, max_value=1e6)},
                          optional={"error": st.none() | st.fixed_dictionaries({"message": TEXT, "code": st.none() | TEXT})}),
    max_size=4,
)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    runs = draw(st.none() | RUNS)
    return Report(
        tool_version=draw(TEXT), strict=draw(st.booleans()),
        target=draw(st.none() | st.builds(Target, TEXT, TEXT, st.none() | TEXT)),
        endpoint=draw(st.none() | st.builds(Endpoint, TEXT, TEXT, TEXT)),
        checks=tuple(draw(st.lists(RESULTS, max_size=6))),
        smoke=None if runs is None else {"runs": runs},
    )


def expected_counts(report: Report) -> Dict[str, int]:
    runs: List[Dict[str, Any]] = list(report.smoke["runs"]) if report.smoke else []
    failed_runs = sum(1 for run in runs if isinstance(run.get("error"), dict))
    statuses = [r.status for r in report.checks]
    return {
        "tests": len(statuses) + len(runs),
        "failures": statuses.count(Status.FAIL) + (statuses.count(Status.WARN) if report.strict else 0) + failed_runs,
        "errors": statuses.count(Status.ERROR),
        "skipped": statuses.count(Status.SKIP),
    }


@given(reports(), st.none() | st.floats(min_value=0, max_value=1e6))
def test_the_junit_document_of_any_report_parses_and_holds_its_counts(report: Report, elapsed: Optional[float]) -> None:
    document = render_junit(report, elapsed_s=elapsed)
    root = ET.fromstring(document.encode("utf-8"))  # written as UTF-8: no lone surrogate may be left
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    counts = expected_counts(report)
    for element in (root, suite):
        assert {name: int(element.get(name, "-1")) for name in counts} == counts
    assert len(cases) == counts["tests"]
    assert [case.get("name") for case in cases[: len(report.checks)]] == [r.id for r in report.checks]
    outcomes = [next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), None) for case in cases]
    assert outcomes.count("failure") == counts["failures"]
