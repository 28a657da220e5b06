"""net.dns, net.tcp, net.tls: the real CLI against real
servers on 127.0.0.1 (the mock endpoint with certificates made here, a refused port, a
`.invalid` name, a CONNECT proxy that is down or wants credentials)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from doctor.mock.server import MockOptions, MockServer
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import check_endpoint as check
from tests.support.tls_certs import TlsMaterial, tls_server

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def test_the_self_signed_fix_for_an_ipv6_endpoint_saves_the_certificate_when_pasted(certs: TlsMaterial, tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command, which the printed fix runs")
    options = MockOptions(host="::1", certfile=certs.self_signed.certfile, keyfile=certs.self_signed.keyfile)
    with MockServer(options) as server:
        run = check(server.base_url)
        tls = run.check("net.tls")
        assert (tls["status"], tls["code"]) == ("fail", "tls_self_signed"), tls
        (command,) = [f["command"] for f in tls["fixes"] if f["command"] and "s_client" in f["command"]]
        assert f"-connect '[::1]:{server.port}'" in command  # openssl reads IPv6 only in brackets
        subprocess.run(["bash", "-c", command], cwd=tmp_path, timeout=30, check=True, stdin=subprocess.DEVNULL)
    assert (tmp_path / "server.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
