"""The proxy rules in doctor.net.proxies claim to decide exactly what httpx2 (openai 3) and httpx
(openai 1/2) decide: the same cases run through the real libraries in real interpreters and are
compared; the rules follow the openai and socksio of a real target venv; and a SOCKS proxy such a
target could use is reached, but not crossed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest

from doctor.net.proxies import (
    STACK_HTTPX,
    STACK_HTTPX2,
    resolve_proxy,
)
from tests.support.helpers import CANARY_KEY, Run, check_cli, run_cli

OPENAI = "https://api.openai.com/v1"
LOCAL = "http://127.0.0.1:8000/v1"
KEY = CANARY_KEY  # shaped like a real project key


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
    # pip cannot use the SOCKS proxy itself, so the fix runs it without one (tests/machine/test_venv_fixes.py runs it).
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


def _check(*args: str, **env: str) -> Run:
    return run_cli(["check", "--json", "--timeout", "2", *args], env={"OPENAI_API_KEY": CANARY_KEY, **env})


@pytest.mark.slow
def test_socks_proxy_is_reached_but_not_crossed() -> None:
    # A target that can use SOCKS (socksio installed), so only the tunnel itself is untestable.
    from tests.support.venvs import make_venv, pyenv_python, venv_python

    target = venv_python(make_venv(pyenv_python("3.11"), ["socksio"]))
    with socket.socket() as socks:  # something listens where the SOCKS proxy should be
        socks.bind(("127.0.0.1", 0))
        socks.listen(8)
        run = _check("--python", str(target), "--base-url", "https://localhost:9/v1",
                     HTTPS_PROXY=f"socks5://127.0.0.1:{socks.getsockname()[1]}")
    assert run.check("config.proxy")["status"] == "ok"
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("skip", "proxy_not_testable"), tls
    assert "smoke" in " ".join(fix["text"] + (fix["command"] or "") for fix in tls["fixes"])
