"""config.base_url: the base URL the openai SDK will use, and the mistakes that break it (no network).

The endpoint is resolved once for the run (doctor.endpoint, read here from `ctx.plan`). A URL
that cannot work at all (empty, whitespace, no scheme, does not parse, no host, a bad port) is
reported alone; otherwise every problem is listed, the most severe first: credentials or a
query in the URL, plain http:// to another machine (the key would travel in clear: the rule of
doctor.net.keyroute), an endpoint path the SDK appends itself, a missing /v1, Azure's
api-version and doubled /openai.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from doctor.checks.findings import Finding, combine
from doctor.endpoint import EndpointConfig, azure_v1_api
from doctor.knowledge.wording import config_base_url as words
from doctor.model import CheckResult, Status
from doctor.net.keyroute import key_withheld_reason
from doctor.net.loopback import is_loopback_host
from doctor.net.proxies import InvalidURL, display_url, parse_url, port_problem
from doctor.runner import Check, Context, FactProvider

ID, TITLE = "config.base_url", "Base URL"

_VERSION_SEGMENT = re.compile(r"^v\d+[a-z0-9]*$", re.IGNORECASE)  # v1, v1beta, v2alpha1
_ENDPOINT_SUFFIXES = ("/chat/completions", "/completions", "/responses", "/embeddings", "/models")


@dataclass(frozen=True)
class BaseUrlFacts:
    endpoint: EndpointConfig  # the base URL as configured, where it came from, its kind
    allow_insecure: bool = False  # --allow-insecure: plain http:// to another machine is only a warning


def gather(ctx: Context) -> BaseUrlFacts:
    return BaseUrlFacts(ctx.plan.endpoint, allow_insecure=ctx.settings.allow_insecure)


def judge(facts: BaseUrlFacts) -> CheckResult:
    """config.base_url from the resolved endpoint (pure)."""
    endpoint, allow_insecure = facts.endpoint, facts.allow_insecure
    url = endpoint.base_url
    shown = display_url(url) if url else '""'
    data: Dict[str, Any] = {"base_url": shown, "source": endpoint.source, "kind": endpoint.kind}
    variable = "OPENAI_BASE_URL" if endpoint.source == "default" else endpoint.source

    if url == "":
        return combine(ID, [Finding("base_url_empty", *words.base_url_empty(endpoint.source, variable))], "", data=data)

    findings: List[Finding] = []
    invalid = _invalid_url(url, variable)
    if invalid is not None:
        return combine(ID, [invalid], "", data=data)
    parsed = parse_url(url)
    data.update({"scheme": parsed.scheme, "host": parsed.host, "port": parsed.port, "path": parsed.path})

    if parsed.has_userinfo:
        findings.append(Finding("base_url_invalid", *words.url_has_credentials(variable, shown)))

    if urlsplit(url).query and endpoint.kind != "azure":
        without_query = urlunsplit(urlsplit(url)._replace(query="", fragment=""))
        findings.append(Finding("base_url_invalid", *words.url_has_query(variable, shown, without_query)))

    if key_withheld_reason(scheme=parsed.scheme, host=parsed.host, base_url=url) is not None:
        findings.append(Finding(
            "base_url_insecure",
            *words.url_insecure(shown, parsed.host, variable, _with_scheme(url, "https"), allow_insecure=allow_insecure),
            status=Status.WARN if allow_insecure else None,
        ))

    path = parsed.path.rstrip("/")
    if path.endswith(_ENDPOINT_SUFFIXES):
        suffix = next(s for s in _ENDPOINT_SUFFIXES if path.endswith(s))
        trimmed = _with_path(url, path[: -len(suffix)])
        findings.append(Finding("base_url_endpoint_path", *words.url_endpoint_path(shown, suffix, path, variable, trimmed)))

    if endpoint.kind == "azure":
        findings.extend(_azure_findings(endpoint, parsed.path))
    elif not any(_VERSION_SEGMENT.match(segment) for segment in parsed.path.split("/")):
        with_v1 = _with_path(url, parsed.path.rstrip("/") + "/v1")
        findings.append(Finding("base_url_no_version", *words.url_no_version(shown, variable, with_v1)))

    details = []
    if endpoint.kind == "azure" and endpoint.api_version:
        details.append(words.api_version_detail(endpoint.api_version))
        data["api_version"] = endpoint.api_version
    summary = words.base_url_summary(shown, endpoint.source, endpoint.kind)
    return combine(ID, findings, summary, details=details, data=data)


def _invalid_url(url: str, variable: str) -> Optional[Finding]:
    """The first reason `url` cannot work as a base URL, or None."""
    shown = display_url(url)
    whitespace = [(i, ch) for i, ch in enumerate(url) if ch.isspace()]
    if whitespace:
        i, ch = whitespace[0]
        position = "ends with" if i == len(url.rstrip()) and url[i:].isspace() else "starts with" if i == 0 else "contains"
        return Finding("base_url_invalid", *words.url_whitespace(variable, shown, position, ch, i))
    if "://" not in url:
        guess = _with_scheme(url, "http" if is_loopback_host(_host_guess(url)) else "https")
        return Finding("base_url_invalid", *words.url_no_scheme(variable, shown, guess))
    try:
        parsed = parse_url(url)
    except InvalidURL as exc:
        return Finding("base_url_invalid", *words.url_unparsable(variable, shown, str(exc)))
    if parsed.scheme not in ("http", "https"):
        return Finding("base_url_invalid", *words.url_scheme(variable, shown, parsed.scheme, _with_scheme(url, "https")))
    if not parsed.host:
        return Finding("base_url_invalid", *words.url_no_host(variable, shown))
    bad_port = port_problem(parsed)
    if bad_port:
        return Finding("base_url_invalid", *words.url_bad_port(variable, shown, bad_port, _with_port(url, 8000)))
    return None


def _with_path(url: str, path: str) -> str:
    """`url` with its path replaced, query and fragment kept (urlsplit, so ?a=1 is not the path)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _with_port(url: str, port: int) -> str:
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    host = authority.rsplit(":", 1)[0]
    return f"{scheme}://{host}:{port}{slash}{path}"


def _host_guess(url: str) -> str:
    return re.split(r"[:/]", url, maxsplit=1)[0]


def _with_scheme(url: str, scheme: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else url
    return f"{scheme}://{rest}"


def _azure_findings(endpoint: EndpointConfig, path: str) -> List[Finding]:
    findings: List[Finding] = []
    if azure_v1_api(endpoint.base_url):
        return findings  # the /openai/v1 API uses the plain OpenAI() client: no api-version
    if not endpoint.api_version:
        findings.append(Finding("azure_api_version_missing", *words.azure_api_version_missing(endpoint.api_version == "")))
    if endpoint.source == "AZURE_OPENAI_ENDPOINT" and "/openai" in path:
        findings.append(Finding("base_url_invalid", *words.AZURE_ENDPOINT_HAS_OPENAI))
    return findings


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge),)
FACTS: Dict[str, FactProvider] = {}
