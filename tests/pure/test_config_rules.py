"""config.api_key, config.base_url and config.proxy as pure rules: .env parsing, key hygiene,
base URL mistakes and the proxy emulation of doctor.net.proxies, judged from hand-made inputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from doctor.checks.config_api_key import ApiKeyFacts
from doctor.checks.config_api_key import judge as judge_api_key
from doctor.checks.config_base_url import BaseUrlFacts
from doctor.checks.config_base_url import judge as judge_base_url
from doctor.checks.config_proxy import ProxyFacts
from doctor.checks.config_proxy import gather as gather_proxy
from doctor.checks.config_proxy import judge as judge_proxy
from doctor.checks.key_shape import inspect_key, key_prefix_kind
from doctor.credentials import find_credential, parse_dotenv
from doctor.endpoint import EndpointConfig, endpoint_kind
from doctor.model import Status
from doctor.probe.facts import InterpreterFacts, ProbeFailed
from doctor.net.proxies import (
    STACK_HTTPX,
    STACK_HTTPX2,
    ProxyConfigError,
    display_url,
    proxy_for,
    read_proxy_environment,
    resolve_proxy,
    stack_for,
)
from doctor.redact import key_shape
from doctor.runner import Context
from doctor.settings import Settings
from tests.support.facts import make_facts
from tests.support.helpers import CANARY_KEY, plan_for

OPENAI = "https://api.openai.com/v1"
LOCAL = "http://127.0.0.1:8000/v1"
KEY = CANARY_KEY  # shaped like a real project key
SHAPE = key_shape(KEY)  # "sk-proj-…wxyz (N chars)"


def endpoint(url: str = OPENAI, source: str = "OPENAI_BASE_URL", kind: Optional[str] = None,
             api_version: Optional[str] = None) -> EndpointConfig:
    return EndpointConfig(base_url=url, source=source, kind=kind or endpoint_kind(url, source=source),
                          api_version=api_version)


def codes(findings) -> List[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in findings]


# =============================================================================================
# .env parsing and where the key comes from
# =============================================================================================


def test_dotenv_parser_reads_what_people_write() -> None:
    text = (
        "\ufeff# comment\n"
        "export OPENAI_API_KEY=sk-one\n"
        "PLAIN = value with spaces   # inline comment\n"
        "SINGLE='lit\\eral # not a comment'\n"
        'DOUBLE="a\\nb \\"q\\""\n'
        'MULTI="line1\n'
        'line2"\n'
        "URL=http://x/#frag\n"
        "EMPTY=\n"
        "not a line\n"
        "   # indented comment\r\n"
        "LATER=1\nLATER=2\n"
        "UNTERMINATED='abc\n"
    )
    values = parse_dotenv(text)
    assert values["OPENAI_API_KEY"] == "sk-one"
    assert values["PLAIN"] == "value with spaces"
    assert values["SINGLE"] == "lit\\eral # not a comment"
    assert values["DOUBLE"] == 'a\nb "q"'
    assert values["MULTI"] == "line1\nline2"
    assert values["URL"] == "http://x/#frag"  # '#' without a blank before it is not a comment
    assert values["EMPTY"] == ""
    assert values["LATER"] == "2"
    assert values["UNTERMINATED"] == "'abc"
    assert "not" not in values


def test_find_credential_follows_the_sdk(tmp_path: Path) -> None:
    lookup = find_credential({"OPENAI_API_KEY": KEY}, "openai")
    assert lookup.client == "OpenAI" and lookup.credential is not None and lookup.credential.name == "OPENAI_API_KEY"
    assert KEY not in repr(lookup)  # the dataclass repr hides the value

    empty = find_credential({"OPENAI_API_KEY": ""}, "compatible")
    assert empty.credential is None and empty.empty == ("OPENAI_API_KEY",)

    # AzureOpenAI: the AD token wins (even empty), OPENAI_API_KEY is never read.
    both = find_credential({"AZURE_OPENAI_AD_TOKEN": "tok", "AZURE_OPENAI_API_KEY": "k" * 32}, "azure")
    assert both.client == "AzureOpenAI" and both.credential.name == "AZURE_OPENAI_AD_TOKEN"
    assert both.shadowed == ("AZURE_OPENAI_API_KEY",)
    empty_token = find_credential({"AZURE_OPENAI_AD_TOKEN": "", "AZURE_OPENAI_API_KEY": "k" * 32}, "azure")
    assert empty_token.credential is None and "AZURE_OPENAI_AD_TOKEN" in empty_token.empty
    wrong_var = find_credential({"OPENAI_API_KEY": KEY}, "azure", base_url="https://r.openai.azure.com/")
    assert wrong_var.credential is None and wrong_var.others == ("OPENAI_API_KEY",)
    # Azure's /openai/v1 URL is used with the plain OpenAI() client, which reads OPENAI_API_KEY.
    v1 = find_credential({"OPENAI_API_KEY": KEY}, "azure", base_url="https://r.openai.azure.com/openai/v1/")
    assert v1.client == "OpenAI" and v1.credential is not None

    (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{KEY}"\n')
    dotenv = find_credential({}, "openai", cwd=tmp_path)
    assert dotenv.credential is None and dotenv.dotenv is not None and dotenv.dotenv.value == KEY
    assert dotenv.dotenv.origin == str(tmp_path / ".env")


# =============================================================================================
# config.api_key: pure rules
# =============================================================================================


@pytest.mark.parametrize(
    ("key", "expected_codes", "words"),
    [
        (KEY + "\n", ["api_key_whitespace"], ["ends with a newline (LF)", "APIConnectionError"]),
        (KEY + "\r\n", ["api_key_whitespace"], ["Windows line ending (CR LF)", "APIConnectionError"]),
        (KEY + "  ", ["api_key_whitespace"], ["ends with 2 spaces", "APIConnectionError"]),
        (" " + KEY, ["api_key_whitespace"], ["starts with a space", "401"]),
        (KEY[:20] + "\n" + KEY[20:], ["api_key_whitespace"], ["a newline (LF) at position 21", "APIConnectionError"]),
        ('"' + KEY + '"', ["api_key_quoted"], ['starts with " and ends with "', "401"]),
        ("'" + KEY + "'", ["api_key_quoted"], ["starts with '"]),
        ("“" + KEY + "”", ["api_key_non_ascii"],
         ["LEFT DOUBLE QUOTATION MARK (U+201C) at position 1", f"RIGHT DOUBLE QUOTATION MARK (U+201D) at position {len(KEY) + 2}",
          "UnicodeEncodeError"]),
        (KEY + "\u00a0", ["api_key_non_ascii"], [f"NO-BREAK SPACE (U+00A0) at position {len(KEY) + 1}"]),
        ("Bearer " + KEY, ["api_key_bearer_prefix"], ["Bearer Bearer"]),
        ("bearer\t" + KEY + "\n", ["api_key_whitespace", "api_key_bearer_prefix"], ["ends with a newline"]),
        ('"' + KEY + '"\n', ["api_key_whitespace", "api_key_quoted"], []),
        ("sk-short", ["api_key_unusual_format"], ["only 8 characters"]),
        ("0123456789abcdef0123456789abcdef", ["api_key_unusual_format"], ["Azure OpenAI key"]),
        ("sk-admin-" + "a" * 60, ["api_key_unusual_format"], ["Admin API key"]),
        (KEY, [], []),
    ],
)
def test_key_hygiene_names_the_problem_without_the_key(key: str, expected_codes: List[str], words: List[str]) -> None:
    findings = inspect_key(key)
    assert codes(findings) == expected_codes
    text = " ".join(f.summary + " " + " ".join(f.details) for f in findings)
    for word in words:
        assert word in text
    for finding in findings:
        rendered = finding.summary + "".join(finding.details) + "".join(f"{x.text}{x.command}" for x in finding.fixes)
        assert KEY not in rendered and KEY[8:24] not in rendered


def test_key_shape_is_judged_only_for_openai() -> None:
    # Compatible servers and Azure accept anything: no shape warning there.
    assert inspect_key("ollama", kind="compatible") == []
    assert inspect_key("0123456789abcdef0123456789abcdef", name="AZURE_OPENAI_API_KEY", header="api-key", kind="azure") == []
    # Hygiene still matters everywhere; Azure's bare api-key header rejects a leading space too.
    azure = inspect_key(" abc", name="AZURE_OPENAI_API_KEY", header="api-key", kind="azure")
    assert codes(azure) == ["api_key_whitespace"] and "APIConnectionError" in azure[0].details[0]


def test_key_prefix_kinds() -> None:
    assert key_prefix_kind(KEY) == "project key"
    assert key_prefix_kind("sk-svcacct-x") == "service-account key"
    assert key_prefix_kind("sk-" + "a" * 48) == "legacy user key"
    assert key_prefix_kind("whatever") == "unknown"


def test_judge_api_key_ok_reports_shape_and_source_only() -> None:
    result = judge_api_key(ApiKeyFacts(find_credential({"OPENAI_API_KEY": KEY}, "openai"), endpoint(OPENAI, "default")))
    assert result.status is Status.OK
    assert "OPENAI_API_KEY" in result.summary and SHAPE in result.summary
    assert result.data["source"] == "OPENAI_API_KEY" and result.data["length"] == len(KEY)
    assert result.data["prefix"] == "project key" and result.data["shape"] == SHAPE
    assert KEY not in json.dumps(result.to_dict())


def test_missing_key_for_a_local_server_explains_placeholders() -> None:
    result = judge_api_key(ApiKeyFacts(find_credential({}, "compatible"), endpoint(LOCAL)))
    assert result.status is Status.FAIL and result.code == "api_key_missing"
    text = " ".join(result.details)
    assert "Missing credentials" in text and "any non-empty value" in text and "this one is local" in text
    assert any(f.command == "export OPENAI_API_KEY=placeholder" for f in result.fixes)


def test_missing_key_mentions_admin_key_and_azure_specifics() -> None:
    admin = judge_api_key(ApiKeyFacts(find_credential({"OPENAI_ADMIN_KEY": "sk-admin-x"}, "openai"), endpoint(OPENAI, "default")))
    assert admin.code == "api_key_missing" and "Could not resolve authentication method" in " ".join(admin.details)

    azure_url = "https://res.openai.azure.com/"
    azure = judge_api_key(ApiKeyFacts(find_credential({"OPENAI_API_KEY": KEY}, "azure", base_url=azure_url),
                                      endpoint(azure_url, "AZURE_OPENAI_ENDPOINT")))
    assert azure.code == "api_key_missing" and "AzureOpenAI never reads it" in " ".join(azure.details)
    assert azure.fixes[0].command == 'export AZURE_OPENAI_API_KEY="$OPENAI_API_KEY"'

    empty_token = judge_api_key(ApiKeyFacts(
        find_credential({"AZURE_OPENAI_AD_TOKEN": "", "AZURE_OPENAI_API_KEY": "k" * 32}, "azure", base_url=azure_url),
        endpoint(azure_url, "AZURE_OPENAI_ENDPOINT"),
    ))
    assert empty_token.code == "api_key_missing" and empty_token.fixes[0].command == "unset AZURE_OPENAI_AD_TOKEN"


# =============================================================================================
# config.base_url: pure rules
# =============================================================================================


@pytest.mark.parametrize(
    ("url", "code", "status", "words"),
    [
        ("", "base_url_empty", Status.FAIL, ["UnsupportedProtocol"]),
        ("localhost:8000/v1", "base_url_invalid", Status.FAIL, ["no scheme", "export OPENAI_BASE_URL=http://localhost:8000/v1"]),
        ("api.example.com/v1", "base_url_invalid", Status.FAIL, ["https://api.example.com/v1"]),
        ("ftp://example.com/v1", "base_url_invalid", Status.FAIL, ["scheme 'ftp'"]),
        ("https:///v1", "base_url_invalid", Status.FAIL, ["no host"]),
        ("https://example.com:port/v1", "base_url_invalid", Status.FAIL, ["does not parse"]),
        ("https://example.com/v1\n", "base_url_invalid", Status.FAIL, ["ends with a newline"]),
        (" https://example.com/v1", "base_url_invalid", Status.FAIL, ["starts with a space"]),
        ("https://user:hunter2@example.com/v1", "base_url_invalid", Status.FAIL, ["credentials", "Basic"]),
        ("http://api.example.com/v1", "base_url_insecure", Status.FAIL, ["clear text", "--allow-insecure"]),
        ("http://192.168.1.20:8000/v1", "base_url_insecure", Status.FAIL, ["192.168.1.20"]),
        # Names that merely look local are DNS names anyone can point anywhere.
        ("http://127.0.0.1.attacker.invalid/v1", "base_url_insecure", Status.FAIL, ["127.0.0.1.attacker.invalid"]),
        ("http://foo.localhost/v1", "base_url_insecure", Status.FAIL, ["foo.localhost"]),
        ("http://localhost:11434", "base_url_no_version", Status.WARN, ["export OPENAI_BASE_URL=http://localhost:11434/v1"]),
        ("https://api.openai.com", "base_url_no_version", Status.WARN, ["404"]),
        ("http://127.0.0.1:8000/v1/chat/completions", "base_url_endpoint_path", Status.FAIL,
         ["export OPENAI_BASE_URL=http://127.0.0.1:8000/v1"]),
    ],
)
def test_base_url_mistakes(url: str, code: str, status: Status, words: List[str]) -> None:
    result = judge_base_url(BaseUrlFacts(endpoint(url)))
    assert (result.code, result.status) == (code, status)
    text = result.summary + " ".join(result.details) + " ".join(f"{f.text} {f.command}" for f in result.fixes)
    for word in words:
        assert word in text
    assert "hunter2" not in text + json.dumps(result.data)


@pytest.mark.parametrize(
    "url",
    [OPENAI, LOCAL, "http://[::1]:8080/v1", "http://[::ffff:127.0.0.1]:8080/v1", "http://127.8.9.10/v1", "https://generativelanguage.googleapis.com/v1beta/openai/",
     "https://api.groq.com/openai/v1", "http://127.0.0.1:8000/v1/"],
)
def test_base_url_ok(url: str) -> None:
    result = judge_base_url(BaseUrlFacts(endpoint(url)))
    assert result.status is Status.OK, result
    assert url.rstrip("/") in result.summary


def test_insecure_is_a_warning_with_the_override() -> None:
    result = judge_base_url(BaseUrlFacts(endpoint("http://gpu-box.lan:8000/v1"), allow_insecure=True))
    assert (result.code, result.status) == ("base_url_insecure", Status.WARN)
    assert "allowed by --allow-insecure" in result.summary


def test_azure_needs_an_api_version_unless_it_uses_the_v1_url() -> None:
    azure = endpoint("https://res.openai.azure.com/", "AZURE_OPENAI_ENDPOINT")
    assert azure.kind == "azure"
    result = judge_base_url(BaseUrlFacts(azure))
    assert (result.code, result.status) == ("azure_api_version_missing", Status.FAIL)
    assert "OPENAI_API_VERSION" in result.fixes[0].command
    # No /v1 warning for Azure: its paths are different.
    assert judge_base_url(BaseUrlFacts(endpoint("https://res.openai.azure.com/", "AZURE_OPENAI_ENDPOINT", api_version="2024-10-21"))).status is Status.OK
    assert judge_base_url(BaseUrlFacts(endpoint("https://res.openai.azure.com/openai/v1/"))).status is Status.OK
    doubled = judge_base_url(BaseUrlFacts(endpoint("https://res.openai.azure.com/openai", "AZURE_OPENAI_ENDPOINT", api_version="2024-10-21")))
    assert doubled.code == "base_url_invalid" and "/openai/openai/" in " ".join(doubled.details)


def test_several_base_url_problems_list_all_with_the_worst_first() -> None:
    result = judge_base_url(BaseUrlFacts(endpoint("http://example.com")))  # insecure (fail) and no version (warn)
    assert result.code == "base_url_insecure" and result.data["findings"] == ["base_url_insecure", "base_url_no_version"]
    assert any("[base_url_no_version]" in d for d in result.details)


# =============================================================================================
# Proxies: the environment as urllib reads it, the decision as httpx2/httpx make it
# =============================================================================================


def test_lowercase_proxy_variables_win_and_empty_lowercase_unsets() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}
    assert read_proxy_environment(env).values["https"] == "http://lower:2"
    unset = read_proxy_environment({"HTTPS_PROXY": "http://upper:1", "https_proxy": ""})
    assert "https" not in unset.values
    assert [v.note for v in unset.variables if v.name == "https_proxy"] == [
        "empty: a lower-case https_proxy= removes every HTTPS_PROXY"
    ]
    cgi = read_proxy_environment({"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"})
    assert "http" not in cgi.values and "CGI" in cgi.variables[0].note
    ftp = read_proxy_environment({"FTP_PROXY": "http://p:1"})
    assert not ftp.configured and ftp.variables == ()


def test_proxy_for_is_reusable_and_keeps_credentials_out_of_sight() -> None:
    env = {"HTTPS_PROXY": "user:p@ss@proxy.corp:3128", "NO_PROXY": "localhost,127.0.0.1"}
    proxy = proxy_for(OPENAI, env)
    assert proxy is not None and proxy.url == "http://user:p@ss@proxy.corp:3128"  # httpx adds http://
    assert (proxy.scheme, proxy.host, proxy.port, proxy.variable) == ("http", "proxy.corp", 3128, "HTTPS_PROXY")
    assert proxy.auth == ("user", "p@ss") and proxy.effective_port == 3128
    assert proxy.shown == "http://***@proxy.corp:3128" and "p@ss" not in repr(proxy)
    assert proxy_for(LOCAL, env) is None
    with pytest.raises(ProxyConfigError) as raised:
        proxy_for(OPENAI, {"HTTP_PROXY": "socks4://user:secret@p:1080"})
    assert "secret" not in str(raised.value) and "socks4" in str(raised.value)


def test_display_url_hides_passwords_containing_at_signs() -> None:
    assert display_url("http://u:p@ss@h:1/x") == "http://***@h:1/x"
    assert display_url("u:pw@h:1") == "***@h:1"
    assert display_url("http://h:1\n") == "http://h:1\\n"


def test_stack_follows_the_openai_major() -> None:
    assert stack_for({"openai": "3.57.0"})[0] == STACK_HTTPX2
    assert stack_for({"OpenAI": "1.109.1"})[0] == STACK_HTTPX
    assert stack_for({"openai": "2.54.0"})[0] == STACK_HTTPX
    assert stack_for(None)[0] == STACK_HTTPX2 and "assumed" in stack_for(None)[1]


def test_httpx_and_httpx2_differ_where_their_sources_differ() -> None:
    star = {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*.openai.com"}
    assert resolve_proxy(OPENAI, star, stack=STACK_HTTPX2).exempted_by == "*.openai.com"
    assert resolve_proxy(OPENAI, star, stack=STACK_HTTPX).proxy is not None
    cidr = {"HTTP_PROXY": "http://q:3128", "NO_PROXY": "10.0.0.0/8"}
    assert resolve_proxy("http://10.1.2.3/v1", cidr, stack=STACK_HTTPX2).proxy is None
    assert resolve_proxy("http://10.1.2.3/v1", cidr, stack=STACK_HTTPX).proxy is not None
    bracket = {"HTTP_PROXY": "http://q:3128", "NO_PROXY": "[::1]"}
    assert not resolve_proxy(LOCAL, bracket, stack=STACK_HTTPX2).breaks_client
    assert resolve_proxy(LOCAL, bracket, stack=STACK_HTTPX).breaks_client


# =============================================================================================
# config.proxy: pure rules
# =============================================================================================


def _judge(env: Dict[str, str], url: str = OPENAI, installed: Optional[Dict[str, str]] = None, stack: str = STACK_HTTPX2):  # type: ignore[no-untyped-def]
    return judge_proxy(ProxyFacts(resolve_proxy(url, env, stack=stack), endpoint(url), platform="linux", installed=installed))


def test_no_proxy_configured_is_ok() -> None:
    result = _judge({})
    assert result.status is Status.OK and result.summary == "no proxy configured"
    mac = judge_proxy(ProxyFacts(resolve_proxy(OPENAI, {}), endpoint(OPENAI), platform="darwin"))
    assert "macOS network settings" in " ".join(mac.details)


def test_proxy_gather_asks_the_probe_only_when_a_proxy_is_set() -> None:
    asked: List[str] = []

    def darwin_target(ctx: Context) -> InterpreterFacts:
        asked.append("interpreter")
        return make_facts(platform="darwin", dists=[("openai", "1.109.1", [])])

    def context(env: Dict[str, str]) -> Context:
        return Context(plan_for(Settings(env=env, cwd=None)), {"interpreter": darwin_target})

    unset = gather_proxy(context({}))
    assert asked == [] and unset.installed is None and unset.platform == sys.platform
    assert unset.decision.stack == STACK_HTTPX2  # assumed without the target's openai

    ctx = context({"HTTPS_PROXY": "http://p:3128"})
    facts = gather_proxy(ctx)
    assert asked == ["interpreter"]
    assert facts.installed == {"openai": "1.109.1"} and facts.decision.stack == STACK_HTTPX
    assert facts.platform == "darwin"  # the target's, as its probe reports it
    assert facts.python == ctx.plan.target.python and facts.endpoint == ctx.plan.endpoint


def test_proxy_gather_turns_a_failed_probe_into_a_note() -> None:
    def broken(ctx: Context) -> InterpreterFacts:
        raise ProbeFailed("it broke")

    facts = gather_proxy(Context(plan_for(Settings(env={"HTTPS_PROXY": "http://p:3128"}, cwd=None)), {"interpreter": broken}))
    assert facts.installed is None and facts.packages_note == "the interpreter probe failed: it broke"
    assert facts.platform == sys.platform
    assert judge_proxy(facts).status is Status.OK


def test_applying_proxy_is_reported_without_credentials() -> None:
    result = _judge({"HTTPS_PROXY": "http://alice:s3cret@proxy.corp:3128", "HTTP_PROXY": "http://other:1"})
    assert result.status is Status.OK
    assert result.summary == "http://***@proxy.corp:3128 (HTTPS_PROXY) applies to api.openai.com"
    assert result.data["applies"] == {"variable": "HTTPS_PROXY", "proxy": "http://***@proxy.corp:3128",
                                      "mount": "https://", "has_credentials": True}
    assert "s3cret" not in json.dumps(result.to_dict())


def test_http_proxy_alone_does_not_cover_https() -> None:
    result = _judge({"HTTP_PROXY": "http://p:3128"})
    assert result.status is Status.OK and "no proxy variable covers https://" in result.summary
    assert any("HTTP_PROXY applies only to http:// URLs" in d for d in result.details)


def test_no_proxy_exemption_is_explained() -> None:
    result = _judge({"HTTPS_PROXY": "http://p:3128", "no_proxy": "localhost,.openai.com"})
    assert result.status is Status.OK
    assert result.summary == "direct to api.openai.com: no_proxy entry '.openai.com' exempts it"
    assert result.data["exempted_by"] == ".openai.com"


@pytest.mark.parametrize(
    ("env", "stack", "status", "words"),
    [
        ({"HTTPS_PROXY": "ftp://p:21"}, STACK_HTTPX2, Status.FAIL, ["unsupported proxy scheme 'ftp'", "httpx2.Client()"]),
        ({"HTTP_PROXY": "socks4://p:1080"}, STACK_HTTPX2, Status.FAIL, ["socks5://", "every endpoint"]),
        ({"HTTPS_PROXY": "http://p:notaport"}, STACK_HTTPX2, Status.FAIL, ["invalid port"]),
        ({"HTTPS_PROXY": "http://"}, STACK_HTTPX2, Status.FAIL, ["has no host", "fail to connect"]),
        ({"HTTP_PROXY": "http://", "HTTPS_PROXY": "http://p:1"}, STACK_HTTPX2, Status.WARN, ["does not apply to api.openai.com"]),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "[::1]"}, STACK_HTTPX, Status.FAIL, ["httpx.Client()", "InvalidURL"]),
    ],
)
def test_invalid_proxies(env: Dict[str, str], stack: str, status: Status, words: List[str]) -> None:
    result = _judge(env, stack=stack)
    assert (result.code, result.status) == ("proxy_invalid", status)
    text = result.summary + " ".join(result.details)
    for word in words:
        assert word in text


def test_socks_needs_socksio_in_the_target() -> None:
    env = {"ALL_PROXY": "socks5h://u:pw@socks.corp:1080", "NO_PROXY": "api.openai.com"}
    missing = _judge(env, installed={"openai": "3.57.0", "httpx2": "2.16.2"})
    assert (missing.code, missing.status) == ("proxy_socks_unsupported", Status.FAIL)
    text = " ".join(missing.details)
    assert "It does not even apply to api.openai.com" in text and "httpx2[socks]" in text
    assert missing.fixes[0].command.endswith("-m pip install socksio")
    assert "pw" not in missing.summary
    present = _judge(env, installed={"openai": "3.57.0", "socksio": "1.0.0"})
    assert present.status is Status.OK
    unknown = _judge(env, installed=None)
    assert unknown.status is Status.OK and "could not check" in " ".join(unknown.details)


def test_proxy_in_front_of_a_local_server_warns() -> None:
    result = _judge({"HTTP_PROXY": "http://proxy.corp:3128"}, url=LOCAL)
    assert (result.code, result.status) == ("proxy_for_loopback", Status.WARN)
    assert "localhost,127.0.0.1,::1" in result.fixes[0].command
    # A debugging proxy on this machine (mitmproxy) is fine.
    assert _judge({"HTTP_PROXY": "http://127.0.0.1:8080"}, url=LOCAL).status is Status.OK


@pytest.mark.parametrize(
    ("no_proxy", "stack", "why"),
    [
        ("api.openai.com:443", STACK_HTTPX2, "default port"),
        ("*.openai.com", STACK_HTTPX, "'**.domain'"),
        ("api.openai.com/v1", STACK_HTTPX2, "skips entries that contain a '/'"),
        ("http://api.openai.com", STACK_HTTPX2, "scheme"),
        ("api.openai.com.", STACK_HTTPX2, "trailing dot"),
    ],
)
def test_no_proxy_entries_that_do_not_match_are_explained(no_proxy: str, stack: str, why: str) -> None:
    result = _judge({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": no_proxy}, stack=stack)
    assert (result.code, result.status) == ("no_proxy_ineffective", Status.WARN)
    assert why in result.summary
    assert result.fixes[0].command == 'export NO_PROXY="${NO_PROXY:+$NO_PROXY,}api.openai.com"'


def test_declared_azure_api_type_prefers_the_azure_endpoint_over_openai_base_url() -> None:
    from doctor.endpoint import resolve_endpoint
    from doctor.settings import Settings

    both = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com"}
    assert resolve_endpoint(Settings(env=both)).source == "OPENAI_BASE_URL"  # OpenAI() reads this one
    declared = resolve_endpoint(Settings(env=dict(both, OPENAI_API_TYPE="azure")))
    assert (declared.source, declared.kind) == ("AZURE_OPENAI_ENDPOINT", "azure")  # AzureOpenAI() ignores OPENAI_BASE_URL
