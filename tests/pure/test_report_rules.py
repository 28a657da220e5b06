"""`chat-doctor report` from a hand-built Report (tests/support/problem_reports.py): what each
format holds, how Markdown keeps a server's text inert, and that nothing the run did not say is
invented."""

from __future__ import annotations

import json
import re
from typing import Any

from doctor.model import Status
from doctor.render.report_facts import SCHEMA, UNKNOWN, ProblemReport, Runner, build
from doctor.render.report_json import render_report_json
from doctor.render.report_markdown import fence, render_markdown
from doctor.render.report_text import render_text
from doctor.render.stream_picture import BLOCKS
from tests.support.problem_reports import KEY_SHAPE, make_report

RUNNER = Runner(command="chat-doctor report --smoke", python="CPython 3.12.1", platform="Linux-6.1-x86_64")


def _facts(**changes: Any) -> ProblemReport:
    return build(make_report(**changes), RUNNER)


def _outside_fences(markdown: str) -> str:
    """The lines of `markdown` that are not inside a fenced code block (what GitHub interprets)."""
    outside, closing = [], None
    for line in markdown.splitlines():
        opener = re.match(r"^(`{3,})", line)
        if closing is None and opener:
            closing = opener.group(1)
        elif closing is not None and line == closing:
            closing = None
        elif closing is None:
            outside.append(line)
    return "\n".join(outside)


def test_the_facts_come_from_the_checks_data() -> None:
    facts = _facts()
    summary = {row.key: row.value for row in facts.summary}
    assert summary["python"] == "CPython 3.11.7 on linux x86_64, OpenSSL 3.0.19 27 Jan 2026"
    assert summary["openai"] == "3.57.0 over httpx2 2.16.2"
    assert summary["urllib3"] == "2.8.0, not used by openai"
    assert summary["certifi"] == "2026.10.19"
    assert summary["endpoint"] == "compatible at 127.0.0.1 (OPENAI_BASE_URL)"
    assert summary["key"] == f"{KEY_SHAPE} from OPENAI_API_KEY (environment)"
    assert facts.verdict == "ready: 10 ok, 1 skipped" and facts.exit_code == 0
    sections = {s.key: {row.key: row.value for row in s.rows} for s in facts.sections}
    assert sections["certificates"]["SSL_CERT_FILE"] == "/etc/ssl/corp.pem"
    assert sections["certificates"]["certifi_bundle"] == "/venv/certifi/cacert.pem (117 certificates)"
    assert sections["proxies"]["HTTPS_PROXY"] == "http://***@proxy.corp:3128 (in effect)"
    assert sections["target"]["venv"] == "yes (base /opt/py/bin)"


def test_a_fact_the_run_did_not_get_is_said_to_be_unknown() -> None:
    report = make_report(smoke=False)
    report = type(report)(tool_version="0.1.0", target=None, endpoint=None, checks=(), smoke=None)
    facts = build(report, RUNNER)
    summary = {row.key: row.value for row in facts.summary}
    assert summary["openai"] == f"{UNKNOWN} over {UNKNOWN}"
    assert facts.verdict == "ready: nothing checked" and facts.smoke is None and facts.stream_data is None


def test_a_proxy_url_is_masked_even_if_a_check_left_it_whole() -> None:
    facts = _facts(proxy_value="http://alice:hunter2hunter2@proxy.corp:3128")
    text = render_text(facts)
    assert "hunter2" not in text and "http://***@proxy.corp:3128" in text


def test_markdown_is_a_fenced_summary_then_a_collapsible_details_block() -> None:
    text = render_markdown(_facts(auth_status=Status.FAIL, auth_code="invalid_api_key", auth_summary="HTTP 401"))
    assert text.startswith("### chat-doctor report: not ready: 1 failed, 9 ok, 1 skipped (check exits 1)\n")
    head, details = text.split("<details>", 1)
    assert head.count("```text") == 1 and "fail  api.auth" in head and "invalid_api_key" in head
    assert "ok    python.ssl" not in head  # the summary lists the problems; details list everything
    assert details.lstrip().startswith("<summary>") and details.rstrip().endswith("</details>")
    assert "[certificates]" in details and "ok    python.ssl" in details
    assert "command               chat-doctor report --smoke" in details
    assert "[smoke]" in details and "token arrivals" in details and BLOCKS[-1] in details


def test_a_servers_text_cannot_break_out_of_the_markdown() -> None:
    hostile = "```\n</details>\n# pwned `x` \x1b]0;title\x07"
    text = render_markdown(_facts(auth_status=Status.FAIL, auth_code="invalid_api_key", auth_summary=hostile))
    fences = re.findall(r"^(`{3,})", text, flags=re.M)
    assert fences and all(len(f) >= 4 for f in fences)  # longer than the ``` inside
    assert "\x1b" not in text and "\\x1b]0;title\\x07" in text  # controls shown, not interpreted
    outside = _outside_fences(text)
    assert outside.count("</details>") == 1 and "pwned" not in outside
    assert fence(["a ```` b"])[0] == "`````text"


def test_text_format_is_the_same_content_without_markdown() -> None:
    text = render_text(_facts())
    assert text.startswith("chat-doctor report: ready: 10 ok, 1 skipped (check exits 0)\n")
    assert "```" not in text and "<details>" not in text
    assert "[endpoint]" in text and f"key                   {KEY_SHAPE} from OPENAI_API_KEY" in text


def test_ascii_only_output_gets_an_ascii_picture() -> None:
    text = render_text(_facts(), ascii_only=True)
    picture = [line for line in text.splitlines() if line.startswith("  |")]
    assert picture and picture[0].isascii() and "#" in picture[0]


def test_json_format_keys_every_section() -> None:
    document = json.loads(render_report_json(_facts()))
    assert document["schema"] == SCHEMA and document["exit_code"] == 0
    assert document["packages"]["openai"] == "3.57.0 (/venv/site-packages)"
    assert document["endpoint"]["key"].startswith(KEY_SHAPE)
    assert document["chat_doctor"]["command"] == "chat-doctor report --smoke"
    assert [c["id"] for c in document["checks"]][-1] == "stream.chat"
    assert document["checks"][8] == {"id": "net.tls", "status": "skip", "code": "tls_not_used",
                                     "summary": "plain http: no TLS to check"}
    assert document["smoke"]["sdk"] == "openai 3.57.0" and document["smoke"]["picture"][0].startswith("token")
    assert json.loads(render_report_json(build(make_report(smoke=False), RUNNER)))["smoke"] is None


def test_json_under_ascii_only_escapes_and_stays_exact() -> None:
    text = render_report_json(_facts(), ascii_only=True)
    assert text.isascii()
    assert json.loads(text)["summary"]["key"].startswith("sk-proj-…")


def test_the_ladder_line_names_each_rung_by_its_json_key_and_a_missing_one_is_a_dash() -> None:
    from doctor.render.report_text import ladder_lines

    data = {"runs": [{"headers_ms": None}, {"headers_ms": 10.0, "first_byte_ms": 10.25, "first_chunk_ms": 11.0,
                                              "first_token_any_ms": 250.0, "ttft_ms": 251.04, "total_ms": None}]}
    assert ladder_lines(data) == [
        "TTFT ladder, run 2 (from the request being sent):",
        ("  headers_ms 10.0, first_byte_ms 10.2, first_chunk_ms 11.0, first_token_any_ms 250.0, ttft_ms 251.0, "
         "total_ms -"),
    ]
    assert ladder_lines({"runs": [{"headers_ms": None}]}) == [] and ladder_lines({}) == []


def test_cause_lines_read_the_evidence_as_the_json_has_it() -> None:
    from doctor.render.report_text import cause_lines

    evidence = {"proxy": "http://127.0.0.1:3128", "proxy_required": True, "direct_not_tried": None,
                "retries": [{"route": "same", "buffering": "buffered", "reason": "one burst"},
                            {"route": "direct", "buffering": "n/a", "reason": "refused"}, "junk"]}
    assert cause_lines("upstream", evidence) == [
        "cause: upstream (the server, or something past the proxy, holds the stream)",
        "asked again along the same route with Accept-Encoding: identity: buffered: one burst",
        "asked again directly (not through the proxy http://127.0.0.1:3128) with Accept-Encoding: identity: n/a: refused",
        ("the direct connection could not be made: the proxy http://127.0.0.1:3128 is required, so whether it holds "
         "the stream could not be told apart from the server"),
    ]
    assert cause_lines(None, None) == [] and cause_lines("compression", "not an object") == [
        "cause: compression (the stream is held while it is gzipped)"]
