"""nginx's HTML 502 page on the stream path when the smoke test runs inside a target interpreter
(doctor/stream/target_runner.py): the runner reports an HTML body without its title, and the
stream checks still say `upstream_error`, by the 502 of an HTML page alone (doctor/knowledge/
gateways.py, `untitled_page`). In-process, with the title and nginx named: tests/local/
test_stream_gateway_page.py. Debian's nginx on loopback in front of a port nothing listens on.
"""

from __future__ import annotations

import socket
from typing import Callable

import pytest

from tests.support.buffering_proxy import NginxProxy, nginx_proxy  # noqa: F401  # nginx_proxy: a fixture
from tests.support.helpers import CANARY_KEY, assert_no_key, run_subprocess
from tests.support.venvs import make_venv, pyenv_python, venv_python

ProxyFactory = Callable[[str], NginxProxy]


@pytest.mark.slow
def test_nginx_502_page_is_upstream_error_through_the_target_runner(nginx_proxy: ProxyFactory) -> None:  # noqa: F811  # the imported fixture, by name
    python = pyenv_python("3.9")
    target = str(venv_python(make_venv(python, ["openai==1.109.1"])))
    with socket.socket() as closed:  # a loopback port nobody listens on: nginx answers 502 Bad Gateway
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    proxy = nginx_proxy(f"http://127.0.0.1:{port}")
    run = run_subprocess(["smoke", "--json", "--api", "both", "--python", target, "--base-url",
                          proxy["unbuffered"].base_url, "--timeout", "10"], env={"OPENAI_API_KEY": CANARY_KEY}, timeout=300)
    assert_no_key(run)
    assert (run.json["smoke"]["ran_in"], run.json["smoke"]["python"]) == ("target", target), run.json["smoke"]
    assert run.exit_code == 1, run.output
    for check in ("stream.chat", "stream.responses"):
        result = run.check(check)
        assert (result["status"], result["code"]) == ("fail", "upstream_error"), result
        assert result["summary"].startswith("a gateway answered 502: the server behind it failed"), result
        assert not any("status.openai.com" in (fix.get("text") or "") for fix in result["fixes"]), result
