"""What `chat-doctor report` says, gathered from a finished run: the facts of a problem report.

Everything comes from the `Report` the session returned (its target, endpoint, every check's
status, code and result data, the smoke summary) plus what only the command knows (its own
command line, the Python and platform chat-doctor itself runs on); nothing is probed again. The
three formats (doctor.render.report_markdown, report_text, report_json) only lay these out.

Nothing secret is put in: the report's results were scrubbed by the runner; URLs are shown
through `display_url` (credentials and credential-looking query values as `***`); the key only
as its shape; CA settings as paths, never contents. The command scrubs the finished text once
more with the run's Redactor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from doctor.model import CheckResult, Report
from doctor.redact import display_url

SCHEMA = "chat-doctor.problem-report/1"
UNKNOWN = "not known"  # a fact the run did not get (its check was skipped or failed first)

_PROXY_NAMES = ("_proxy", "all_proxy")


@dataclass(frozen=True)
class Row:
    key: str  # the JSON name
    label: str  # for people
    value: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: Tuple[Row, ...]


@dataclass(frozen=True)
class CheckLine:
    id: str
    status: str
    code: Optional[str]
    summary: str


@dataclass(frozen=True)
class SmokeRun:
    """One API's smoke test in the report: `smoke` or `smoke_responses`, with its check's data."""

    api: str  # "chat" or "responses"
    smoke: Mapping[str, Any]  # the report's object, as the JSON has it
    data: Optional[Mapping[str, Any]]  # stream.chat's / stream.responses's result data (table, ladder, picture)


@dataclass(frozen=True)
class Runner:
    """What only the command knows: how it was run, and on what."""

    command: str  # the command line, already masked (doctor.commands.report)
    python: str  # the interpreter chat-doctor itself runs on: "CPython 3.11.7"
    platform: str  # "Linux-6.1-x86_64-with-glibc2.36"


@dataclass(frozen=True)
class ProblemReport:
    tool_version: str
    runner: Runner
    verdict: str  # "not ready: 1 failed, 12 ok"
    exit_code: int  # the exit code `check` would have given for this run
    summary: Tuple[Row, ...]  # the few lines that go first
    sections: Tuple[Section, ...]  # everything, for the details block
    checks: Tuple[CheckLine, ...]
    smoke: Optional[Mapping[str, Any]]  # the report's smoke summary (--smoke), as the JSON has it
    # The primary smoke check's result data (stream.chat's, else stream.responses's): the table and picture.
    stream_data: Optional[Mapping[str, Any]]
    smoke_responses: Optional[Mapping[str, Any]] = None  # the Responses API's run (--api responses|both)
    smoke_runs: Tuple[SmokeRun, ...] = ()  # every API's run, chat first (--api both: two)


def build(report: Report, runner: Runner) -> ProblemReport:
    results = {result.id: result for result in report.checks}
    sections = (
        _chat_doctor(report, runner),
        _target(report, results),
        _packages(results),
        _certificates(results),
        _endpoint(report, results),
        _proxies(results),
    )
    runs = _smoke_runs(report, results)
    return ProblemReport(
        tool_version=report.tool_version,
        runner=runner,
        verdict=verdict(report),
        exit_code=int(report.exit_code),
        summary=_summary(sections),
        sections=sections,
        checks=tuple(CheckLine(r.id, r.status.value, r.code, r.summary) for r in report.checks),
        smoke=report.smoke,
        stream_data=runs[0].data if runs else None,
        smoke_responses=report.smoke_responses,
        smoke_runs=runs,
    )


def _smoke_runs(report: Report, results: Mapping[str, CheckResult]) -> Tuple[SmokeRun, ...]:
    """The smoke runs of each API that ran: chat's (`smoke`), then the Responses API's."""
    runs = []
    for api, check_id, smoke in (("chat", "stream.chat", report.smoke if _api_of(report.smoke) == "chat" else None),
                                 ("responses", "stream.responses", report.smoke_responses)):
        if smoke is None:
            continue
        result = results.get(check_id)
        data = result.data if result is not None and "runs" in result.data else None
        runs.append(SmokeRun(api, smoke, data))
    return tuple(runs)


def _api_of(smoke: Optional[Mapping[str, Any]]) -> Optional[str]:
    """A smoke object's API; one from before `api` was recorded is chat's."""
    return None if smoke is None else str(smoke.get("api") or "chat")


def verdict(report: Report) -> str:
    """The verdict and the counts, as the console's last line gives them."""
    from doctor.render.console import tally

    return f"{report.verdict}: {tally(report)}"


# --- the sections ------------------------------------------------------------------------------


def _data(results: Mapping[str, CheckResult], check_id: str) -> Mapping[str, Any]:
    result = results.get(check_id)
    return result.data if result is not None else {}


def _text(value: Any) -> str:
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _chat_doctor(report: Report, runner: Runner) -> Section:
    return Section("chat_doctor", "chat-doctor", (
        Row("version", "version", report.tool_version),
        Row("command", "command", runner.command),
        Row("python", "runs on", runner.python),
        Row("platform", "platform", runner.platform),
    ))


def _target(report: Report, results: Mapping[str, CheckResult]) -> Section:
    interpreter = _data(results, "python.interpreter")
    ssl = _data(results, "python.ssl")
    target = report.target
    where = " ".join(str(part) for part in (interpreter.get("platform"), interpreter.get("machine")) if part)
    if interpreter.get("mac_ver"):
        where += f" (macOS {interpreter['mac_ver']})"
    venv = _text(interpreter.get("is_venv"))
    if interpreter.get("is_venv") and interpreter.get("venv_home"):
        venv += f" (base {interpreter['venv_home']})"
    tls = ssl.get("version_string") or (target.ssl if target else None)
    return Section("target", "target interpreter", (
        Row("python", "path", _text(target.python if target else None)),
        Row("selected_by", "selected by", _text(target.selected_by if target else None)),
        Row("version", "version", _text(interpreter.get("version") or (target.version if target else None))),
        Row("implementation", "implementation", _text(interpreter.get("implementation"))),
        Row("platform", "platform", _text(where)),
        Row("venv", "virtual env", venv),
        Row("tls_library", "TLS library", _text(tls)),
        Row("tls13", "TLS 1.3", _text(ssl.get("has_tls13"))),
    ))


def _version_at(version: Any, where: Any) -> str:
    if not version:
        return UNKNOWN
    return f"{version} ({where})" if where else str(version)


def _packages(results: Mapping[str, CheckResult]) -> Section:
    openai = _data(results, "packages.openai")
    urllib3 = _data(results, "python.urllib3")
    certifi = _data(results, "python.certs").get("certifi") or {}
    stack = openai.get("http_library")
    if stack and openai.get("http_library_version"):
        stack = f"{stack} {openai['http_library_version']}"
    if openai.get("installed") is False:
        openai_text = "not installed"
    else:
        openai_text = _version_at(openai.get("version"), openai.get("location"))
    if urllib3.get("installed") is False:
        urllib3_text = "not installed"
    else:
        urllib3_text = _text(urllib3.get("version"))
        if urllib3.get("openai_uses_urllib3") is not None:
            urllib3_text += ", used by openai" if urllib3["openai_uses_urllib3"] else ", not used by openai"
    return Section("packages", "packages", (
        Row("openai", "openai", openai_text),
        Row("http_stack", "openai's HTTP stack", _text(stack)),
        Row("urllib3", "urllib3", urllib3_text),
        Row("certifi", "certifi", "not installed" if certifi.get("installed") is False else _text(certifi.get("version"))),
    ))


def _certificates(results: Mapping[str, CheckResult]) -> Section:
    """Where the CA material is: paths and counts, never a certificate."""
    certs = _data(results, "python.certs")
    ssl = _data(results, "python.ssl")
    openai = _data(results, "packages.openai")
    certifi = certs.get("certifi") or {}
    bundle = certifi.get("where")
    if bundle and certifi.get("cert_count") is not None:
        bundle = f"{bundle} ({certifi['cert_count']} certificates)"
    rows = [
        Row("sdk_trust", "the SDK trusts", _text(openai.get("trust"))),
        Row("certifi_bundle", "certifi bundle", _text(bundle)),
        Row("default_cafile", "default CA file", _text(ssl.get("default_cafile") or certs.get("default_cafile"))),
        Row("default_capath", "default CA dir", _text(ssl.get("default_capath"))),
        Row("openssl_cafile", "OpenSSL CA file", _text(ssl.get("openssl_cafile"))),
    ]
    variables: Mapping[str, Any] = certs.get("ca_variables") or {}
    rows += [Row(name, name, _text(value)) for name, value in sorted(variables.items())]
    if not variables:
        rows.append(Row("ca_variables", "CA variables", "none set" if certs else UNKNOWN))
    return Section("certificates", "certificates", tuple(rows))


def _endpoint(report: Report, results: Mapping[str, CheckResult]) -> Section:
    endpoint = report.endpoint
    base = _data(results, "config.base_url")
    key = _data(results, "config.api_key")
    shown = display_url(endpoint.base_url) if endpoint else None
    host = base.get("host") or _host(shown)
    result = results.get("config.api_key")
    if key.get("shape"):
        where = key.get("origin") if key.get("origin") not in (None, "environment") else "environment"
        key_text = f"{key['shape']} from {key.get('source', '?')} ({where})"
    elif result is not None and result.code:
        key_text = f"none usable ({result.code})"
    else:
        key_text = UNKNOWN
    return Section("endpoint", "endpoint", (
        Row("kind", "kind", _text(endpoint.kind if endpoint else None)),
        Row("host", "host", _text(host)),
        Row("base_url", "base URL", _text(shown)),
        Row("source", "from", _text(endpoint.source if endpoint else None)),
        Row("key", "key", key_text),
    ))


def _host(url: Optional[str]) -> Optional[str]:
    try:
        return urlsplit(url or "").hostname
    except ValueError:
        return None


def _proxies(results: Mapping[str, CheckResult]) -> Section:
    proxy = _data(results, "config.proxy")
    rows: List[Row] = []
    for variable in proxy.get("variables") or ():
        name = str(variable.get("name", "?"))
        value = str(variable.get("value", ""))
        # The check shows them masked already; masking twice changes nothing, and a proxy URL
        # is masked here whatever a future check puts in its data.
        shown = display_url(value) if name.lower().endswith(_PROXY_NAMES) else value
        note = "in effect" if variable.get("in_effect") else (variable.get("note") or "not in effect")
        rows.append(Row(name, name, f"{shown} ({note})"))
    applies = proxy.get("applies")
    if isinstance(applies, Mapping) and applies.get("proxy"):
        rows.append(Row("applies", "used for the API", f"{display_url(str(applies['proxy']))} ({applies.get('variable', '?')})"))
    elif proxy:
        rows.append(Row("applies", "used for the API", "none" + (f" (exempted by {proxy['exempted_by']})" if proxy.get("exempted_by") else "")))
    if not proxy.get("variables"):
        rows.insert(0, Row("variables", "variables", "none set" if proxy else UNKNOWN))
    return Section("proxies", "proxies", tuple(rows))


# --- the summary -------------------------------------------------------------------------------


def _summary(sections: Sequence[Section]) -> Tuple[Row, ...]:
    """The first lines a maintainer reads: versions, the endpoint and the key's shape."""
    by_key: Dict[str, Dict[str, str]] = {s.key: {row.key: row.value for row in s.rows} for s in sections}
    target, packages, endpoint = by_key["target"], by_key["packages"], by_key["endpoint"]
    python = " ".join(v for v in (target["implementation"], target["version"]) if v != UNKNOWN) or UNKNOWN
    python += f" on {target['platform']}, {target['tls_library']}"
    openai = packages["openai"].split(" (", 1)[0]
    return (
        Row("chat_doctor", "chat-doctor", by_key["chat_doctor"]["version"]),
        Row("python", "python", python),
        Row("openai", "openai", f"{openai} over {packages['http_stack']}"),
        Row("urllib3", "urllib3", packages["urllib3"]),
        Row("certifi", "certifi", packages["certifi"]),
        Row("endpoint", "endpoint", f"{endpoint['kind']} at {endpoint['host']} ({endpoint['source']})"),
        Row("key", "key", endpoint["key"]),
    )
