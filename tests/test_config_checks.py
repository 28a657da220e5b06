"""config.api_key, config.base_url and config.proxy: pure rules, the proxy emulation against the
real httpx2 / httpx, and every mistake through the real CLI.

The proxy rules in doctor.proxies claim to decide exactly what httpx2 (openai 3) and httpx
(openai 1/2) decide; `test_proxy_decisions_match_real_httpx2` and the slow httpx 0.28 twin run
the same cases through the real libraries in a subprocess and compare.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import pytest

from doctor.checks.config import (
    inspect_key,
    judge_api_key,
    judge_base_url,
    judge_proxy,
    key_prefix_kind,
)
from doctor.credentials import find_credential, parse_dotenv
from doctor.endpoint import EndpointConfig, endpoint_kind
from doctor.model import Status
from doctor.proxies import (
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
from tests.support.helpers import CANARY_KEY, run_cli, run_subprocess

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


def check_cli(env: Mapping[str, Optional[str]], *args: str) -> Tuple[Any, Dict[str, Dict[str, Any]]]:
    run = run_cli(["check", "--offline", "--json", *args], env=dict(env))
    return run, {c["id"]: c for c in run.json["checks"]}


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
    result = judge_api_key(find_credential({"OPENAI_API_KEY": KEY}, "openai"), endpoint(OPENAI, "default"))
    assert result.status is Status.OK
    assert "OPENAI_API_KEY" in result.summary and SHAPE in result.summary
    assert result.data["source"] == "OPENAI_API_KEY" and result.data["length"] == len(KEY)
    assert result.data["prefix"] == "project key" and result.data["shape"] == SHAPE
    assert KEY not in json.dumps(result.to_dict())


def test_missing_key_for_a_local_server_explains_placeholders() -> None:
    result = judge_api_key(find_credential({}, "compatible"), endpoint(LOCAL))
    assert result.status is Status.FAIL and result.code == "api_key_missing"
    text = " ".join(result.details)
    assert "Missing credentials" in text and "any non-empty value" in text and "this one is local" in text
    assert any(f.command == "export OPENAI_API_KEY=placeholder" for f in result.fixes)


def test_missing_key_mentions_admin_key_and_azure_specifics() -> None:
    admin = judge_api_key(find_credential({"OPENAI_ADMIN_KEY": "sk-admin-x"}, "openai"), endpoint(OPENAI, "default"))
    assert admin.code == "api_key_missing" and "Could not resolve authentication method" in " ".join(admin.details)

    azure_url = "https://res.openai.azure.com/"
    azure = judge_api_key(find_credential({"OPENAI_API_KEY": KEY}, "azure", base_url=azure_url),
                          endpoint(azure_url, "AZURE_OPENAI_ENDPOINT"))
    assert azure.code == "api_key_missing" and "AzureOpenAI never reads it" in " ".join(azure.details)
    assert azure.fixes[0].command == 'export AZURE_OPENAI_API_KEY="$OPENAI_API_KEY"'

    empty_token = judge_api_key(
        find_credential({"AZURE_OPENAI_AD_TOKEN": "", "AZURE_OPENAI_API_KEY": "k" * 32}, "azure", base_url=azure_url),
        endpoint(azure_url, "AZURE_OPENAI_ENDPOINT"),
    )
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
    result = judge_base_url(endpoint(url))
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
    result = judge_base_url(endpoint(url))
    assert result.status is Status.OK, result
    assert url.rstrip("/") in result.summary


def test_insecure_is_a_warning_with_the_override() -> None:
    result = judge_base_url(endpoint("http://gpu-box.lan:8000/v1"), allow_insecure=True)
    assert (result.code, result.status) == ("base_url_insecure", Status.WARN)
    assert "allowed by --allow-insecure" in result.summary


def test_azure_needs_an_api_version_unless_it_uses_the_v1_url() -> None:
    azure = endpoint("https://res.openai.azure.com/", "AZURE_OPENAI_ENDPOINT")
    assert azure.kind == "azure"
    result = judge_base_url(azure)
    assert (result.code, result.status) == ("azure_api_version_missing", Status.FAIL)
    assert "OPENAI_API_VERSION" in result.fixes[0].command
    # No /v1 warning for Azure: its paths are different.
    assert judge_base_url(endpoint("https://res.openai.azure.com/", "AZURE_OPENAI_ENDPOINT", api_version="2024-10-21")).status is Status.OK
    assert judge_base_url(endpoint("https://res.openai.azure.com/openai/v1/")).status is Status.OK
    doubled = judge_base_url(endpoint("https://res.openai.azure.com/openai", "AZURE_OPENAI_ENDPOINT", api_version="2024-10-21"))
    assert doubled.code == "base_url_invalid" and "/openai/openai/" in " ".join(doubled.details)


def test_several_base_url_problems_list_all_with_the_worst_first() -> None:
    result = judge_base_url(endpoint("http://example.com"))  # insecure (fail) and no version (warn)
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


# Cases run through our emulation and through the real library; each is (environment, URL).
PROXY_CASES: List[Tuple[Dict[str, str], str]] = [
    ({"HTTPS_PROXY": "http://p:3128"}, OPENAI),
    ({"HTTPS_PROXY": "p:3128"}, OPENAI),
    ({"HTTP_PROXY": "http://p:3128"}, OPENAI),
    ({"ALL_PROXY": "http://p:3128"}, OPENAI),
    ({"ALL_PROXY": "http://a:1", "HTTPS_PROXY": "http://h:2"}, OPENAI),
    ({"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:2"}, OPENAI),
    ({"HTTPS_PROXY": "http://up:2", "https_proxy": ""}, OPENAI),
    ({"Https_Proxy": "http://p:3128"}, OPENAI),
    ({"HTTP_PROXY": "http://q:3128", "REQUEST_METHOD": "GET"}, "http://example.com/v1"),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*.openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "x.com,*"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.openai.com:443"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.openai.com:8443"}, "https://api.openai.com:8443/v1"),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "API.OPENAI.COM"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.openai.com"}, "https://API.OpenAI.com/v1"),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": " api.openai.com , x"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.openai.com."}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "a b"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "foo/bar"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*.openai.com/x"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "a:b"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "ünï.de"}, "https://xn--n-zfa1a.de/v1"),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "http://api.openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "https://api.openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "https://api.openai.com:443"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "https://"}, OPENAI),
    ({"HTTPS_PROXY": "ftp://p:3128", "NO_PROXY": "https://"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128", "HTTP_PROXY": "http://q:1", "NO_PROXY": "http://api.openai.com"}, "http://api.openai.com/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "10.0.0.0/8"}, "http://10.1.2.3:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "10.0.0.0/8"}, "http://10.0.0.0:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "10.0.0.0/8"}, "http://11.1.2.3:8000/v1"),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "192.168.0.0/16,::1/128"}, "https://192.168.4.4/v1"),
    ({"ALL_PROXY": "http://a:1", "NO_PROXY": "127.0.0.0/8"}, "http://127.0.0.5:8000/v1"),
    ({"ALL_PROXY": "http://a:1", "NO_PROXY": "127.0.0.1/33"}, LOCAL),
    ({"ALL_PROXY": "http://a:1", "NO_PROXY": "fe80::/10"}, "http://[fe80::1]:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "::1"}, "http://[::1]:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "[::1]"}, "http://[::1]:8000/v1"),
    ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "[::1]:8000"}, "http://[::1]:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "localhost"}, "http://localhost:8000/v1"),
    ({"ALL_PROXY": "http://a:1", "NO_PROXY": "LocalHost"}, "http://localhost:8000/v1"),
    ({"ALL_PROXY": "http://a:1", "NO_PROXY": ".localhost"}, "http://foo.localhost:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128", "NO_PROXY": "127.0.0.1"}, "http://localhost:8000/v1"),
    ({"HTTP_PROXY": "http://q:3128"}, LOCAL),
    ({"HTTPS_PROXY": "https://p:3128"}, OPENAI),
    ({"HTTPS_PROXY": "http://p"}, OPENAI),
    ({"HTTPS_PROXY": "http://[::1]:3128"}, OPENAI),
    ({"HTTPS_PROXY": "http://us er:pw@p:3128"}, OPENAI),
    ({"HTTPS_PROXY": "http://user:p%40ss@p:3128"}, OPENAI),
    ({"HTTPS_PROXY": "http://"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:notaport"}, OPENAI),
    ({"HTTPS_PROXY": "http://p:3128\n"}, OPENAI),
    ({"HTTPS_PROXY": " http://p:3128"}, OPENAI),
    ({"HTTPS_PROXY": "socks4://s:1080"}, OPENAI),
    ({"HTTPS_PROXY": "ftp://s:21"}, OPENAI),
    ({"HTTPS_PROXY": "socks5://s:1080"}, OPENAI),
    ({"HTTPS_PROXY": "socks5h://p"}, OPENAI),
    ({"ALL_PROXY": "socks5://s:1080", "NO_PROXY": "api.openai.com"}, OPENAI),
    ({"HTTPS_PROXY": "socks5://p:1080", "NO_PROXY": "*"}, OPENAI),
]

# Runs inside an interpreter that has the library: prints, per case, the proxy it would use
# for the URL ("scheme://host:port"), None for direct, or that Client() itself raised.
_REAL_LIBRARY_SCRIPT = r"""
import json, os, sys
lib = __import__(sys.argv[1])
try:
    import socksio  # noqa
    socks = True
except ImportError:
    socks = False
out = []
for env, url in json.load(sys.stdin):
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            del os.environ[name]
    os.environ.update(env)
    try:
        # verify=False only skips loading CA certificates (slow); proxy mounts do not depend on it.
        client = lib.Client(verify=False)
    except Exception as exc:
        out.append({"error": type(exc).__name__})
        continue
    transport = client._transport_for_url(lib.URL(url))
    if transport is client._transport:
        out.append({"proxy": None})
    else:
        p = transport._pool._proxy_url
        out.append({"proxy": "%s://%s:%s" % (p.scheme.decode(), p.host.decode(), p.port)})
print(json.dumps({"socksio": socks, "results": out}))
"""


def _real_decisions(python: str, module: str) -> Dict[str, Any]:
    proc = subprocess.run(
        [python, "-c", _REAL_LIBRARY_SCRIPT, module], input=json.dumps(PROXY_CASES),
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _compare_with_real(stack: str, real: Dict[str, Any]) -> None:
    mismatches = []
    for (env, url), theirs in zip(PROXY_CASES, real["results"]):
        decision = resolve_proxy(url, env, stack=stack)
        socks_breaks = any(p.is_socks for p in decision.proxies) and not real["socksio"]
        if decision.breaks_client or socks_breaks:
            mine: Dict[str, Any] = {"error": True}
        else:
            p = decision.proxy
            mine = {"proxy": None if p is None else f"{p.scheme}://{p.host}:{p.port}"}
        if "error" in theirs:
            theirs = {"error": True}
        if mine != theirs:
            mismatches.append((env, url, mine, theirs, decision.reason))
    assert mismatches == []


def test_proxy_decisions_match_real_httpx2() -> None:
    # The dev venv's httpx2 is the one openai 3.57 uses; run it in a subprocess so this test
    # process never imports it (other tests check what `check --offline` imports).
    _compare_with_real(STACK_HTTPX2, _real_decisions(sys.executable, "httpx2"))


@pytest.mark.slow
def test_proxy_decisions_match_real_httpx_028() -> None:
    from tests.support.venvs import make_venv, pyenv_python, venv_python

    venv = make_venv(pyenv_python("3.11"), ["httpx==0.28.1"])
    real = _real_decisions(str(venv_python(venv)), "httpx")
    _compare_with_real(STACK_HTTPX, real)


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
    return judge_proxy(resolve_proxy(url, env, stack=stack), endpoint(url), installed=installed, platform="linux")


def test_no_proxy_configured_is_ok() -> None:
    result = _judge({})
    assert result.status is Status.OK and result.summary == "no proxy configured"
    mac = judge_proxy(resolve_proxy(OPENAI, {}), endpoint(OPENAI), platform="darwin")
    assert "macOS network settings" in " ".join(mac.details)


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


# =============================================================================================
# Through the real CLI
# =============================================================================================


@pytest.mark.parametrize(
    ("env", "code"),
    [
        ({}, "api_key_missing"),
        ({"OPENAI_API_KEY": ""}, "api_key_missing"),
        ({"OPENAI_API_KEY": KEY + "\n"}, "api_key_whitespace"),
        ({"OPENAI_API_KEY": f'"{KEY}"'}, "api_key_quoted"),
        ({"OPENAI_API_KEY": f"“{KEY}”"}, "api_key_non_ascii"),
        ({"OPENAI_API_KEY": f"Bearer {KEY}"}, "api_key_bearer_prefix"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": ""}, "base_url_empty"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "localhost:8000/v1"}, "base_url_invalid"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://api.example.com/v1"}, "base_url_insecure"),
        ({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1/chat/completions"}, "base_url_endpoint_path"),
        ({"AZURE_OPENAI_API_KEY": "a" * 32, "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/"}, "azure_api_version_missing"),
        ({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "socks4://p:1080"}, "proxy_invalid"),
        ({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "socks5://p:1080"}, "proxy_socks_unsupported"),
    ],
)
def test_failures_through_the_cli(env: Dict[str, str], code: str) -> None:
    run, checks = check_cli(env)
    found = {c["code"]: c for c in checks.values() if c["id"].startswith("config.")}
    assert code in found and found[code]["status"] == "fail", checks
    assert run.exit_code == 1  # a config fail alone decides it


@pytest.mark.parametrize(
    ("env", "check_id", "code"),
    [
        ({"OPENAI_API_KEY": "sk-short"}, "config.api_key", "api_key_unusual_format"),
        ({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "http://localhost:11434"}, "config.base_url", "base_url_no_version"),
        ({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": LOCAL, "HTTP_PROXY": "http://proxy.corp:3128"}, "config.proxy",
         "proxy_for_loopback"),
        ({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://p:3128", "NO_PROXY": "api.openai.com:443"}, "config.proxy",
         "no_proxy_ineffective"),
    ],
)
def test_warnings_through_the_cli(env: Dict[str, str], check_id: str, code: str) -> None:
    _, checks = check_cli(env)
    assert (checks[check_id]["status"], checks[check_id]["code"]) == ("warn", code)


def test_all_config_checks_pass_for_a_clean_setup() -> None:
    _, checks = check_cli({"OPENAI_API_KEY": KEY})
    for check_id in ("config.api_key", "config.base_url", "config.proxy"):
        assert checks[check_id]["status"] == "ok", checks[check_id]
    assert checks["config.api_key"]["data"]["shape"] == SHAPE
    assert checks["config.proxy"]["summary"] == "no proxy configured"
    assert checks["config.base_url"]["data"]["source"] == "default"


def test_key_only_in_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"# settings\nexport OPENAI_API_KEY='{KEY}'\n")  # the autouse fixture chdir'd here
    run, checks = check_cli({})
    result = checks["config.api_key"]
    assert (result["status"], result["code"]) == ("fail", "api_key_in_dotenv_only")
    assert str(tmp_path / ".env") in result["summary"]
    assert result["fixes"][0]["command"] == "set -a; . ./.env; set +a"
    assert result["data"]["origin"] == str(tmp_path / ".env") and result["data"]["shape"] == SHAPE
    assert run.exit_code == 1 and KEY not in run.stdout


def test_dotenv_with_a_bad_value_says_so_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{KEY} "\n')
    _, checks = check_cli({})
    assert checks["config.api_key"]["code"] == "api_key_in_dotenv_only"
    assert any("[api_key_whitespace]" in d for d in checks["config.api_key"]["details"])


def test_allow_insecure_turns_the_failure_into_a_warning() -> None:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://gpu-box.lan:8000/v1"}
    _, strict = check_cli(env)
    _, allowed = check_cli(env, "--allow-insecure")
    assert strict["config.base_url"]["status"] == "fail"
    assert (allowed["config.base_url"]["status"], allowed["config.base_url"]["code"]) == ("warn", "base_url_insecure")


def test_base_url_flag_wins_and_is_reported_as_the_source() -> None:
    _, checks = check_cli({"OPENAI_API_KEY": "x", "OPENAI_BASE_URL": "ftp://nope"}, "--base-url", LOCAL)
    assert checks["config.base_url"]["status"] == "ok"
    assert checks["config.base_url"]["data"]["source"] == "--base-url"


def test_proxy_report_names_the_variable_in_effect() -> None:
    env = {"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://upper:1", "https_proxy": "http://bob:pw123456@lower.corp:3128"}
    run, checks = check_cli(env)
    result = checks["config.proxy"]
    assert result["summary"] == "http://***@lower.corp:3128 (https_proxy) applies to api.openai.com"
    names = {v["name"]: v for v in result["data"]["variables"]}
    assert names["https_proxy"]["in_effect"] and not names["HTTPS_PROXY"]["in_effect"]
    assert names["HTTPS_PROXY"]["note"] == "overridden by https_proxy"
    assert "pw123456" not in run.output


def test_human_output_through_the_installed_script() -> None:
    run = run_subprocess(["check", "--offline"], env={"OPENAI_API_KEY": KEY + "\r\n", "OPENAI_BASE_URL": "http://localhost:11434"})
    assert run.exit_code == 1
    assert "config.api_key" in run.stdout and "ends with a Windows line ending (CR LF)" in run.stdout
    assert "[api_key_whitespace]" in run.stdout and "tr -d '[:space:]'" in run.stdout
    assert "[base_url_no_version]" in run.stdout
    assert KEY not in run.output


def test_json_through_the_installed_script_for_a_proxy_mistake() -> None:
    run = run_subprocess(["check", "--offline", "--json"], env={"OPENAI_API_KEY": KEY, "ALL_PROXY": "ftp://p:21"})
    assert run.exit_code == 1
    result = run.check("config.proxy")
    assert (result["status"], result["code"]) == ("fail", "proxy_invalid")
    assert result["data"]["variables"] == [{"name": "ALL_PROXY", "value": "ftp://p:21", "in_effect": True, "note": None}]


# =============================================================================================
# Real target interpreters: the proxy rules follow the target's openai and its socksio
# =============================================================================================


@pytest.mark.slow
def test_socks_proxy_is_fine_when_the_target_has_socksio() -> None:
    from tests.support.venvs import make_venv, pyenv_python, venv_python

    venv = make_venv(pyenv_python("3.11"), ["socksio==1.0.0"])
    env = {"OPENAI_API_KEY": KEY, "ALL_PROXY": "socks5://127.0.0.1:1080"}
    _, with_socksio = check_cli(env, "--python", str(venv_python(venv)))
    assert with_socksio["config.proxy"]["status"] == "ok", with_socksio["config.proxy"]
    assert with_socksio["config.proxy"]["summary"] == "socks5://127.0.0.1:1080 (ALL_PROXY) applies to api.openai.com"
    # chat-doctor's own venv (the default target here) has no socksio.
    _, without = check_cli(env)
    assert without["config.proxy"]["code"] == "proxy_socks_unsupported"
    # pip cannot use the SOCKS proxy itself, so the fix runs it without one (tests/test_venv_fixes.py runs it).
    assert without["config.proxy"]["fixes"][0]["command"] == f"env -u ALL_PROXY -u all_proxy {sys.executable} -m pip install socksio"


@pytest.mark.slow
def test_openai_1x_target_gets_httpx_rules() -> None:
    from tests.support.venvs import make_venv, pyenv_python, venv_python

    # Only the distribution's metadata matters here: which openai major is installed.
    venv = make_venv(pyenv_python("3.11"), ["openai==1.109.1"], no_deps=True)
    python = str(venv_python(venv))
    _, bracket = check_cli({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://p:3128", "NO_PROXY": "[::1]"}, "--python", python)
    result = bracket["config.proxy"]
    assert (result["status"], result["code"], result["data"]["stack"]) == ("fail", "proxy_invalid", "httpx")
    assert any("openai 1.109.1 uses httpx" in d for d in result["details"])
    _, star = check_cli({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*.openai.com"}, "--python", python)
    assert star["config.proxy"]["code"] == "no_proxy_ineffective"
    # The same settings are fine for httpx2 (openai 3, chat-doctor's own venv).
    _, own = check_cli({"OPENAI_API_KEY": KEY, "HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*.openai.com"})
    assert own["config.proxy"]["status"] == "ok" and own["config.proxy"]["data"]["exempted_by"] == "*.openai.com"


def test_declared_azure_api_type_prefers_the_azure_endpoint_over_openai_base_url() -> None:
    from doctor.endpoint import resolve_endpoint
    from doctor.settings import Settings

    both = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com"}
    assert resolve_endpoint(Settings(env=both)).source == "OPENAI_BASE_URL"  # OpenAI() reads this one
    declared = resolve_endpoint(Settings(env=dict(both, OPENAI_API_TYPE="azure")))
    assert (declared.source, declared.kind) == ("AZURE_OPENAI_ENDPOINT", "azure")  # AzureOpenAI() ignores OPENAI_BASE_URL


# --------------------------------------------------------------------------------------------
# ports nothing can connect to: found at the config step, never a crash in net.tcp
# --------------------------------------------------------------------------------------------


def _network_run(env: Dict[str, str], base_url: str) -> Dict[str, Dict[str, Any]]:
    run = run_cli(["check", "--json", "--timeout", "1", "--base-url", base_url], env={"OPENAI_API_KEY": KEY, **env})
    checks = {c["id"]: c for c in run.json["checks"]}
    assert all(c["code"] != "check_crashed" for c in checks.values()), checks
    assert run.exit_code == 1
    return checks


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1"])
def test_a_base_url_port_outside_the_range_is_base_url_invalid(port: str) -> None:
    checks = _network_run({}, f"http://127.0.0.1:{port}/v1")
    base = checks["config.base_url"]
    assert (base["status"], base["code"]) == ("fail", "base_url_invalid"), base
    assert f"the port {port}, outside 1-65535" in base["summary"]
    assert checks["net.tcp"]["status"] == "skip"  # not tried: port 0 used to mean "connect to port 80"


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:99999", "http://127.0.0.1:0", "http://127.0.0.1:-1"])
def test_a_proxy_port_outside_the_range_is_proxy_invalid(proxy: str) -> None:
    checks = _network_run({"HTTPS_PROXY": proxy}, "https://api.example.invalid/v1")
    assert (checks["config.proxy"]["status"], checks["config.proxy"]["code"]) == ("fail", "proxy_invalid")
    assert "outside 1-65535" in checks["config.proxy"]["summary"]
    assert checks["net.tcp"]["status"] == "skip"


def test_a_proxy_with_a_bad_port_that_does_not_apply_is_a_warning() -> None:
    checks = _network_run({"HTTP_PROXY": "http://127.0.0.1:70000"}, "https://api.example.invalid/v1")
    assert (checks["config.proxy"]["status"], checks["config.proxy"]["code"]) == ("warn", "proxy_invalid")


def test_a_non_numeric_port_is_invalid_for_the_base_url_and_the_proxy() -> None:
    checks = _network_run({}, "http://127.0.0.1:eighty/v1")
    assert checks["config.base_url"]["code"] == "base_url_invalid"
    assert "invalid port: 'eighty'" in checks["config.base_url"]["summary"]
    checks = _network_run({"HTTPS_PROXY": "http://127.0.0.1:eighty"}, "https://api.example.invalid/v1")
    assert (checks["config.proxy"]["status"], checks["config.proxy"]["code"]) == ("fail", "proxy_invalid")
    assert "invalid port: 'eighty'" in checks["config.proxy"]["summary"]
