"""GET /models with a head start (doctor.checks.models_head_start), through the installed CLI.

What must not change: one request to the server per run, none where the serial path sent none
(--offline, a run without api.auth, a TLS handshake the SDK's trust refuses, a route the key
may not travel), and the same verdicts, codes and skip reasons when a net check fails. What
must: the request leaves before api.auth starts, so a slow /models overlaps start-up.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from doctor import session
from doctor.mock.server import MockOptions, MockServer
from doctor.settings import Settings
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.mock_helpers import env_for
from tests.support.tls_certs import TlsMaterial, tls_server


def _check(base_url: str, *extra: str, **env: str) -> Run:
    return run_subprocess(["check", "--json", "--base-url", base_url, "--timeout", "5", *extra],
                          env={"OPENAI_API_KEY": CANARY_KEY, **env})


def _models_requests(server: MockServer) -> List[Any]:
    return [r for r in server.requests if r.path.endswith("/models")]


def _verdicts(checks: List[Dict[str, Any]]) -> List[Tuple[Any, ...]]:
    """What must match the serial path: every check's status and code, and the api checks'
    summaries (their skip reasons); net.* summaries carry measured milliseconds."""
    return [(c["id"], c["status"], c["code"], c["summary"] if c["id"].startswith("api.") else None) for c in checks]


def _serial(base_url: str, **env: str) -> List[Tuple[Any, ...]]:
    """The same run through the session alone: no command, so no head start (the serial path)."""
    settings = Settings(env={"OPENAI_API_KEY": CANARY_KEY, **env}, base_url=base_url, timeout_s=5)
    report = session.run(session.plan(settings), groups=("python", "packages", "config", "net", "api"))
    return _verdicts([c.to_dict() for c in report.checks])


def test_one_request_and_it_leaves_before_api_auth_starts() -> None:
    with MockServer(MockOptions(scenario="slow", slow_delay_ms=1000)) as server:
        run = _check(server.base_url)
        requests = list(server.requests)
    auth = run.check("api.auth")
    assert (auth["status"], run.check("api.model")["status"], run.exit_code) == ("ok", "ok", 0)
    assert [(r.method, r.path, r.authorized) for r in requests] == [("GET", "/v1/models", True)]
    # The request took the server's delay, the check waited less: it had been sent before.
    assert auth["data"]["timings_ms"]["total"] >= 1000
    assert auth["duration_ms"] < auth["data"]["timings_ms"]["total"]
    assert_no_key(run)


def test_no_request_offline_or_without_the_api_group() -> None:
    with MockServer(MockOptions()) as server:
        offline = _check(server.base_url, "--offline")
        net_only = _check(server.base_url, "--only", "config,net")
        requests = list(server.requests)
    assert offline.check("api.auth")["code"] == "offline"
    assert [c["id"] for c in net_only.json["checks"] if c["id"].startswith("api.")] == []
    assert requests == []


def test_the_key_never_reaches_a_server_whose_certificate_net_tls_refuses(tmp_path: Path) -> None:
    material = TlsMaterial(tmp_path / "tls")
    with tls_server(material.unknown_ca) as server:
        run = _check(server.base_url, SSL_CERT_FILE=material.ca_file)
        serial = _serial(server.base_url, SSL_CERT_FILE=material.ca_file)
        requests = list(server.requests)
    assert requests == []  # not one request, with or without the key: every handshake failed
    assert run.check("net.tls")["code"] == "tls_unknown_ca"
    auth = run.check("api.auth")
    assert (auth["status"], auth["code"]) == ("skip", "prerequisite_failed")
    assert auth["summary"] == "API key: skipped, net.tls did not pass (tls_unknown_ca)"
    assert _verdicts(run.json["checks"]) == serial
    assert_no_key(run)


def test_https_the_head_start_leaves_to_net_tls_and_still_one_request(tmp_path: Path) -> None:
    material = TlsMaterial(tmp_path / "tls")
    with tls_server(material.good) as server:
        run = _check(server.base_url, SSL_CERT_FILE=material.ca_file)
        requests = list(server.requests)
    assert (run.check("net.tls")["status"], run.check("api.auth")["status"]) == ("ok", "ok")
    assert [(r.method, r.path, r.scheme) for r in requests] == [("GET", "/v1/models", "https")]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_reads_as_before() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    run = _check(url)
    assert run.check("net.tcp")["code"] == "connection_refused"
    auth = run.check("api.auth")
    assert auth["summary"] == "API key: skipped, net.tcp did not pass (connection_refused)"
    assert (auth["status"], auth["code"], run.exit_code) == ("skip", "prerequisite_failed", 1)
    assert _verdicts(run.json["checks"]) == _serial(url)
    assert_no_key(run)


def test_the_key_never_goes_in_clear_through_a_proxy_to_a_remote_host() -> None:
    # A real proxy on loopback would carry a plain-http request whole, key included: keyroute
    # refuses the route (the host is not this machine), so nothing with the key may reach it.
    with ConnectProxy() as proxy:
        run = _check("http://api.example.invalid/v1", HTTP_PROXY=proxy.url())
        through = list(proxy.requests)
    assert [r for r in through if "/models" in r.target] == []
    assert run.check("api.auth")["status"] == "skip"
    assert_no_key(run)


def test_a_plain_run_against_the_mock_sends_one_request_per_run() -> None:
    with MockServer(MockOptions()) as server:
        runs = [run_subprocess(["check", "--json"], env=env_for(server)) for _ in range(2)]
        requests = list(server.requests)
    assert [r.check("api.auth")["status"] for r in runs] == ["ok", "ok"]
    assert [(r.method, r.path) for r in requests] == [("GET", "/v1/models")] * 2


# The real CLI, with a spy that reports, when typer is first imported, whether a head start is
# already pending (doctor.commands.check_early); it writes straight to fd 2, beside the guarded stderr.
_SPY_BOOT = """
import os, sys
class _Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            sys.meta_path.remove(self)
            from doctor.checks import models_fact
            pending = models_fact._head_start[0] is not None
            os.write(2, ("before typer: " + ("pending" if pending else "none") + "\\n").encode())
        return None
sys.meta_path.insert(0, _Spy())
sys.argv[0] = "chat-doctor"
from doctor.cli import main
main()
"""


def _spied_check(base_url: str, *extra: str) -> Run:
    return run_subprocess(["-c", _SPY_BOOT, "check", "--json", "--base-url", base_url, "--timeout", "5", *extra],
                          env={"OPENAI_API_KEY": CANARY_KEY}, executable=sys.executable)


@pytest.mark.parametrize(("extra", "before_typer"), [((), "pending"), (("--only", "config,net,api"), "none"),
                                                     (("--frobnicate",), "none")])
def test_a_simple_command_line_starts_before_typer_and_the_run_adopts_it(extra: Tuple[str, ...],
                                                                          before_typer: str) -> None:
    with MockServer(MockOptions(scenario="slow", slow_delay_ms=1000)) as server:
        run = _spied_check(server.base_url, *extra)
        requests = list(server.requests)
    assert f"before typer: {before_typer}" in run.stderr
    assert_no_key(run)
    if extra == ("--frobnicate",):  # typer refuses it: no request at all, early or late
        assert (run.exit_code, _models_requests(server)) == (2, [])
        return
    assert [(r.method, r.path) for r in requests] == [("GET", "/v1/models")]  # one, early or from the command
    auth = run.check("api.auth")
    assert (auth["status"], run.exit_code) == ("ok", 0)
    assert auth["duration_ms"] < auth["data"]["timings_ms"]["total"]  # adopted: sent before api.auth started


# The command line as the console script runs it, with a hook that lists sys.modules at the
# moment the GET /models leaves (the head start's write): everything in that list was paid for
# before the server could start to answer (scripts/bench.py network).
_MODULES_AT_SEND = """
import json, socket, sys
listing = sys.argv.pop(1)
sys.argv[0] = "chat-doctor"
real_sendall = socket.socket.sendall
def sendall(self, data, *args):
    if data[:4] == b"GET " and "at_send" not in globals():
        globals()["at_send"] = sorted(sys.modules)
        with open(listing, "w") as out:
            json.dump(globals()["at_send"], out)
    return real_sendall(self, data, *args)
socket.socket.sendall = sendall
for name in ("json", "json.decoder", "json.scanner", "json.encoder", "_json"):
    sys.modules.pop(name, None)  # loaded for this hook only: not counted against the command
from doctor.cli import main
main()
"""
# Loaded later is fine (while the server thinks); loaded before the write is the server's
# answer arriving later. Each of these was once on that path.
_NOT_BEFORE_THE_REQUEST = (
    "urllib3", "http.client", "email", "ssl", "_ssl", "typer", "click", "rich", "json", "logging", "traceback",
    "concurrent.futures", "datetime", "shutil", "subprocess", "doctor.probe.interpreters", "doctor.probe.facts",
    "doctor.knowledge.pip_vendor", "doctor.knowledge.urllib3", "doctor.knowledge.pythons", "doctor.net.tls",
)


def test_before_checks_request_leaves_only_what_it_needs_is_loaded(tmp_path: Path) -> None:
    listing = tmp_path / "modules.json"
    with MockServer(MockOptions()) as server:
        proc = subprocess.run(
            [sys.executable, "-c", _MODULES_AT_SEND, str(listing), "check", "--json", "--base-url", server.base_url],
            capture_output=True, text=True, timeout=60, env={"OPENAI_API_KEY": CANARY_KEY, "PATH": "/usr/bin:/bin"},
            check=False)
    assert proc.returncode == 0, proc.stderr
    assert CANARY_KEY[:12] not in proc.stdout + proc.stderr
    loaded = set(json.loads(listing.read_text()))
    assert "doctor.net.presend" in loaded  # the head start's early write, not the serial path's
    assert sorted(loaded.intersection(_NOT_BEFORE_THE_REQUEST)) == []
