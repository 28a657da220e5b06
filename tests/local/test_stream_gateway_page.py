"""nginx's own HTML 502 page on the stream path (POST /chat/completions, /responses) is a gateway
whose upstream failed, `upstream_error` as api.auth says of the same page on GET /models: one
recogniser (doctor.knowledge.gateways) for both. Debian's nginx on loopback in front of a port
nothing listens on (tests/support/buffering_proxy.py); a machine without nginx skips.

In-process (the target is chat-doctor's own interpreter) the page's title and nginx's signature are
kept and named; the target runner keeps no title, and the 502 of an HTML page alone says it there
(doctor/knowledge/gateways.py, `untitled_page`: tests/pure/test_stream_lessons_rules.py).
"""

from __future__ import annotations

import socket
import sys
from typing import Callable

import pytest

from tests.support.buffering_proxy import NginxProxy, nginx_proxy  # noqa: F401  # nginx_proxy: a fixture
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess

ProxyFactory = Callable[[str], NginxProxy]


@pytest.fixture
def dead_upstream(nginx_proxy: ProxyFactory) -> NginxProxy:  # noqa: F811  # the imported fixture, by name
    with socket.socket() as closed:  # a loopback port nobody listens on: nginx answers 502 Bad Gateway
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    return nginx_proxy(f"http://127.0.0.1:{port}")


def smoke(proxy: NginxProxy, *args: str) -> Run:
    run = run_subprocess(["smoke", "--json", "--api", "both", "--base-url", proxy["unbuffered"].base_url,
                          "--timeout", "10", *args], env={"OPENAI_API_KEY": CANARY_KEY}, timeout=120)
    assert_no_key(run)
    return run


def test_nginx_502_page_is_upstream_error_on_both_stream_checks_in_process(dead_upstream: NginxProxy) -> None:
    run = smoke(dead_upstream, "--python", sys.executable)  # chat-doctor's own interpreter: in-process
    assert run.exit_code == 1, run.output
    for check in ("stream.chat", "stream.responses"):
        result = run.check(check)
        assert (result["status"], result["code"]) == ("fail", "upstream_error"), result
        assert result["summary"].startswith("nginx answered 502: the server behind it failed"), result
        assert "502 Bad Gateway" in result["summary"], result
        assert not any("status.openai.com" in (fix.get("text") or "") for fix in result["fixes"]), result


def test_api_auth_says_the_same_of_the_page(dead_upstream: NginxProxy) -> None:
    run = run_subprocess(["check", "--json", "--base-url", dead_upstream["unbuffered"].base_url, "--timeout", "10"],
                         env={"OPENAI_API_KEY": CANARY_KEY}, timeout=120)
    assert_no_key(run)
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("fail", "upstream_error"), auth
    assert auth["summary"].startswith("nginx answered 502"), auth
