"""net.dns, net.tcp, net.tls as pure rules: which CAs the SDK and the default context trust
(from a pretend filesystem), verdicts from fixture facts, and the -v timeline drawing."""

from __future__ import annotations

import dataclasses
import datetime
import socket
from typing import Any, Dict, Optional

import pytest

from doctor.checks import net_dns, net_tcp, net_tls
from doctor.checks.connection import ConnectionFact, DnsFact
from doctor.checks.net_tls import TlsFact, TrustOutcome
from doctor.checks.route import Route
from doctor.model import Status
from doctor.net.resolve import Address
from doctor.net.trust import (
    PathFacts,
    TrustInputs,
    TrustSpec,
    build_context,
    default_trust,
    sdk_trust,
)

pytestmark = pytest.mark.timeout(60)



# --------------------------------------------------------------------------------------------
# trust: which CAs the SDK and the default context use (pure)
# --------------------------------------------------------------------------------------------


def _fs(files: tuple = (), dirs: tuple = ()) -> Dict[str, Any]:
    """A pretend filesystem for the pure trust rules: which paths are files and which directories."""
    return dict(paths=PathFacts(frozenset(files), frozenset(dirs), hashed_dirs=frozenset(dirs)))


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
        spec = sdk_trust(TrustInputs(**{**LINUX.__dict__, "system": system}), **_fs())
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
    spec = default_trust(inputs, **_fs(("/corp/ca.pem",), ("/usr/lib/ssl/certs",)))
    assert (spec.cafile, spec.capath, spec.strict) == ("/corp/ca.pem", "/usr/lib/ssl/certs", True)
    assert not default_trust(LINUX, **_fs(("/usr/lib/ssl/cert.pem",))).strict


def test_the_trust_fact_looks_at_the_ca_paths_once_and_the_rules_read_the_answer(tmp_path: Any) -> None:
    from doctor.checks.trust import look_at_paths

    bundle, hashed, plain = tmp_path / "ca.pem", tmp_path / "hashed", tmp_path / "plain"
    bundle.write_text("")
    hashed.mkdir()
    (hashed / "1a2b3c4d.0").write_text("")
    plain.mkdir()
    (plain / "readme").write_text("")
    paths = look_at_paths((str(bundle), str(hashed), str(plain), str(tmp_path / "missing")))
    assert paths == PathFacts(frozenset({str(bundle)}), frozenset({str(hashed), str(plain)}), frozenset({str(hashed)}))
    only_dir = TrustInputs(**{**LINUX.__dict__, "openssl_cafile": None, "openssl_capath": str(plain)})
    assert sdk_trust(only_dir, paths).capath is None  # no hashed names: OpenSSL would find nothing there


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
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def test_dns_failure_and_proxy_host_failure_are_told_apart() -> None:
    failed = DnsFact("api.example.invalid", 443, False, elapsed_ms=3, error_kind="not_found", error="Name or service not known")
    result = net_dns.judge(net_dns.Facts(ROUTE, failed))
    assert (result.status, result.code) == (Status.FAIL, "dns_failure")
    assert "getent hosts api.example.invalid" in [f.command for f in result.fixes]
    proxied = Route(**{**ROUTE.__dict__, "proxy_host": "proxy.invalid", "proxy_port": 3128, "proxy_scheme": "http",
                       "proxy_shown": "http://proxy.invalid:3128", "proxy_variable": "HTTPS_PROXY"})
    via = net_dns.judge(net_dns.Facts(proxied, DnsFact("proxy.invalid", 3128, True, error_kind="not_found", error="x")))
    assert via.code == "proxy_unreachable"
    good = net_dns.judge(net_dns.Facts(ROUTE, DNS_OK))
    assert good.status is Status.OK and good.data["timings_ms"] == {"dns": 12.3} and good.data["addresses"] == ["192.0.2.10"]


def test_tcp_rules() -> None:
    refused = net_tcp.judge(net_tcp.Facts(ROUTE, DNS_OK, ConnectionFact(error_kind="refused", error="x", connect_ms=1), 5))
    timeout = net_tcp.judge(net_tcp.Facts(ROUTE, DNS_OK, ConnectionFact(error_kind="timeout", error="x", connect_ms=5000), 5))
    auth = net_tcp.judge(net_tcp.Facts(
        Route(**{**ROUTE.__dict__, "proxy_host": "p", "proxy_port": 3128, "proxy_scheme": "http",
                 "proxy_shown": "http://p:3128", "proxy_variable": "HTTPS_PROXY"}),
        DnsFact("p", 3128, True, (Address(socket.AF_INET, "192.0.2.3", 3128),)),
        ConnectionFact(address="192.0.2.3:3128", connect_ms=1, tunnel_ms=2, tunnel_status=407,
                       tunnel_error_kind="auth_required", tunnel_error="407", tunnel_challenge='Basic realm="x"'), 5))
    assert [r.code for r in (refused, timeout, auth)] == ["connection_refused", "connect_timeout", "proxy_auth_required"]
    assert "USER:PASSWORD@p:3128" in auth.fixes[0].command


def _tls_fact(sdk_ok: bool, default_ok: bool, kind: Optional[str] = "unknown_ca") -> TlsFact:
    def outcome(spec: TrustSpec, good: bool) -> TrustOutcome:
        if good:
            return TrustOutcome(spec, True, "TLSv1.3", "TLS_AES_128_GCM_SHA256", 1.0, None, 4.0)
        return TrustOutcome(spec, False, connect_ms=1.0, tls_ms=3.0, failure_kind=kind, failure="unable to get local issuer certificate", verify_code=20)

    return TlsFact("api.example.test", outcome(SDK, sdk_ok), outcome(DEFAULT, default_ok))


def test_sdk_trusts_but_default_does_not_is_a_warning() -> None:
    result = net_tls.judge(net_tls.Facts(ROUTE, DNS_OK, _tls_fact(True, False), NOW))
    assert (result.status, result.code) == (Status.WARN, "tls_trust_differs")
    assert result.data["trust"]["sdk"]["ok"] and not result.data["trust"]["default"]["ok"]


def test_default_trusts_but_sdk_does_not_fails_with_the_sdk_cause_and_says_why_curl_works() -> None:
    result = net_tls.judge(net_tls.Facts(ROUTE, DNS_OK, _tls_fact(False, True), NOW))
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
    result = net_tls.judge(net_tls.Facts(ROUTE, DNS_OK, _tls_fact(False, False, kind), NOW))
    assert result.code == code and result.fixes


def test_the_certificate_days_left_are_counted_from_the_gathered_time() -> None:
    from doctor.net.tls import CertInfo

    cert = CertInfo("CN=api.example.test", "CN=Example CA", None, "2027-01-01T00:00:00+00:00", ("api.example.test",), False)
    fact = dataclasses.replace(_tls_fact(True, True), cert=cert)
    result = net_tls.judge(net_tls.Facts(ROUTE, DNS_OK, fact, NOW))
    assert result.summary == "TLSv1.3, certificate for api.example.test trusted, valid until 2027-01-01 (31 days left)"


def test_an_unusable_route_is_decided_from_the_gathered_facts() -> None:
    from doctor.checks.route import route_problem
    from doctor.net.proxies import ProxyProblem

    bad_no_proxy = ProxyProblem("NO_PROXY", "NO_PROXY entry 'x' is not a valid pattern for httpx", True, "no_proxy_entry")
    other_proxy = ProxyProblem("HTTP_PROXY", "HTTP_PROXY=http://:3128 has no host", False, "missing_host")
    assert route_problem("net.dns", Route(**{**ROUTE.__dict__, "proxy_problems": (other_proxy,)})) is None
    blocked = route_problem("net.dns", Route(**{**ROUTE.__dict__, "proxy_problems": (other_proxy, bad_no_proxy)}))
    assert blocked is not None and blocked.code == "prerequisite_failed"
    assert blocked.summary == "not tried: NO_PROXY entry 'x' is not a valid pattern for httpx"
    unparsable = Route("https://h:99999/v1", "", "", 0, url_error="has the port 99999, outside 1-65535")
    assert unparsable.problem == "the base URL does not parse (has the port 99999, outside 1-65535)"
    judged = [net_dns.judge(net_dns.Facts(unparsable, None)), net_tcp.judge(net_tcp.Facts(unparsable, None, None, 5)),
              net_tls.judge(net_tls.Facts(unparsable, None, None, NOW))]
    assert [r.code for r in judged] == ["prerequisite_failed"] * 3


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
