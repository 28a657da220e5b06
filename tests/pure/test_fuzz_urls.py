"""Property tests of the URL and proxy rules: parse_url (doctor.net.httpx_url) raises only
InvalidURL and agrees with the real httpx2.URL; the config.base_url judge gives a registered
verdict for any base URL and never prints its password; the proxy environment is read as the
stdlib reads it, and resolve_proxy / proxy_for decide for any environment without another
exception and without a password in what they say."""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Dict
from urllib.parse import unquote
from unittest import mock

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from doctor.checks.config_base_url import BaseUrlFacts
from doctor.checks.config_base_url import judge as judge_base_url
from doctor.endpoint import EndpointConfig, endpoint_kind
from doctor.model import Status
from doctor.net.proxies import (
    STACKS,
    InvalidURL,
    ProxyConfigError,
    parse_url,
    proxy_for,
    read_proxy_environment,
    resolve_proxy,
)
from tests.support.strategies import PASSWORD, URLS, proxy_environments, url_parts

SOURCES = st.sampled_from(("OPENAI_BASE_URL", "--base-url", "AZURE_OPENAI_ENDPOINT", "default"))


@given(URLS)
@example("http://h:" + "9" * 5000)  # int() refuses more than 4300 digits with a ValueError
@example("http://[::1")
def test_parse_url_raises_only_invalid_url(url: str) -> None:
    try:
        parsed = parse_url(url)
    except InvalidURL:
        return
    assert parsed.scheme == parsed.scheme.lower()
    assert parsed.port is None or isinstance(parsed.port, int)


httpx2 = pytest.importorskip("httpx2", reason="the SDK's HTTP client is httpx (openai < 3) here")


# Non-ASCII hosts are encoded with the stdlib's IDNA 2003 codec, where httpx2 uses the idna
# package's IDNA 2008 (doctor/net/httpx_url.py says so): compared here are ASCII URLs.
@given(URLS.map(lambda url: url.encode("ascii", "ignore").decode("ascii")))
# Found by this test: httpx2 drops a default port by the scheme as written, so "Https://h:443"
# keeps 443 (a NO_PROXY entry "h:443" matches it); the emulation lower-cased first and dropped it.
@example("Https://api.openai.com:443")
def test_parse_url_agrees_with_httpx2(url: str) -> None:
    try:
        real = httpx2.URL(url)
    except httpx2.InvalidURL:
        with pytest.raises(InvalidURL):
            parse_url(url)
        return
    ours = parse_url(url)
    # httpx2's `.path` is percent-decoded, and "/" when there is none.
    host = real.raw_host.decode("ascii")
    assert (ours.scheme, ours.host, ours.port, unquote(ours.path) or "/") == (real.scheme, host, real.port, real.path)
    assert ours.has_userinfo == bool(real.userinfo)


@given(URLS, SOURCES, st.sampled_from((None, "openai", "azure", "compatible")), st.booleans(), st.none() | st.just("2024-10-21"))
def test_the_base_url_judge_gives_a_registered_verdict_for_any_url(
    url: str, source: str, kind: str, allow_insecure: bool, api_version: str
) -> None:
    endpoint = EndpointConfig(url, source, kind or endpoint_kind(url, source=source), api_version)
    result = judge_base_url(BaseUrlFacts(endpoint, allow_insecure=allow_insecure))
    assert result.id == "config.base_url" and result.status in Status
    assert (result.status is Status.OK) == (result.code is None)


@given(st.data(), SOURCES)
def test_the_base_url_judge_never_prints_the_password_of_the_url(data: st.DataObject, source: str) -> None:
    password = data.draw(PASSWORD)
    url = data.draw(url_parts(password))
    assume(url.count(password) == 1)  # not also the host or the path, which are shown
    result = judge_base_url(BaseUrlFacts(EndpointConfig(url, source, endpoint_kind(url, source=source))))
    assert password not in json.dumps(result.to_dict(), ensure_ascii=False)


@given(proxy_environments())
@example({"HTTP_PROXY": "http://a:1", "REQUEST_METHOD": "GET", "http_proxy": ""})
@example({"no_proxy": "x", "NO_PROXY": "y", "Https_Proxy": "http://p:1", "https_proxy": ""})
def test_the_proxy_variables_are_read_as_the_stdlib_reads_them(env: Dict[str, str]) -> None:
    with mock.patch.object(os, "environ", env):
        expected = urllib.request.getproxies_environment()
    keys = ("http", "https", "all", "no")
    assert dict(read_proxy_environment(env).values) == {k: v for k, v in expected.items() if k in keys}


@given(proxy_environments(), URLS, st.sampled_from(STACKS))
def test_resolve_proxy_decides_for_any_environment_and_url(env: Dict[str, str], url: str, stack: str) -> None:
    decision = resolve_proxy(url, env, stack=stack)
    assert decision.proxy is None or decision.proxy in decision.proxies
    assert decision.reason
    if decision.proxy is not None:
        assert decision.proxy.variable in env and env[decision.proxy.variable]
    if decision.exempted_by is not None or decision.no_proxy_all or decision.url_error is not None:
        assert decision.proxy is None
    try:
        chosen = proxy_for(url, env, stack=stack)
    except ProxyConfigError as exc:
        assert str(exc)
    else:
        assert chosen == decision.proxy


@given(st.data(), URLS, st.sampled_from(STACKS))
def test_no_proxy_decision_says_the_proxy_password(data: st.DataObject, url: str, stack: str) -> None:
    password = data.draw(PASSWORD)
    env = data.draw(proxy_environments(password))
    # Only as the password (`:password@`), not also as a host or a path, which are shown.
    assume(all(v.count(password) == v.count(f":{password}@") for k, v in env.items() if k.lower() != "no_proxy"))
    decision = resolve_proxy(url, env, stack=stack)
    said = [decision.reason, *(p.message for p in decision.problems), *(v.shown for v in decision.environment.variables),
            *(p.shown for p in decision.proxies), repr(decision)]
    allowed = url.count(password) + sum(v.count(password) for k, v in env.items() if k.lower() == "no_proxy")
    assert sum(text.count(password) for text in said) <= allowed


@pytest.mark.parametrize("url", ["http:/:s3cretpassw0rd@api.openai.com", "http:/u@x:s3cretpassw0rd@api.openai.com"])
def test_a_fix_built_from_a_mistyped_url_hides_its_password(url: str) -> None:
    # Found by test_the_base_url_judge_never_prints_the_password_of_the_url: the scheme guess
    # `https://http:/:pw@host` was printed as a command to paste, password included.
    result = judge_base_url(BaseUrlFacts(EndpointConfig(url, "OPENAI_BASE_URL", "compatible")))
    assert result.code == "base_url_invalid"
    assert "s3cretpassw0rd" not in json.dumps(result.to_dict())


def test_a_proxy_url_without_its_scheme_slashes_hides_its_password() -> None:
    # Found by test_no_proxy_decision_says_the_proxy_password: httpx prefixes `http://` to a
    # value without `://`, and the problem message showed the prefixed URL whole.
    decision = resolve_proxy("https://api.openai.com/v1", {"HTTPS_PROXY": "http:/:s3cretpassw0rd@proxy.corp:3128"})
    said = [decision.reason, *(p.message for p in decision.problems), *(p.shown for p in decision.proxies)]
    assert not any("s3cretpassw0rd" in text for text in said)
