"""doctor.net.proxy_env.socks_variables: what a pip command must run without."""

from __future__ import annotations

from doctor.net.proxy_env import socks_variables


def test_the_variables_holding_a_socks_proxy_in_both_spellings() -> None:
    env = {"ALL_PROXY": "socks5h://127.0.0.1:1080", "HTTPS_PROXY": "http://proxy.invalid:3128",
           "https_proxy": " SOCKS4://proxy.invalid:1", "NO_PROXY": "socks.invalid", "PATH": "/usr/bin"}
    assert socks_variables(env) == ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"]


def test_no_socks_proxy_no_variables() -> None:
    assert socks_variables({"HTTP_PROXY": "http://proxy.invalid:3128", "all_proxy": ""}) == []
