"""The fault matrix (issue 13): every way the world around chat-doctor can break, each run as the
installed CLI in a real process, with the canary key in the environment and every output on.

Each row of FAULTS is one scenario: the command, the peer it talks to (tests/support/fault_peers.py:
the mock endpoint, raw servers, proxies, TLS servers, fake interpreters, `.env` files), and what
the README documents for it: the check and its status and code, the exit code, and the time
bound of the whole run. Every run has `--junit`, `GITHUB_ACTIONS=true` and a step summary, and
each row asserts that

- the documented code is on the documented check (in the JSON, the JUnit file and the summary),
- the exit code is the documented one,
- the run ends within its bound plus a second (the process's wall time, start-up included),
- no traceback is printed,
- neither the canary key nor any 12-character piece of it (nor a row's other secrets: a proxy
  password, a key that only `.env` holds) is in stdout, stderr, the JSON, the JUnit file or the
  step summary.

The runs go a few at a time (MATRIX_WORKERS) when the module starts; each row's test then judges
its own run. The README's "Reliability" section lists the classes with their counts, made from
this table: `python -m tests.local.test_fault_matrix --write` rewrites it, and a test pins it.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import pytest

from tests.support import fault_peers as peers
from tests.support.fault_peers import Peer, Setup
from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, REPO
from tests.support.mock_helpers import running

# How many runs at once. Most of a run is waiting (for a timeout, a trickle, a probe), but the
# machine has two cores: more at once starts to measure the machine, not chat-doctor.
MATRIX_WORKERS = int(os.environ.get("CHAT_DOCTOR_MATRIX_WORKERS", "2"))
# "Within its bound plus a second": a run may take its documented bound, plus SLACK_S, plus what
# no bound covers (times LOAD), measured on this machine before and among the rows (`references`): the
# CLI's start-up (`check --help`: it imports what every run imports and checks nothing), and for
# the smoke test the openai SDK's import and first call too (a healthy `smoke` against the mock
# endpoint). About 0.4 s and 1.5 s on a quiet 2-core machine; several times that when other jobs
# share it.
SLACK_S = 1.0
# The references are measured MATRIX_WORKERS at a time too, but other jobs on the machine come and
# go during the matrix: a run may find it up to this much busier (CONTRIBUTING: a loaded CI
# machine is late, about twice the schedule).
LOAD = 1.5
# With this variable naming a file, each run's name, wall time, limit and exit code go there.
TIMES_FILE = os.environ.get("CHAT_DOCTOR_MATRIX_TIMES")
PIECE = 12  # doctor.redact.RUN: any run this long of a secret is a leak
T = 1.0  # --timeout of most rows
PROBE_BOUND_S = 2.0  # the interpreter probe: --timeout, but at least 2 s (README, "Time and memory bounds")

CHECK = ("check",)
OFFLINE = ("check", "--offline")
SMOKE = ("smoke", "--max-tokens", "8")

# The README's classes, in its order, and what each covers.
CLASSES: Dict[str, str] = {
    "codes": "every diagnosis code this machine can produce, on the check that reports it "
             "(config mistakes, forged probe answers, network, API and stream failures)",
    "tls": "certificates: unknown CA, self-signed, expired, wrong host, TLS to a plain port, a silent handshake",
    "proxies": "dead (with a password in its URL), 407, wrong or right credentials in the URL (the password never "
               "shown), hanging, refusing the tunnel; the smoke test through an authenticated proxy",
    "flags": "bad flags and values: one line on stderr, exit 2, nothing checked",
    "interpreters": "a `--python` that hangs, crashes, is killed, prints 100 MB or garbage, or forks a child that keeps stdout open",
    "dotenv": "a `.env` holding the only key, a different key, or a bad one",
    "ca_files": "CA variables naming a missing or (as a non-root user) unreadable file",
    "servers": "random bytes, HTTP/0.9, a 50 MB body, headers after the timeout, a byte a second, endless headers, "
               "a redirect loop, slowloris, an endless SSE stream, keep-alives or empty events forever, a line without end, "
               "a gzip bomb",
    "echoes": "a server echoing the key in its error message, in a header, base64-encoded, split across HTTP chunks, "
              "or streamed back 5 characters a chunk, once or 200 times back to back",
}


@dataclass(frozen=True)
class Fault:
    """One scenario and what the README documents for it."""

    name: str
    cls: str
    args: Tuple[str, ...]
    check: Optional[str]  # where the code is reported (None: a usage error, nothing checked)
    status: Optional[str]
    code: Optional[str]
    exit: int
    peer: Peer = peers.nothing
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: Optional[float] = T  # --timeout (None: not passed)
    bound_s: Optional[float] = None  # the documented bound of the whole run; default: see `bound`
    also: Tuple[Tuple[str, str, Optional[str]], ...] = ()  # more (check, status, code) of the same run
    says: Optional[str] = None  # words the check's summary or details hold
    json: bool = True  # --json; else the console, judged from the summary and the JUnit file
    xfail: Optional[str] = None  # a real bug this row shows, left for the files' owner (strict)

    @property
    def streams(self) -> bool:
        return self.args[0] == "smoke" or "--smoke" in self.args

    @property
    def bound(self) -> float:
        if self.bound_s is not None:
            return self.bound_s
        timeout = self.timeout if self.timeout is not None else 0.0
        if self.args[0] != "check":
            return timeout
        # The probe runs beside the network checks; the smoke test starts after both.
        return max(PROBE_BOUND_S, timeout) + (timeout if self.streams else 0.0)


def _f(name: str, cls: str, args: Tuple[str, ...], check: Optional[str], status: Optional[str], code: Optional[str],
       exit: int, peer: Peer = peers.nothing, **more: Any) -> Fault:
    return Fault(name, cls, args, check, status, code, exit, peer, **more)


# --- forged probe answers: targets this machine does not have -------------------------------------


def _release(version: str) -> Any:
    def edit(answer: Dict[str, Any]) -> None:
        answer["interpreter"].update(version=version, version_info=[int(part) for part in version.split(".")])
        answer["marker_env"].update(python_version=version.rsplit(".", 1)[0], python_full_version=version)
    return edit


def _too_old(answer: Dict[str, Any]) -> None:
    answer.clear()
    answer.update(schema=1, too_old=True, python_version="3.6.15", version_info=[3, 6, 15], implementation="CPython",
                  executable="/opt/python3.6/bin/python3.6", ssl_version="OpenSSL 1.1.1w  11 Sep 2023")


def _no_ssl(answer: Dict[str, Any]) -> None:
    answer["ssl"] = {"available": False, "error": "ModuleNotFoundError: No module named '_ssl'"}


def _old_ssl(answer: Dict[str, Any]) -> None:
    answer["ssl"].update(version="OpenSSL 1.0.2k-fips  26 Jan 2017", version_info=[1, 0, 2, 11, 15],
                         version_number=268443839, has_tls13=False)


def _conflict(answer: Dict[str, Any]) -> None:
    for dist in answer["distributions"]:
        if dist["name"] == "openai":
            dist["requires"] = [*dist["requires"], "chat-doctor-missing-dependency>=1"]


def _no_certifi(answer: Dict[str, Any]) -> None:
    answer["certifi"].update(exists=False, is_file=False, readable=False, cert_count=0)


def _urllib3_broken(answer: Dict[str, Any]) -> None:
    answer["urllib3"].update(ok=False, error="ImportError: cannot import name 'exceptions' from partially initialized module 'urllib3'")


# --- the table ----------------------------------------------------------------------------------

KEY = CANARY_KEY
BLOCKED_OPENAI = "raise ImportError('chat-doctor test: this openai cannot be imported')\n"
BLOCKED_URLLIB3 = ("raise ImportError(\"urllib3 v2 only supports OpenSSL 1.1.1+, currently the 'ssl' module is "
                   "compiled with 'OpenSSL 1.0.2k-fips  26 Jan 2017'.\")\n")

FAULTS: Tuple[Fault, ...] = (
    # --- codes: config ---
    _f("key_missing", "codes", OFFLINE, "config.api_key", "fail", "api_key_missing", 1, env={"OPENAI_API_KEY": ""}),
    _f("key_newline", "codes", OFFLINE, "config.api_key", "fail", "api_key_whitespace", 1, env={"OPENAI_API_KEY": KEY + "\n"}),
    _f("key_quoted", "codes", OFFLINE, "config.api_key", "fail", "api_key_quoted", 1, env={"OPENAI_API_KEY": f'"{KEY}"'}),
    _f("key_smart_quotes", "codes", OFFLINE, "config.api_key", "fail", "api_key_non_ascii", 1,
       env={"OPENAI_API_KEY": f"“{KEY}”"}),
    _f("key_bearer", "codes", OFFLINE, "config.api_key", "fail", "api_key_bearer_prefix", 1,
       env={"OPENAI_API_KEY": f"Bearer {KEY}"}),
    _f("key_escape", "codes", OFFLINE, "config.api_key", "fail", "api_key_control_characters", 1,
       env={"OPENAI_API_KEY": KEY[:40] + "\x1b[2J" + KEY[40:]}),
    _f("key_unusual", "codes", OFFLINE, "config.api_key", "warn", "api_key_unusual_format", 0,
       env={"OPENAI_API_KEY": "key-" + KEY[8:]}),
    _f("org_id_newline", "codes", OFFLINE, "config.api_key", "fail", "api_header_invalid", 1,
       env={"OPENAI_ORG_ID": "org-chatdoctor\n"}),
    _f("base_url_empty", "codes", OFFLINE, "config.base_url", "fail", "base_url_empty", 1, env={"OPENAI_BASE_URL": ""}),
    _f("base_url_no_scheme", "codes", OFFLINE, "config.base_url", "fail", "base_url_invalid", 1,
       env={"OPENAI_BASE_URL": "localhost:8000/v1"}),
    _f("base_url_insecure", "codes", OFFLINE, "config.base_url", "fail", "base_url_insecure", 1,
       env={"OPENAI_BASE_URL": "http://api.chat-doctor.invalid/v1"}),
    _f("base_url_endpoint", "codes", OFFLINE, "config.base_url", "fail", "base_url_endpoint_path", 1,
       env={"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1/chat/completions"}),
    _f("base_url_no_v1", "codes", OFFLINE, "config.base_url", "warn", "base_url_no_version", 0,
       env={"OPENAI_BASE_URL": "http://localhost:11434"}),
    _f("azure_no_version", "codes", OFFLINE, "config.base_url", "fail", "azure_api_version_missing", 1,
       env={"OPENAI_API_KEY": "", "AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com/"}),
    _f("proxy_socks4", "codes", OFFLINE, "config.proxy", "fail", "proxy_invalid", 1, env={"HTTPS_PROXY": "socks4://p:1080"}),
    _f("proxy_socks5", "codes", OFFLINE, "config.proxy", "fail", "proxy_socks_unsupported", 1,
       env={"HTTPS_PROXY": "socks5://p:1080"}),
    _f("proxy_for_loopback", "codes", OFFLINE, "config.proxy", "warn", "proxy_for_loopback", 0,
       env={"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1", "HTTP_PROXY": "http://proxy.chat-doctor.invalid:3128"}),
    _f("no_proxy_port", "codes", OFFLINE, "config.proxy", "warn", "no_proxy_ineffective", 0,
       env={"HTTPS_PROXY": "http://proxy.chat-doctor.invalid:3128", "NO_PROXY": "api.openai.com:443"}),
    _f("offline", "codes", OFFLINE, "net.dns", "skip", "offline", 0, also=(("api.auth", "skip", "offline"),)),
    # --- codes: forged probe answers, and the system Python ---
    # 3.10 reached its end of life in October 2026; the machine's clock says whether that is past.
    _f("python_eol", "codes", OFFLINE, "python.interpreter", "warn", "python_eol", 1, peers.forged(_release("3.10.16")),
       also=(("packages.openai", "fail", "dependency_conflict"),), says="end of life"),
    _f("python_capped", "codes", OFFLINE, "python.interpreter", "warn", "openai_sdk_capped", 1,
       peers.forged(_release("3.8.18")), also=(("packages.openai", "fail", "dependency_conflict"),)),
    _f("python_too_old", "codes", OFFLINE, "python.interpreter", "fail", "python_too_old", 1, peers.forged(_too_old)),
    _f("ssl_missing", "codes", OFFLINE, "python.ssl", "fail", "ssl_missing", 1, peers.forged(_no_ssl)),
    _f("ssl_outdated", "codes", OFFLINE, "python.ssl", "warn", "ssl_library_outdated", 0, peers.forged(_old_ssl)),
    _f("urllib3_broken", "codes", OFFLINE, "python.urllib3", "fail", "urllib3_import_failed", 1,
       peers.forged(_urllib3_broken)),
    _f("certifi_gone", "codes", OFFLINE, "python.certs", "fail", "certifi_unusable", 1, peers.forged(_no_certifi)),
    _f("dependency_conflict", "codes", OFFLINE, "packages.openai", "fail", "dependency_conflict", 1,
       peers.forged(_conflict)),
    _f("openai_missing", "codes", OFFLINE, "packages.openai", "fail", "openai_missing", 1, peers.python_without_openai),
    # --- codes: network ---
    _f("dns_failure", "codes", CHECK, "net.dns", "fail", "dns_failure", 1, peers.url("https://api.chat-doctor.invalid/v1")),
    _f("connection_refused", "codes", CHECK, "net.tcp", "fail", "connection_refused", 1,
       peers.url("http://127.0.0.1:{free_port}/v1")),
    _f("connect_failed", "codes", CHECK, "net.tcp", "fail", "connect_failed", 1, peers.url("https://224.0.0.1:9/v1")),
    _f("connect_timeout", "codes", CHECK, "net.tcp", "fail", "connect_timeout", 1, peers.never_accepting),
    _f("healthy", "codes", CHECK, "net.tls", "skip", "tls_not_used", 0, peers.mock("ok"),
       also=(("api.auth", "ok", None), ("api.model", "ok", None))),
    # --- codes: the API ---
    _f("missing_scopes", "codes", CHECK, "api.auth", "warn", "missing_scopes", 0, peers.mock("scopes401"),
       also=(("api.model", "skip", "model_list_unavailable"),)),
    _f("ip_not_authorized", "codes", CHECK, "api.auth", "fail", "ip_not_authorized", 1, peers.mock("ip401")),
    _f("unsupported_region", "codes", CHECK, "api.auth", "fail", "unsupported_region", 1, peers.mock("region403")),
    _f("rate_limited", "codes", CHECK, "api.auth", "warn", "rate_limited", 0, peers.mock("rate429")),
    _f("server_error", "codes", CHECK, "api.auth", "fail", "server_error", 1, peers.mock("server500"),
       also=(("api.model", "skip", "prerequisite_failed"),)),
    _f("overloaded", "codes", CHECK, "api.auth", "fail", "overloaded", 1, peers.mock("overload503")),
    _f("model_unlisted", "codes", CHECK, "api.model", "warn", "model_unlisted", 0, peers.mock("model404")),
    _f("captive_portal", "codes", CHECK, "api.auth", "fail", "not_openai_api", 1, peers.mock("html")),
    _f("redirect", "codes", CHECK, "api.auth", "fail", "endpoint_redirects", 1, peers.mock("redirect")),
    _f("no_v1", "codes", CHECK, "api.auth", "fail", "endpoint_not_found", 1, peers.mock("ok", root=True)),
    _f("hang_up", "codes", CHECK, "api.auth", "fail", "connection_closed", 1, peers.hang_up),
    _f("bad_request", "codes", CHECK, "api.auth", "fail", "api_bad_request", 1,
       peers.raw(peers.answer(b'{"error": {"message": "bad", "type": "invalid_request_error"}}', "400 Bad Request"))),
    # LiteLLM without its database, the body as the real proxy sends it (tests/machine/test_real_server.py)
    _f("gateway_no_key_db", "codes", CHECK, "api.auth", "fail", "gateway_no_key_db", 1,
       peers.raw(peers.answer(b'{"error": {"message": "No connected db.", "type": "no_db_connection", '
                              b'"param": null, "code": "400"}}', "400 Bad Request"))),
    _f("teapot", "codes", CHECK, "api.auth", "fail", "unexpected_status", 1,
       peers.raw(peers.answer(b"I'm a teapot", "418 I'm a teapot"))),
    # PYTHONPATH reaches the target too, whose python.urllib3 then fails: exit 1, not 3.
    _f("urllib3_unimportable", "codes", CHECK, "api.auth", "error", "http_client_unavailable", 1,
       peers.shadowed("urllib3", BLOCKED_URLLIB3), also=(("python.urllib3", "fail", "urllib3_import_failed"),)),
    _f("no_key_online", "codes", (*CHECK, "--skip", "config"), "api.auth", "skip", "no_api_key", 0, peers.mock("ok"),
       env={"OPENAI_API_KEY": ""}),
    # --- codes: the smoke test ---
    _f("model_not_found", "codes", SMOKE, "stream.chat", "fail", "model_not_found", 1, peers.mock("model404")),
    _f("insufficient_quota", "codes", SMOKE, "stream.chat", "fail", "insufficient_quota", 1, peers.mock("quota429")),
    _f("permission_denied", "codes", SMOKE, "stream.chat", "fail", "permission_denied", 1, peers.mock("permission403")),
    _f("key_withheld", "codes", SMOKE, "stream.chat", "fail", "key_withheld_insecure", 1, peers.through_remote_proxy),
    # Paced slowly enough (1.3 s of generation, held back) that a starved client reading the burst
    # late still sees one burst; --timeout 3 so the held-back reply is not a stall.
    _f("stream_buffered", "codes", SMOKE, "stream.chat", "warn", "stream_buffered", 0,
       peers.mock("buffered", token_interval_ms=150), timeout=3.0),
    _f("stream_cut", "codes", SMOKE, "stream.chat", "fail", "stream_interrupted", 1, peers.mock("cut")),
    _f("stream_stall", "codes", SMOKE, "stream.chat", "fail", "stream_stalled", 1, peers.mock("stall")),
    _f("stream_bad_json", "codes", SMOKE, "stream.chat", "fail", "stream_malformed", 1, peers.mock("badjson")),
    _f("stream_error_event", "codes", SMOKE, "stream.chat", "fail", "stream_error_event", 1, peers.mock("errevent")),
    _f("stream_not_sse", "codes", SMOKE, "stream.chat", "fail", "stream_not_sse", 1, peers.mock("json_instead_of_sse")),
    _f("stream_empty", "codes", SMOKE, "stream.chat", "fail", "stream_empty", 1, peers.mock("ok", reply="")),
    _f("stream_client_setup", "codes", SMOKE, "stream.chat", "fail", "stream_client_setup", 1, peers.missing_cert_file),
    _f("stream_refused", "codes", SMOKE, "stream.chat", "fail", "stream_connection_failed", 1,
       peers.url("http://127.0.0.1:{free_port}/v1")),
    _f("stream_sdk_unimportable", "codes", SMOKE, "stream.chat", "fail", "stream_sdk_unavailable", 1,
       peers.shadowed("openai", BLOCKED_OPENAI)),
    _f("ttft_over_limit", "codes", (*SMOKE, "--max-ttft", "0.1"), "stream.chat", "fail", "ttft_over_limit", 4,
       peers.mock("ok", first_token_delay_ms=300)),
    _f("check_smoke", "codes", ("check", "--smoke", "--max-tokens", "8"), "stream.chat", "ok", None, 0, peers.mock("ok"),
       also=(("api.auth", "ok", None),)),
    # --- TLS ---
    _f("tls_trusted", "tls", CHECK, "net.tls", "ok", None, 0, peers.tls("good"), also=(("api.auth", "ok", None),)),
    _f("tls_unknown_ca", "tls", CHECK, "net.tls", "fail", "tls_unknown_ca", 1, peers.tls("unknown_ca"),
       also=(("api.auth", "skip", "prerequisite_failed"),)),
    _f("tls_self_signed", "tls", CHECK, "net.tls", "fail", "tls_self_signed", 1, peers.tls("self_signed")),
    _f("tls_expired", "tls", CHECK, "net.tls", "fail", "tls_expired", 1, peers.tls("expired")),
    _f("tls_wrong_host", "tls", CHECK, "net.tls", "fail", "tls_hostname_mismatch", 1, peers.tls("wrong_host")),
    _f("tls_to_plain_port", "tls", CHECK, "net.tls", "fail", "tls_handshake_failed", 1, peers.https_to_plain_http),
    _f("tls_silent", "tls", CHECK, "net.tls", "fail", "tls_handshake_failed", 1, peers.silent("https")),
    # --- CA files ---
    _f("ca_file_missing", "ca_files", CHECK, "net.tls", "fail", "tls_trust_store_unusable", 1,
       peers.tls("good", trust="missing"), also=(("python.certs", "fail", "ca_path_missing"),)),
    _f("ca_file_unreadable", "ca_files", CHECK, "python.certs", "fail", "ca_path_missing", 1, peers.unreadable_ca,
       also=(("net.tls", "fail", "tls_trust_store_unusable"),), says="not readable"),
    # --- proxies ---
    _f("proxy_dead_password", "proxies", CHECK, "net.tcp", "fail", "proxy_unreachable", 1, peers.dead_proxy(True),
       says="http://***@127.0.0.1:"),
    _f("proxy_407", "proxies", CHECK, "net.tcp", "fail", "proxy_auth_required", 1, peers.proxy(auth=("alice", peers.PROXY_PASSWORD))),
    _f("proxy_407_wrong_password", "proxies", CHECK, "net.tcp", "fail", "proxy_auth_required", 1,
       peers.proxy(auth=("alice", peers.PROXY_PASSWORD), credentials="wrong")),
    _f("proxy_credentials", "proxies", CHECK, "net.tcp", "ok", None, 0,
       peers.proxy(auth=("alice", peers.PROXY_PASSWORD), credentials="right"), also=(("api.auth", "ok", None),)),
    _f("proxy_credentials_smoke", "proxies", SMOKE, "stream.chat", "ok", None, 0,
       peers.proxy(auth=("alice", peers.PROXY_PASSWORD), credentials="right", https=False)),
    _f("proxy_hanging", "proxies", CHECK, "net.tcp", "fail", "proxy_unreachable", 1, peers.silent(as_proxy=True)),
    _f("proxy_502", "proxies", CHECK, "net.tcp", "fail", "proxy_tunnel_refused", 1, peers.proxy(upstream="closed")),
    # --- bad flags ---
    _f("flag_typo", "flags", ("check", "--ofline"), None, None, None, 2),
    _f("flag_unknown_command", "flags", ("chek",), None, None, None, 2),
    _f("flag_timeout_nan", "flags", ("check", "--offline"), None, None, None, 2, peers.flags("--timeout", "nan"), timeout=None),
    _f("flag_max_tokens_zero", "flags", ("smoke", "--max-tokens", "0"), None, None, None, 2),
    _f("flag_unknown_group", "flags", ("check", "--only", "network"), None, None, None, 2),
    # Once an unexpected PermissionError (exit 3): pathlib raises EACCES for a path it may not look at.
    _f("flag_python_unreachable", "flags", OFFLINE, None, None, None, 2, peers.unreachable_python),
    _f("flag_python_missing", "flags", ("check", "--python", "/nonexistent/chat-doctor/python"), None, None, None, 2),
    _f("flag_junit_empty", "flags", ("check", "--offline"), None, None, None, 2, peers.flags("--junit", "")),
    _f("flag_offline_smoke", "flags", ("check", "--offline", "--smoke"), None, None, None, 2),
    # --- target interpreters ---
    _f("python_hangs", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("sleep 30 &\nwait\n"), says="did not answer within 2 s"),
    _f("python_crashes", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("echo 'Fatal Python error: init_fs_encoding' >&2\nexit 3\n"), says="exited with status 3"),
    _f("python_segfaults", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("kill -SEGV $$\n"), says="killed by signal 11"),
    _f("python_floods_stdout", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("head -c 100000000 /dev/zero\n"), says="too large"),
    _f("python_floods_stderr", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("head -c 100000000 /dev/zero >&2\n"), says="stderr"),
    _f("python_child_keeps_stdout", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("sleep 30 &\nexit 0\n")),
    _f("python_garbage", "interpreters", OFFLINE, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter("echo 'Hello, I am definitely Python'\n"), says="printed no probe answer"),
    _f("python_hangs_online", "interpreters", CHECK, "python.interpreter", "fail", "probe_failed", 1,
       peers.interpreter_and_mock("sleep 30 &\nwait\n"), also=(("api.auth", "ok", None),)),
    # --- .env ---
    _f("dotenv_only", "dotenv", OFFLINE, "config.api_key", "fail", "api_key_in_dotenv_only", 1,
       peers.dotenv(f"OPENAI_API_KEY={peers.DOTENV_KEY}\n", unset_key=True)),
    _f("dotenv_different", "dotenv", OFFLINE, "config.api_key", "ok", None, 0,
       peers.dotenv(f"export OPENAI_API_KEY='{peers.DOTENV_KEY}'\n"), says="a different value: the environment wins"),
    _f("dotenv_only_bad", "dotenv", OFFLINE, "config.api_key", "fail", "api_key_in_dotenv_only", 1,
       peers.dotenv(f'OPENAI_API_KEY="{peers.DOTENV_KEY} "\r\n', unset_key=True), says="api_key_whitespace"),
    # --- hostile servers ---
    _f("random_bytes", "servers", CHECK, "api.auth", "fail", "connection_closed", 1, peers.raw(peers.random_bytes)),
    _f("http_0_9", "servers", CHECK, "api.auth", "fail", "connection_closed", 1, peers.raw(peers.http_09)),
    _f("body_50_mb", "servers", CHECK, "api.auth", "fail", "response_too_long", 1, peers.raw(peers.fifty_mb)),
    _f("headers_after_timeout", "servers", CHECK, "api.auth", "fail", "read_timeout", 1,
       peers.raw(peers.late_headers(2.5))),
    _f("byte_a_second", "servers", CHECK, "api.auth", "fail", "read_timeout", 1, peers.raw(peers.byte_a_second)),
    _f("endless_headers", "servers", CHECK, "api.auth", "fail", "response_too_long", 1, peers.raw(peers.endless_headers)),
    _f("redirect_loop", "servers", CHECK, "api.auth", "fail", "endpoint_redirects", 1, peers.redirect_loop),
    _f("silent_server", "servers", CHECK, "api.auth", "fail", "read_timeout", 1, peers.silent()),
    _f("slowloris", "servers", SMOKE, "stream.chat", "fail", "stream_timeout", 1, peers.mock("slowloris")),
    _f("endless_sse", "servers", SMOKE, "stream.chat", "warn", "max_tokens_ignored", 0, peers.mock("endless")),
    _f("keepalive_forever", "servers", SMOKE, "stream.chat", "fail", "stream_stalled", 1, peers.mock("keepalive_forever")),
    # The run bound: 3 x --timeout plus a quarter second per token asked for (4): 4 s.
    _f("empty_events_forever", "servers", ("smoke", "--max-tokens", "4"), "stream.chat", "fail", "stream_too_long", 1,
       peers.mock("empty_events"), bound_s=4.0),
    _f("endless_line", "servers", SMOKE, "stream.chat", "fail", "stream_too_long", 1, peers.mock("endless_line")),
    # --timeout 3: the mock builds its 1 MB bomb on first use, before the headers, slowly on a busy machine.
    _f("gzip_bomb", "servers", SMOKE, "stream.chat", "fail", "stream_too_long", 1, peers.mock("gzip_bomb"), timeout=3.0),
    # --- the key echoed back ---
    _f("echo_in_message", "echoes", CHECK, "api.auth", "fail", "invalid_api_key", 1, peers.echo("message"),
       says="sk-proj-…CNRY"),
    _f("echo_in_header", "echoes", (*CHECK, "-v"), "api.auth", "fail", "invalid_api_key", 1, peers.echo("header")),
    _f("echo_base64", "echoes", CHECK, "api.auth", "fail", "invalid_api_key", 1, peers.echo("base64")),
    _f("echo_split_in_chunks", "echoes", CHECK, "api.auth", "fail", "invalid_api_key", 1, peers.echo("chunks")),
    _f("echo_smoke_console", "echoes", ("check", "--smoke", "-v", "--max-tokens", "8"), "api.auth", "fail",
       "invalid_api_key", 1, peers.mock("auth401"), json=False),
    _f("echo_streamed", "echoes", ("smoke", "--runs", "2", "--max-tokens", "64"), "stream.chat", "ok", None, 0,
       peers.mock("echo_key")),
    _f("echo_streamed_console", "echoes", ("smoke", "-v", "--max-tokens", "64"), "stream.chat", "ok", None, 0,
       peers.mock("echo_key"), json=False),
    # 27,600 characters of the key back to back, one run of its pieces that could always go on:
    # the stream redactor held all of it and re-read it at every chunk (18 s here; now 2.7 s).
    _f("echo_back_to_back", "echoes", ("smoke", "-v", "--max-tokens", "20000"), "stream.chat", "ok", None, 0,
       peers.mock("echo_key_back_to_back"), json=False, bound_s=3.0),
)

BY_NAME: Dict[str, Fault] = {fault.name: fault for fault in FAULTS}


# --- running --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    fault: Fault
    exit_code: Optional[int] = None  # None: killed after HARD_LIMIT_S (a hang)
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    junit: Optional[str] = None
    summary: Optional[str] = None
    secrets: Tuple[str, ...] = (CANARY_KEY,)
    skipped: Optional[str] = None
    broken: Optional[str] = None  # the peer itself failed: a bug in the test, not in chat-doctor

    @property
    def document(self) -> Dict[str, Any]:
        return json.loads(self.stdout)

    def result(self, check_id: str) -> Dict[str, Any]:
        for result in self.document["checks"]:
            if result["id"] == check_id:
                return result
        raise KeyError(check_id)


HARD_LIMIT_S = 60.0  # a run still going then is a hang: killed, and the row fails


def command(fault: Fault, setup: Setup, workdir: Path) -> List[str]:
    args = [*setup.prefix, CHAT_DOCTOR, *fault.args]
    if fault.json:
        args.append("--json")
    if fault.timeout is not None:
        args += ["--timeout", f"{fault.timeout:g}"]
    return [*args, "--junit", str(workdir / "j.xml"), *setup.args]


def run_fault(fault: Fault) -> Outcome:
    outcome = Outcome(fault)
    base = Path(tempfile.mkdtemp(prefix=f"chat-doctor-fault-{fault.name}-"))
    try:
        with fault.peer(base) as setup:
            workdir = setup.workdir or base
            env = {name: value for name, value in os.environ.items()
                   if not name.upper().startswith(("OPENAI_", "AZURE_OPENAI_"))}
            env.update(OPENAI_API_KEY=CANARY_KEY, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(workdir / "summary.md"),
                       NO_COLOR="1", COLUMNS="200")
            env.update(fault.env)
            env.update(setup.env)
            for name in setup.unset:
                env.pop(name, None)
            outcome.secrets = (CANARY_KEY, *setup.secrets)
            started = time.monotonic()
            proc = subprocess.Popen(command(fault, setup, workdir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=env, cwd=str(workdir), start_new_session=True)
            try:
                out, err = proc.communicate(timeout=HARD_LIMIT_S)
                outcome.exit_code = proc.returncode
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
            outcome.wall_s = time.monotonic() - started
            outcome.stdout, outcome.stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
            for name, attr in (("j.xml", "junit"), ("summary.md", "summary")):
                path = workdir / name
                if path.exists():
                    setattr(outcome, attr, path.read_text(encoding="utf-8", errors="replace"))
    except peers.Unavailable as reason:
        outcome.skipped = str(reason)
    except Exception as exc:  # noqa: BLE001  # reported by the row's test, not lost in a worker thread
        outcome.broken = f"{type(exc).__name__}: {exc}"
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    return outcome


def _median_wall(args: List[str], env: Optional[Mapping[str, str]] = None) -> float:
    """The median wall time of `chat-doctor ARGS`, run MATRIX_WORKERS at a time (as the rows are),
    three rounds."""
    def once(_: int) -> float:
        started = time.monotonic()
        subprocess.run([CHAT_DOCTOR, *args], capture_output=True, check=False, timeout=HARD_LIMIT_S,
                       env={**os.environ, **(env or {})})
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=MATRIX_WORKERS) as pool:
        times = sorted(pool.map(once, range(3 * MATRIX_WORKERS)))
    return times[len(times) // 2]


def references() -> Tuple[float, float]:
    """What no bound covers, on this machine now (see SLACK_S): the CLI's start-up, and a healthy
    smoke test's start-up with the SDK's import and first call (its stream takes ~0.1 s)."""
    startup = _median_wall(["check", "--help"])
    with running("ok") as server:
        smoke = _median_wall(["smoke", "--json", "--max-tokens", "8", "--base-url", server.base_url],
                             env={"OPENAI_API_KEY": CANARY_KEY})
    return startup, smoke


REFERENCE_EVERY = 12


def reference_pair(base_url: str) -> Tuple[float, float]:
    """One start-up and one healthy smoke run's wall time, now (see `references`)."""
    walls = []
    for args in (["check", "--help"], ["smoke", "--json", "--max-tokens", "8", "--base-url", base_url]):
        started = time.monotonic()
        subprocess.run([CHAT_DOCTOR, *args], capture_output=True, check=False, timeout=HARD_LIMIT_S,
                       env={**os.environ, "OPENAI_API_KEY": CANARY_KEY})
        walls.append(time.monotonic() - started)
    return walls[0], walls[1]


def upper_quartile(values: List[float]) -> List[float]:
    ordered = sorted(values)
    return [ordered[(3 * len(ordered)) // 4]] if ordered else []


def interleaved(names: List[str]) -> List[str]:
    """Smoke runs (the SDK's import is the costliest start-up) between the others, not side by side."""
    streams = [name for name in names if BY_NAME[name].streams]
    others = [name for name in names if not BY_NAME[name].streams]
    order: List[str] = []
    step = max(1, len(others) // max(1, len(streams)))
    while streams or others:
        if streams:
            order.append(streams.pop(0))
        order += others[:step]
        others = others[step:]
    return order


@dataclass(frozen=True)
class Matrix:
    outcomes: Dict[str, Outcome]
    startup_s: float
    smoke_s: float

    def reference_s(self, fault: Fault) -> float:
        return self.smoke_s if fault.streams else self.startup_s

    def limit(self, fault: Fault) -> float:
        return fault.bound + SLACK_S + LOAD * self.reference_s(fault)


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest) -> Matrix:
    """Every selected row run once, MATRIX_WORKERS at a time."""
    wanted = [item.callspec.params["name"] for item in request.session.items
              if item.module is request.module and hasattr(item, "callspec") and "name" in item.callspec.params]
    startup, smoke = references()
    order = interleaved(wanted)
    # Other jobs come and go: the references are measured again among the rows, every REFERENCE_EVERY.
    tasks: List[Optional[str]] = []
    for index, name in enumerate(order):
        if index and index % REFERENCE_EVERY == 0:
            tasks.append(None)
        tasks.append(name)
    with running("ok") as server, ThreadPoolExecutor(max_workers=MATRIX_WORKERS, thread_name_prefix="fault") as pool:
        def task(name: Optional[str]) -> Any:
            return run_fault(BY_NAME[name]) if name is not None else reference_pair(server.base_url)

        results = list(pool.map(task, tasks))
    pairs = [result for result in results if isinstance(result, tuple)]
    startup = max([startup, *(upper_quartile([pair[0] for pair in pairs]) if pairs else [])])
    smoke = max([smoke, *(upper_quartile([pair[1] for pair in pairs]) if pairs else [])])
    done = Matrix({name: result for name, result in zip(tasks, results) if name is not None}, startup, smoke)
    if TIMES_FILE:
        with open(TIMES_FILE, "w", encoding="utf-8") as out:
            out.write(f"references: start-up {startup:.2f} s, smoke {smoke:.2f} s\n")
            for name, outcome in done.outcomes.items():
                out.write(f"{name} {outcome.wall_s:.2f} {done.limit(outcome.fault):.2f} {outcome.exit_code}\n")
    return done


# --- judging --------------------------------------------------------------------------------------


def leaked(text: str, secret: str) -> List[str]:
    pieces = {secret[i:i + PIECE] for i in range(len(secret) - PIECE + 1)}
    return sorted({text[i:i + PIECE] for i in range(max(0, len(text) - PIECE + 1))} & pieces)


def strings_of(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def texts_to_search(outcome: Outcome) -> Dict[str, str]:
    """Every output, also decoded: JSON strings, XML entities, Markdown escapes."""
    texts = {"stdout": outcome.stdout, "stderr": outcome.stderr}
    if outcome.fault.json and outcome.exit_code != 2:
        texts["json"] = "\n".join(strings_of(outcome.document))
    if outcome.junit is not None:
        texts["junit"] = outcome.junit + "\n" + html.unescape(outcome.junit)
    if outcome.summary is not None:
        texts["summary"] = outcome.summary + "\n" + re.sub(r"\\(.)", r"\1", outcome.summary)
    return texts


STATUS_CELLS = {"ok": "✅ ok", "warn": "⚠️ warn", "fail": "❌ fail", "skip": "⏭️ skip", "error": "💥 error"}


def expectations(fault: Fault) -> List[Tuple[str, str, Optional[str]]]:
    first = [(fault.check, fault.status or "", fault.code)] if fault.check else []
    return [*first, *fault.also]


@pytest.mark.parametrize("name", [pytest.param(f.name, id=f.name, marks=[pytest.mark.xfail(reason=f.xfail, strict=True)]
                                               if f.xfail else []) for f in FAULTS])
def test_fault(name: str, matrix: Matrix) -> None:
    outcome = matrix.outcomes[name]
    fault = outcome.fault
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    assert outcome.broken is None, outcome.broken
    where = f"{fault.name}: exit {outcome.exit_code}, {outcome.wall_s:.2f} s\nstdout: {outcome.stdout[-3000:]}\nstderr: {outcome.stderr[-3000:]}"
    # Bounded: ends, and within the documented bound plus a second (plus this machine's start-up).
    assert outcome.exit_code is not None, f"still running after {HARD_LIMIT_S:g} s\n{where}"
    limit = matrix.limit(fault)
    assert outcome.wall_s <= limit, f"took {outcome.wall_s:.2f} s; bound {fault.bound:g} s, limit {limit:.2f} s\n{where}"
    # No traceback, no secret.
    for mark in ("Traceback", "Exception ignored"):
        assert mark not in outcome.stdout + outcome.stderr, where
    for label, text in texts_to_search(outcome).items():
        for secret in outcome.secrets:
            found = leaked(text, secret)
            assert not found, f"{len(found)} piece(s) of a secret in {label}, e.g. {found[0][:3]}…\n{where}"
    # The documented exit code, and code on its check.
    assert outcome.exit_code == fault.exit, where
    if fault.exit == 2:
        assert outcome.stdout == "", where
        assert outcome.stderr.count("\n") == 1 and "error:" in outcome.stderr, where
        assert outcome.junit is None, "a usage error wrote a JUnit file"
        return
    assert outcome.junit is not None and outcome.summary is not None, "no JUnit file or no step summary"
    if fault.json:
        document = outcome.document
        assert document["exit_code"] == fault.exit, where
        for check_id, status, code in expectations(fault):
            result = outcome.result(check_id)
            assert (result["status"], result["code"]) == (status, code), (result, where)
        if fault.says:
            result = outcome.result(fault.check or "")
            assert fault.says in " ".join([result["summary"], *result["details"]]), result
    elif fault.says:
        assert fault.says in outcome.stdout, where
    for check_id, status, code in expectations(fault):
        row = f"| {STATUS_CELLS[status]} | `{check_id}` | " + (f"`{code}` |" if code else "")
        assert row in outcome.summary, (row, outcome.summary)
        if status in ("fail", "error"):
            tag = "failure" if status == "fail" else "error"
            assert re.search(rf'<testcase [^>]*name="{re.escape(check_id)}"[^>]*>\s*<{tag} [^>]*type="{code}"',
                             outcome.junit), outcome.junit


# --- the table itself, and the README -------------------------------------------------------------


def test_the_table_is_large_and_every_row_is_in_a_class() -> None:
    assert len(FAULTS) >= 50
    assert len(BY_NAME) == len(FAULTS), "two rows share a name"
    assert {fault.cls for fault in FAULTS} == set(CLASSES)
    for fault in FAULTS:
        assert (fault.check is None) == (fault.exit == 2), fault.name


def test_the_codes_are_the_registry_s() -> None:
    from doctor.knowledge.diagnoses import all_diagnoses

    registered = {diagnosis.code for diagnosis in all_diagnoses()}
    for fault in FAULTS:
        for _, _, code in expectations(fault):
            assert code is None or code in registered, (fault.name, code)


README_START, README_END = "<!-- faults:start -->", "<!-- faults:end -->"


def readme_block() -> str:
    counts = {cls: sum(1 for fault in FAULTS if fault.cls == cls) for cls in CLASSES}
    codes = sorted({code for fault in FAULTS for _, _, code in expectations(fault) if code})
    lines = [README_START, "| class | scenarios | what |", "| --- | --- | --- |"]
    lines += [f"| {cls} | {counts[cls]} | {CLASSES[cls]} |" for cls in CLASSES]
    lines += [f"| **all** | **{len(FAULTS)}** | {len(codes)} distinct diagnosis codes |", README_END]
    return "\n".join(lines)


def replace_block(readme: str, block: str) -> str:
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    return readme[:start] + block + readme[end:]


def test_the_readme_counts_are_the_table_s() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert replace_block(readme, readme_block()) == readme, \
        "README Reliability table is stale: run `python -m tests.local.test_fault_matrix --write`"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.local.test_fault_matrix --write")
    path = REPO / "README.md"
    path.write_text(replace_block(path.read_text(encoding="utf-8"), readme_block()), encoding="utf-8")
