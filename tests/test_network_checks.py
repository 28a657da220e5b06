"""net.dns, net.tcp, net.tls: pure rules from fixture facts, and the real CLI against real
servers on 127.0.0.1 (the mock endpoint with certificates made here, a refused port, a
`.invalid` name, a CONNECT proxy that is down or wants credentials)."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

from doctor.checks import network
from doctor.checks.network import ConnectionFact, DnsFact, Route, TlsFact, TrustOutcome
from doctor.model import Status
from doctor.net.resolve import Address
from doctor.net.trust import TrustInputs, TrustSpec, build_context, default_trust, sdk_trust
from doctor.mock.server import MockOptions, MockServer
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY, Run, run_cli
from tests.support.tls_certs import ServerCert, TlsMaterial

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    return TlsMaterial(tmp_path_factory.mktemp("tls"))


@contextlib.contextmanager
def tls_server(cert: ServerCert, scenario: str = "ok") -> Iterator[MockServer]:
    with MockServer(MockOptions(scenario=scenario, certfile=cert.certfile, keyfile=cert.keyfile)) as server:
        yield server


def check(base_url: str, env: Optional[Dict[str, str]] = None, *extra: str) -> Run:
    run = run_cli(["check", "--json", "--base-url", base_url, "--timeout", "2", *extra],
                  env={"OPENAI_API_KEY": CANARY_KEY, **(env or {})})
    assert CANARY_KEY not in run.output
    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------
# trust: which CAs the SDK and the default context use (pure)
# --------------------------------------------------------------------------------------------


def _fs(files: tuple = (), dirs: tuple = ()) -> Dict[str, Any]:
    """A pretend filesystem for the pure trust rules: which paths are files and which directories."""
    return dict(isfile=lambda p: p in files, isdir=lambda p: p in dirs, listdir=lambda p: ["1a2b3c4d.0"])


LINUX = TrustInputs(python_version=(3, 11), system="Linux", openai_version="3.57.0",
                    openssl_cafile="/usr/lib/ssl/cert.pem", openssl_capath="/usr/lib/ssl/certs",
                    certifi_cafile="/venv/certifi/cacert.pem")


def test_openai3_on_linux_uses_the_compiled_in_openssl_paths_not_certifi() -> None:
    spec = sdk_trust(LINUX, **_fs(("/usr/lib/ssl/cert.pem",), ("/usr/lib/ssl/certs",)))
    assert (spec.source, spec.cafile, spec.capath, spec.strict) == ("openssl_default", "/usr/lib/ssl/cert.pem", "/usr/lib/ssl/certs", False)
    assert "httpx2" in spec.client


def test_openai3_falls_back_to_a_distro_bundle_when_the_compiled_paths_are_missing() -> None:
    spec = sdk_trust(LINUX, **_fs(("/etc/pki/tls/cert.pem",)))
    assert (spec.source, spec.cafile) == ("ca_candidate", "/etc/pki/tls/cert.pem")


def test_openai3_prefers_ssl_cert_file_then_dir_and_a_missing_file_is_fatal() -> None:
    inputs = TrustInputs(**{**LINUX.__dict__, "ssl_cert_file": "/corp/ca.pem", "ssl_cert_dir": "/corp/certs"})
    spec = sdk_trust(inputs, **_fs(("/corp/ca.pem",)))
    assert (spec.source, spec.cafile, spec.capath, spec.problem) == ("SSL_CERT_FILE", "/corp/ca.pem", None, None)
    missing = sdk_trust(inputs, **_fs())
    assert missing.problem and "FileNotFoundError" in missing.problem
    only_dir = sdk_trust(TrustInputs(**{**LINUX.__dict__, "ssl_cert_dir": "/corp/certs"}), **_fs(dirs=("/corp/certs",)))
    assert (only_dir.source, only_dir.capath) == ("SSL_CERT_DIR", "/corp/certs")


def test_openai3_on_macos_and_windows_uses_the_os_store() -> None:
    for system in ("Darwin", "Windows"):
        spec = sdk_trust(TrustInputs(**{**LINUX.__dict__, "system": system}))
        assert spec.os_store and spec.source == "os_store"


def test_openai2_uses_certifi_unless_ssl_cert_file() -> None:
    old = TrustInputs(**{**LINUX.__dict__, "openai_version": "1.109.1", "httpx_version": "0.28.1"})
    spec = sdk_trust(old, **_fs(("/venv/certifi/cacert.pem",)))
    assert (spec.source, spec.cafile) == ("certifi", "/venv/certifi/cacert.pem") and "httpx" in spec.client
    with_file = sdk_trust(TrustInputs(**{**old.__dict__, "ssl_cert_file": "/corp/ca.pem"}), **_fs(("/corp/ca.pem",)))
    assert (with_file.source, with_file.cafile) == ("SSL_CERT_FILE", "/corp/ca.pem")
    # httpx < 0.28 ignored a SSL_CERT_FILE naming a missing file and kept certifi.
    older = TrustInputs(**{**old.__dict__, "httpx_version": "0.27.2", "ssl_cert_file": "/gone.pem"})
    assert sdk_trust(older, **_fs(("/venv/certifi/cacert.pem",))).source == "certifi"


def test_without_openai_the_trust_is_that_of_the_version_pip_would_install() -> None:
    py39 = TrustInputs(**{**LINUX.__dict__, "python_version": (3, 9), "openai_version": None})
    assert sdk_trust(py39, **_fs(("/venv/certifi/cacert.pem",))).source == "certifi"
    py312 = TrustInputs(**{**LINUX.__dict__, "python_version": (3, 12), "openai_version": None})
    assert sdk_trust(py312, **_fs(("/usr/lib/ssl/cert.pem",))).source == "openssl_default"


def test_default_context_honours_both_variables_and_is_strict_from_313() -> None:
    inputs = TrustInputs(**{**LINUX.__dict__, "python_version": (3, 13), "ssl_cert_file": "/corp/ca.pem"})
    spec = default_trust(inputs, isfile=lambda p: p == "/corp/ca.pem", isdir=lambda p: p == "/usr/lib/ssl/certs")
    assert (spec.cafile, spec.capath, spec.strict) == ("/corp/ca.pem", "/usr/lib/ssl/certs", True)
    assert not default_trust(LINUX, isfile=lambda p: p == "/usr/lib/ssl/cert.pem", isdir=lambda p: False).strict


def test_build_context_mirrors_the_strict_flag() -> None:
    import ssl

    strict = getattr(ssl, "VERIFY_X509_STRICT", 0)
    assert build_context(TrustSpec("sdk", "x", "none", strict=True)).verify_flags & strict
    assert not build_context(TrustSpec("sdk", "x", "none", strict=False)).verify_flags & strict


# --------------------------------------------------------------------------------------------
# judging from fixture facts (pure)
# --------------------------------------------------------------------------------------------

ROUTE = Route("https://api.example.test/v1", "https", "api.example.test", 443)
DNS_OK = DnsFact("api.example.test", 443, False, (Address(socket.AF_INET, "192.0.2.10", 443),), elapsed_ms=12.3)
SDK = TrustSpec("sdk", "openai 3.57.0 (httpx2)", "openssl_default", cafile="/usr/lib/ssl/cert.pem")
DEFAULT = TrustSpec("default", "ssl.create_default_context()", "default_verify_paths", cafile="/etc/ssl/corp.pem")


def test_dns_failure_and_proxy_host_failure_are_told_apart() -> None:
    failed = DnsFact("api.example.invalid", 443, False, elapsed_ms=3, error_kind="not_found", error="Name or service not known")
    result = network.judge_dns(ROUTE, failed)
    assert (result.status, result.code) == (Status.FAIL, "dns_failure")
    assert "getent hosts api.example.invalid" in [f.command for f in result.fixes]
    proxied = Route(**{**ROUTE.__dict__, "proxy_host": "proxy.invalid", "proxy_port": 3128, "proxy_scheme": "http",
                       "proxy_shown": "http://proxy.invalid:3128", "proxy_variable": "HTTPS_PROXY"})
    via = network.judge_dns(proxied, DnsFact("proxy.invalid", 3128, True, error_kind="not_found", error="x"))
    assert via.code == "proxy_unreachable"
    good = network.judge_dns(ROUTE, DNS_OK)
    assert good.status is Status.OK and good.data["timings_ms"] == {"dns": 12.3} and good.data["addresses"] == ["192.0.2.10"]


def test_tcp_rules() -> None:
    refused = network.judge_tcp(ROUTE, DNS_OK, ConnectionFact(error_kind="refused", error="x", connect_ms=1), 5)
    timeout = network.judge_tcp(ROUTE, DNS_OK, ConnectionFact(error_kind="timeout", error="x", connect_ms=5000), 5)
    auth = network.judge_tcp(
        Route(**{**ROUTE.__dict__, "proxy_host": "p", "proxy_port": 3128, "proxy_scheme": "http",
                 "proxy_shown": "http://p:3128", "proxy_variable": "HTTPS_PROXY"}),
        DnsFact("p", 3128, True, (Address(socket.AF_INET, "192.0.2.3", 3128),)),
        ConnectionFact(address="192.0.2.3:3128", connect_ms=1, tunnel_ms=2, tunnel_status=407,
                       tunnel_error_kind="auth_required", tunnel_error="407", tunnel_challenge='Basic realm="x"'), 5)
    assert [r.code for r in (refused, timeout, auth)] == ["connection_refused", "connect_timeout", "proxy_auth_required"]
    assert "USER:PASSWORD@p:3128" in auth.fixes[0].command


def _tls_fact(sdk_ok: bool, default_ok: bool, kind: Optional[str] = "unknown_ca") -> TlsFact:
    def outcome(spec: TrustSpec, good: bool) -> TrustOutcome:
        if good:
            return TrustOutcome(spec, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256", 1.0, None, 4.0)
        return TrustOutcome(spec, False, connect_ms=1.0, tls_ms=3.0, failure_kind=kind, failure="unable to get local issuer certificate", verify_code=20)

    return TlsFact("api.example.test", outcome(SDK, sdk_ok), outcome(DEFAULT, default_ok))


def test_sdk_trusts_but_default_does_not_is_a_warning() -> None:
    result = network.judge_tls(_tls_fact(True, False), DNS_OK)
    assert (result.status, result.code) == (Status.WARN, "tls_trust_differs")
    assert result.data["trust"]["sdk"]["ok"] and not result.data["trust"]["default"]["ok"]


def test_default_trusts_but_sdk_does_not_fails_with_the_sdk_cause_and_says_why_curl_works() -> None:
    result = network.judge_tls(_tls_fact(False, True), DNS_OK)
    assert (result.status, result.code) == (Status.FAIL, "tls_unknown_ca")
    assert "default trust accepts it" in result.summary
    assert any("curl" in d for d in result.details)
    assert result.fixes[0].command == "export SSL_CERT_FILE=/etc/ssl/corp.pem"
    assert any("truststore" in (f.command or "") for f in result.fixes)
    assert any("corporate" in f.text for f in result.fixes)


@pytest.mark.parametrize("kind, code", [("self_signed", "tls_self_signed"), ("expired", "tls_expired"),
                                        ("not_yet_valid", "tls_expired"), ("hostname_mismatch", "tls_hostname_mismatch"),
                                        ("protocol", "tls_handshake_failed"), ("timeout", "tls_handshake_failed")])
def test_each_tls_failure_kind_has_its_code_and_a_fix(kind: str, code: str) -> None:
    result = network.judge_tls(_tls_fact(False, False, kind), DNS_OK)
    assert result.code == code and result.fixes


# --------------------------------------------------------------------------------------------
# through the real CLI against real servers
# --------------------------------------------------------------------------------------------


def test_good_certificate_trusted_through_ssl_cert_file(certs: TlsMaterial) -> None:
    with tls_server(certs.good) as server:
        run = check(server.base_url, {"SSL_CERT_FILE": certs.ca_file})
    tls = run.check("net.tls")
    assert tls["status"] == "ok", tls
    assert tls["data"]["protocol"].startswith("TLSv1")
    assert "127.0.0.1" in tls["data"]["certificate"]["names"]
    assert set(tls["data"]["timings_ms"]) >= {"dns", "connect", "tls"}
    assert tls["data"]["trust"]["sdk"]["source"] == "SSL_CERT_FILE"
    assert run.check("api.auth")["status"] == "ok"
    assert run.check("api.auth")["data"]["timings_ms"]["tls"] > 0
    assert run.exit_code == 0


def test_unknown_ca_fails_then_passes_once_ssl_cert_file_names_it(certs: TlsMaterial) -> None:
    with tls_server(certs.unknown_ca) as server:
        before = check(server.base_url)
        after = check(server.base_url, {"SSL_CERT_FILE": certs.other_ca_file})
        requests_with_key = [r for r in server.requests if r.authorized]
    tls = before.check("net.tls")
    assert (tls["status"], tls["code"]) == ("fail", "tls_unknown_ca")
    assert "untrusted CA" in tls["data"]["certificate"]["issuer"]
    assert any("TLS-inspecting" in f["text"] or "corporate" in f["text"] for f in tls["fixes"])
    assert before.check("api.auth")["status"] == "skip" and before.exit_code == 1
    assert after.check("net.tls")["status"] == "ok" and after.check("api.auth")["status"] == "ok"
    assert after.exit_code == 0
    assert len(requests_with_key) == 1  # only the trusted run sent the key


@pytest.mark.parametrize("which, code", [("self_signed", "tls_self_signed"), ("expired", "tls_expired"),
                                         ("wrong_host", "tls_hostname_mismatch")])
def test_bad_certificates(certs: TlsMaterial, which: str, code: str) -> None:
    with tls_server(getattr(certs, which)) as server:
        run = check(server.base_url, {"SSL_CERT_FILE": certs.ca_file})
        assert not [r for r in server.requests if r.authorized], "the key went to a server that failed TLS"
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("fail", code), tls
    assert tls["data"]["certificate"] is not None  # fetched without verification, to show what was presented
    assert run.exit_code == 1


def test_sdk_and_default_trust_disagree(certs: TlsMaterial) -> None:
    """SSL_CERT_FILE wins over SSL_CERT_DIR for the SDK; the default context reads both."""
    capath = certs.hashed_dir(certs.ca_file)
    if capath is None:
        pytest.skip("needs the openssl command to hash a CA directory")
    with tls_server(certs.good) as server:
        run = check(server.base_url, {"SSL_CERT_FILE": certs.other_ca_file, "SSL_CERT_DIR": capath})
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("fail", "tls_unknown_ca")
    assert tls["data"]["trust"]["default"]["ok"] and not tls["data"]["trust"]["sdk"]["ok"]
    assert "unset SSL_CERT_FILE" in [f["command"] for f in tls["fixes"]]


def test_missing_ssl_cert_file_is_reported_as_unusable_trust(certs: TlsMaterial, tmp_path: Path) -> None:
    with tls_server(certs.good) as server:
        run = check(server.base_url, {"SSL_CERT_FILE": str(tmp_path / "nope.pem")})
    assert run.check("net.tls")["code"] == "tls_trust_store_unusable"


def test_http_endpoint_skips_tls() -> None:
    with MockServer(MockOptions()) as server:
        run = check(server.base_url)
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("skip", "tls_not_used")
    assert run.check("api.auth")["status"] == "ok" and run.exit_code == 0


def test_https_to_a_plain_http_port_is_a_handshake_failure() -> None:
    with MockServer(MockOptions()) as server:
        run = check(server.base_url.replace("http://", "https://"))
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("fail", "tls_handshake_failed")
    assert "http://" in tls["summary"]


def test_refused_port() -> None:
    run = check(f"http://127.0.0.1:{free_port()}/v1")
    tcp = run.check("net.tcp")
    assert (tcp["status"], tcp["code"]) == ("fail", "connection_refused")
    assert run.check("net.dns")["status"] == "ok"
    assert [run.check(i)["status"] for i in ("net.tls", "api.auth", "api.model")] == ["skip", "skip", "skip"]
    assert run.exit_code == 1


def test_a_name_under_invalid_does_not_resolve() -> None:
    run = check("https://api.chat-doctor.invalid/v1")
    dns = run.check("net.dns")
    assert (dns["status"], dns["code"]) == ("fail", "dns_failure")
    assert run.check("net.tcp")["code"] == "prerequisite_failed" and run.exit_code == 1


def test_localhost_resolves_and_connects() -> None:
    with MockServer(MockOptions()) as server:
        run = check(f"http://localhost:{server.port}/v1")
    assert run.check("net.dns")["data"]["addresses"]
    assert run.check("net.tcp")["status"] == "ok" and run.check("api.auth")["status"] == "ok"


# --------------------------------------------------------------------------------------------
# proxies
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_is_down(certs: TlsMaterial, scheme: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    cert = certs.good if scheme == "https" else None
    options = MockOptions(certfile=cert.certfile, keyfile=cert.keyfile) if cert else MockOptions()
    with MockServer(options) as server:
        run = check(server.base_url, {"HTTPS_PROXY": dead, "HTTP_PROXY": dead, "SSL_CERT_FILE": certs.ca_file})
        assert not server.requests
    tcp = run.check("net.tcp")
    assert (tcp["status"], tcp["code"]) == ("fail", "proxy_unreachable"), tcp
    assert tcp["data"]["via_proxy"] == dead
    assert run.exit_code == 1


def test_a_proxy_that_wants_credentials(certs: TlsMaterial) -> None:
    with tls_server(certs.good) as server, ConnectProxy(auth=("alice", "s3cr3t-proxy-pw")) as proxy:
        without = check(server.base_url, {"HTTPS_PROXY": proxy.url(), "SSL_CERT_FILE": certs.ca_file})
        with_auth = check(server.base_url, {"HTTPS_PROXY": proxy.url(with_auth=True), "SSL_CERT_FILE": certs.ca_file})
        key_requests = [r for r in server.requests if r.authorized]
    tcp = without.check("net.tcp")
    assert (tcp["status"], tcp["code"]) == ("fail", "proxy_auth_required")
    assert any("Proxy-Authenticate: Basic" in d for d in tcp["details"])
    assert without.exit_code == 1
    assert [with_auth.check(i)["status"] for i in ("net.tcp", "net.tls", "api.auth", "api.model")] == ["ok"] * 4
    assert with_auth.check("net.tcp")["data"]["timings_ms"]["proxy"] > 0
    assert "proxy" in with_auth.check("api.auth")["data"]["timings_ms"]
    assert "s3cr3t-proxy-pw" not in with_auth.output and "s3cr3t-proxy-pw" not in without.output
    assert len(key_requests) == 1
    assert {r.status for r in proxy.requests} == {407, 200} and all(r.method == "CONNECT" for r in proxy.requests)


def test_an_http_endpoint_through_a_local_proxy() -> None:
    with MockServer(MockOptions()) as server, ConnectProxy() as proxy:
        run = check(server.base_url, {"HTTP_PROXY": proxy.url()})
        assert [r.authorized for r in server.requests] == [True]
    assert run.check("api.auth")["status"] == "ok"
    assert any(r.method == "GET" and r.target.endswith("/v1/models") for r in proxy.requests)


def test_no_proxy_is_honoured() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with MockServer(MockOptions()) as server:
        run = check(server.base_url, {"HTTP_PROXY": dead, "NO_PROXY": "127.0.0.1"})
    assert run.check("net.tcp")["data"]["via_proxy"] is None
    assert run.check("api.auth")["status"] == "ok"


# --------------------------------------------------------------------------------------------
# the -v timeline
# --------------------------------------------------------------------------------------------


def test_timeline_drawing_adds_up_and_lines_up() -> None:
    from doctor.render.timeline import draw

    lines = draw({"dns": 1.2, "connect": 0.4, "tls": 4.1, "wait": 12.3, "transfer": 0.2, "first_byte": 18.0, "total": 18.2})
    assert "DNS Lookup" in lines[0] and "Transfer" in lines[0]
    bar = lines[1]
    assert bar.lstrip().startswith("[") and bar.endswith("]") and bar.count("|") == 4
    # every boundary of the bar has a tick below it, and each cumulative label ends on one
    boundaries = [i for i, c in enumerate(bar) if c in "|]"]
    assert [i for i, c in enumerate(lines[2]) if c == "|"] == boundaries
    for line, boundary in zip(lines[3:], boundaries):
        assert len(line.rstrip().split("|")[0].rstrip()) - 1 <= boundary
    assert lines[-1].strip() == "total:18 ms"
    assert "connect:1.6 ms" in lines[4] and "pretransfer:5.7 ms" in lines[5]
    assert max(len(line) for line in lines) <= 76  # fits an 80-column terminal with the indent
    assert draw({}) == []


# --------------------------------------------------------------------------------------------
# the trust of the TARGET interpreter, not chat-doctor's
# --------------------------------------------------------------------------------------------


def test_a_target_without_openai_is_judged_by_the_openai_pip_would_install(certs: TlsMaterial) -> None:
    from tests.support.venvs import pyenv_python

    python = pyenv_python("3.9")
    if not Path(python).exists():
        pytest.skip("pyenv Python 3.9.18 is not installed")
    with tls_server(certs.good) as server:
        run = check(server.base_url, {}, "--python", python)
    sdk = run.check("net.tls")["data"]["trust"]["sdk"]
    assert sdk["source"] == "certifi" and "not installed" in sdk["client"] and "1.x/2.x" in sdk["client"]
    assert run.check("net.tls")["code"] == "tls_unknown_ca"


@pytest.mark.slow
def test_sdk_trusts_but_the_default_context_does_not_with_a_real_openai_2_target(certs: TlsMaterial) -> None:
    """openai 2.x trusts certifi's bundle; here that bundle holds the test CA, the system store does not."""
    import shutil
    import subprocess

    from tests.support.venvs import make_venv, pyenv_python, venv_python

    venv = make_venv(pyenv_python("3.11"), ["openai==2.54.0"], sitecustomize="# chat-doctor test: certifi + test CA\n")
    python = str(venv_python(venv))
    bundle = Path(subprocess.run([python, "-c", "import certifi; print(certifi.where())"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    original = bundle.with_name("cacert.pem.orig")
    if not original.exists():
        shutil.copy(bundle, original)
    bundle.write_bytes(original.read_bytes() + Path(certs.ca_file).read_bytes())
    try:
        with tls_server(certs.good) as server:
            run = check(server.base_url, {}, "--python", python)
    finally:
        shutil.copy(original, bundle)
    tls = run.check("net.tls")
    assert (tls["status"], tls["code"]) == ("warn", "tls_trust_differs"), tls
    sdk = tls["data"]["trust"]["sdk"]
    assert (sdk["source"], sdk["cafile"], sdk["ok"]) == ("certifi", str(bundle), True)
    assert "openai 2.54.0 (httpx)" == sdk["client"]
    assert not tls["data"]["trust"]["default"]["ok"]
    assert run.check("api.auth")["status"] == "ok"  # the API request trusts what the SDK trusts
    assert run.exit_code == 0
