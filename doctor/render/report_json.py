"""`chat-doctor report --format json`: the problem report as one JSON document
(`chat-doctor.problem-report/1`), for a helpdesk form or a script.

The same facts as the other formats, keyed: one object per section (`target`, `packages`,
`certificates`, `endpoint`, `proxies`, ...), every check's status, code and summary, and with
`--smoke` the report's smoke object (its `cause` and `cause_evidence` say where a buffered stream
was held) and the picture of the stream (and, when the Responses API ran, `smoke_responses` with
its own picture: additive).
"""

from __future__ import annotations

import json
from typing import Any, Dict

from doctor.render.inert import json_inert
from doctor.render.report_facts import SCHEMA, ProblemReport
from doctor.render.report_text import PICTURE_WIDTH
from doctor.render.stream_picture import stream_picture


def report_document(report: ProblemReport, *, ascii_only: bool = False) -> Dict[str, Any]:
    document: Dict[str, Any] = {
        "schema": SCHEMA,
        "verdict": report.verdict,
        "exit_code": report.exit_code,
        "summary": {row.key: row.value for row in report.summary},
    }
    for section in report.sections:
        document[section.key] = {row.key: row.value for row in section.rows}
    document["checks"] = [
        {"id": c.id, "status": c.status, "code": c.code, "summary": c.summary} for c in report.checks
    ]
    smoke = None
    if report.smoke is not None:
        picture = stream_picture(dict(report.stream_data or {}), width=PICTURE_WIDTH, ascii_only=ascii_only)
        smoke = {**report.smoke, "picture": picture}
    document["smoke"] = smoke
    responses = next((run for run in report.smoke_runs if run.api == "responses"), None)
    if responses is not None:
        picture = stream_picture(dict(responses.data or {}), width=PICTURE_WIDTH, ascii_only=ascii_only)
        document["smoke_responses"] = {**responses.smoke, "picture": picture}
    return document


def render_report_json(report: ProblemReport, *, ascii_only: bool = False) -> str:
    # ensure_ascii under an ASCII-only output: every other character becomes its \u escape, so
    # the data stay exact (the picture then uses ASCII heights too).
    text = json.dumps(report_document(report, ascii_only=ascii_only), indent=2, ensure_ascii=ascii_only, default=str)
    return json_inert(text) + "\n"
