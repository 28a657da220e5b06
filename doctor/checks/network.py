"""Checks of the `net` group: `net.dns`, `net.tcp`, `net.tls`.

They follow the path the openai SDK's HTTP client takes to the endpoint: resolve the host
(the proxy's, when a proxy variable applies), connect, open the CONNECT tunnel, handshake
TLS with the trust the SDK would use, and also with the interpreter's default trust.

Gathering (impure, shared through `ctx.fact`):
- `route`: endpoint host/port and the proxy the SDK would use (doctor.net.proxies).
- `dns`: the resolution of the host we connect to, timed.
- `connection`: TCP connect (+ tunnel), timed.
- `trust`: the two trust configurations, rebuilt from the interpreter facts (doctor.checks.trust).
- `tls`: handshakes under both trust configurations, concurrently, and the certificate.
Judging (pure): `judge_dns`, `judge_tcp`, `judge_tls` turn those facts into results.

Every network step is bounded by `--timeout`; nothing is retried.
"""

from __future__ import annotations

import functools
import shlex
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from doctor.checks.route import Route, gather_route, route_data, route_details, route_problem
from doctor.checks.trust import TrustFact, gather_trust
from doctor.knowledge.codes.network import tls_code
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.model import CheckResult, Fix
from doctor.redact import display_url
from doctor.runner import Check, Context, FactProvider

if TYPE_CHECKING:  # doctor.net.trust imports ssl: only the network path pays for it
    from doctor.net.trust import TrustSpec

DNS, TCP, TLS = "net.dns", "net.tcp", "net.tls"

# A network check runs only once the base URL (and the proxy settings) are known to be usable.
CONFIG_NEEDS = ("config.base_url", "config.proxy")


# ============================================================================================
# Facts (plain frozen data)
# ============================================================================================


@dataclass(frozen=True)
class DnsFact:
    host: str
    port: int
    for_proxy: bool
    addresses: Tuple[Any, ...] = ()  # doctor.net.resolve.Address
    literal: bool = False
    elapsed_ms: float = 0.0
    error_kind: Optional[str] = None  # not_found, temporary, timeout, failed
    error: Optional[str] = None


@dataclass(frozen=True)
class ConnectionFact:
    address: Optional[str] = None
    connect_ms: Optional[float] = None
    attempts: Tuple[Any, ...] = ()  # doctor.net.connect.Attempt
    error_kind: Optional[str] = None  # refused, timeout, unreachable, failed
    error: Optional[str] = None
    tunnel_ms: Optional[float] = None
    tunnel_status: Optional[int] = None
    tunnel_error_kind: Optional[str] = None  # auth_required, refused, timeout, closed, garbled
    tunnel_error: Optional[str] = None
    tunnel_challenge: Optional[str] = None


@dataclass(frozen=True)
class TrustOutcome:
    spec: TrustSpec
    ok: bool
    protocol: Optional[str] = None
    cipher: Optional[str] = None
    connect_ms: Optional[float] = None
    tunnel_ms: Optional[float] = None
    tls_ms: Optional[float] = None
    failure_kind: Optional[str] = None  # doctor.net.tls.TlsFailure.kind, or "connect"/"context"
    failure: Optional[str] = None
    verify_code: Optional[int] = None


@dataclass(frozen=True)
class TlsFact:
    server_hostname: str
    sdk: TrustOutcome
    default: TrustOutcome
    cert: Any = None  # doctor.net.tls.CertInfo (from a verified handshake, or fetched unverified)
    trust_from_target: bool = True


# ============================================================================================
# Gathering
# ============================================================================================


def gather_dns(ctx: Context) -> DnsFact:
    from doctor.net.resolve import ResolveError, resolve

    route: Route = ctx.fact("route")
    host, port = route.connect_host, route.connect_port
    try:
        resolution = resolve(host, port, ctx.settings.timeout_s)
    except ResolveError as exc:
        return DnsFact(host, port, route.proxied, elapsed_ms=exc.elapsed_ms, error_kind=exc.kind, error=exc.reason)
    return DnsFact(host, port, route.proxied, resolution.addresses, resolution.literal, resolution.elapsed_ms)


def _open(route: Route, dns: DnsFact, timeout_s: float) -> Tuple[Optional[socket.socket], ConnectionFact]:
    """Connect to the first address that answers and open the tunnel; the socket stays open."""
    from doctor.net.connect import ConnectError, connect
    from doctor.net.tunnel import TunnelError, basic_proxy_authorization, open_tunnel

    try:
        sock, address, elapsed, attempts = connect(dns.addresses, timeout_s)
    except ConnectError as exc:
        return None, ConnectionFact(attempts=exc.attempts, connect_ms=exc.elapsed_ms, error_kind=exc.kind, error=exc.reason)
    fact = ConnectionFact(address=str(address), connect_ms=elapsed, attempts=attempts)
    if not route.tunnels:
        return sock, fact
    auth = basic_proxy_authorization(*route.proxy_auth) if route.proxy_auth else None
    try:
        tunnel = open_tunnel(sock, route.host, route.port, timeout_s, proxy_authorization=auth,
                             user_agent=_user_agent())
    except TunnelError as exc:
        sock.close()
        return None, _replace(fact, tunnel_ms=exc.elapsed_ms, tunnel_status=exc.status, tunnel_error_kind=exc.kind,
                              tunnel_error=exc.reason, tunnel_challenge=exc.challenge)
    return sock, _replace(fact, tunnel_ms=tunnel.elapsed_ms, tunnel_status=tunnel.status)


def gather_connection(ctx: Context) -> ConnectionFact:
    route: Route = ctx.fact("route")
    dns: DnsFact = ctx.fact("dns")
    sock, fact = _open(route, dns, ctx.settings.timeout_s)
    if sock is not None:
        sock.close()
    return fact


def _handshake_under(spec: TrustSpec, route: Route, dns: DnsFact, timeout_s: float) -> Tuple[TrustOutcome, Any]:
    """(outcome, certificate or None) of one handshake trusting `spec`, on a fresh connection."""
    from doctor.net.tls import TlsError, handshake
    from doctor.net.trust import build_context

    try:
        context = build_context(spec)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return TrustOutcome(spec, False, failure_kind="context", failure=f"cannot load {spec.describe()}: {exc}"), None
    sock, connection = _open(route, dns, timeout_s)
    if sock is None:
        reason = connection.tunnel_error or connection.error or "no connection"
        return TrustOutcome(spec, False, connect_ms=connection.connect_ms, failure_kind="connect", failure=reason), None
    try:
        tls, info = handshake(sock, route.host, context, timeout_s)
    except TlsError as exc:
        return TrustOutcome(spec, False, connect_ms=connection.connect_ms, tunnel_ms=connection.tunnel_ms,
                            tls_ms=exc.elapsed_ms, failure_kind=exc.failure.kind, failure=exc.failure.message,
                            verify_code=exc.failure.verify_code), None
    tls.close()
    return TrustOutcome(spec, True, info.protocol, info.cipher, connection.connect_ms, connection.tunnel_ms,
                        info.elapsed_ms), info.cert


_VERIFY_FAILURES = ("self_signed", "unknown_ca", "expired", "not_yet_valid", "hostname_mismatch", "verify_failed")


def gather_tls(ctx: Context) -> TlsFact:
    from doctor.net.tls import unverified_certificate

    route: Route = ctx.fact("route")
    dns: DnsFact = ctx.fact("dns")
    trust: TrustFact = ctx.fact("trust")
    timeout_s = ctx.settings.timeout_s
    specs = [trust.sdk] if trust.default.material == trust.sdk.material else [trust.sdk, trust.default]
    results = _concurrently([functools.partial(_handshake_under, s, route, dns, timeout_s) for s in specs])
    sdk_outcome, sdk_cert = results[0]
    if len(results) == 1:
        default_outcome = _replace(sdk_outcome, spec=trust.default)
        cert = sdk_cert
    else:
        default_outcome, default_cert = results[1]
        cert = sdk_cert or default_cert
    if cert is None and sdk_outcome.failure_kind in _VERIFY_FAILURES:
        sock, _connection = _open(route, dns, timeout_s)
        if sock is not None:
            cert = unverified_certificate(sock, route.host, timeout_s)
    return TlsFact(route.host, sdk_outcome, default_outcome, cert, trust.from_target)


def _concurrently(jobs: List[Callable[[], Any]]) -> List[Any]:
    """Run jobs in threads and return their results in order (exceptions re-raised)."""
    if len(jobs) == 1:
        return [jobs[0]()]
    results: List[Any] = [None] * len(jobs)
    errors: List[Optional[BaseException]] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            results[index] = jobs[index]()
        except BaseException as exc:  # noqa: BLE001  # re-raised in the caller
            errors[index] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"tls handshake {i}") for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results


def _user_agent() -> str:
    from doctor import __version__

    return f"chat-doctor/{__version__}"


def _replace(obj: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(obj, **changes)


# ============================================================================================
# Judging (pure)
# ============================================================================================


def _q(text: str) -> str:
    return shlex.quote(text)


def _ms(value: Optional[float]) -> str:
    if value is None:
        return "?"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def judge_dns(route: Route, dns: DnsFact) -> CheckResult:
    data = dict(route_data(route), resolved_host=dns.host,
                addresses=[a.ip for a in dns.addresses], timings_ms={"dns": dns.elapsed_ms})
    details = route_details(route)
    if dns.error is None:
        ips = list(dict.fromkeys(a.ip for a in dns.addresses))
        shown = ", ".join(ips[:4]) + (f" (+{len(ips) - 4} more)" if len(ips) > 4 else "")
        if dns.literal:
            summary = f"{dns.host} is an IP address: nothing to resolve"
        else:
            summary = f"{dns.host} -> {shown} ({_ms(dns.elapsed_ms)})"
        if route.proxied:
            summary += f"; the proxy resolves {route.host}"
        return ok(DNS, summary, details=details, data=data)
    data["error"] = {"kind": dns.error_kind, "message": dns.error}
    why = {
        # A machine with no usable DNS (offline, VPN down) gets the same NXDOMAIN-style answer.
        "not_found": "was not found by the resolver (a typo, or no working DNS here)",
        "temporary": "could not be resolved right now (the DNS server did not answer usefully)",
        "timeout": f"got no DNS answer within {dns.elapsed_ms / 1000:.1f} s",
    }.get(dns.error_kind or "", "could not be resolved")
    details = [*details, f"resolver said: {dns.error}"]
    if dns.for_proxy:
        return diagnose(
            DNS, "proxy_unreachable", f"the proxy host {dns.host} {why}",
            details=details,
            fixes=[Fix(f"Fix the host in {route.proxy_variable}, or unset it if no proxy is needed",
                       f"getent hosts {_q(dns.host)}"),
                   Fix(f"Or bypass the proxy for {route.host}", f"export NO_PROXY={_q(route.host)}")],
            data=data,
        )
    fixes = [Fix(f"Check that {dns.host} resolves on this machine", f"getent hosts {_q(dns.host)}")]
    if dns.error_kind == "not_found":
        fixes.append(Fix("Check the host name in the base URL for typos (the report header shows where the URL came from)"))
    fixes.append(Fix("Check the DNS servers this machine uses (offline? VPN connected? /etc/resolv.conf)", "cat /etc/resolv.conf"))
    return diagnose(DNS, "dns_failure", f"{dns.host} {why}", details=details, fixes=fixes, data=data)


def judge_tcp(route: Route, dns: DnsFact, conn: ConnectionFact, timeout_s: float) -> CheckResult:
    timings = {"dns": dns.elapsed_ms}
    if conn.connect_ms is not None:
        timings["connect"] = conn.connect_ms
    if conn.tunnel_ms is not None and conn.tunnel_error_kind is None:
        timings["proxy"] = conn.tunnel_ms
    data: Dict[str, Any] = dict(route_data(route), address=conn.address, timings_ms=timings,
                                attempts=[{"address": a.address, "outcome": a.outcome, "ms": a.elapsed_ms}
                                          for a in conn.attempts])
    details = route_details(route)
    target = f"{dns.host}:{dns.port}"
    attempts = [f"{a.address}: {a.outcome}" + (f" ({a.reason})" if a.reason else "") for a in conn.attempts]
    if conn.error_kind is not None:
        data["error"] = {"kind": conn.error_kind, "message": conn.error}
        if route.proxied:
            what = {"refused": "refuses connections", "timeout": f"does not answer within {timeout_s:g} s"}.get(
                conn.error_kind, "cannot be reached")
            return diagnose(
                TCP, "proxy_unreachable", f"the proxy {route.proxy_shown} {what}",
                details=[*details, *attempts],
                fixes=[Fix(f"Start the proxy or fix {route.proxy_variable}; unset it if you do not need a proxy",
                           f"unset {route.proxy_variable}"),
                       Fix(f"Or bypass the proxy for {route.host}", f"export NO_PROXY={_q(route.host)}")],
                data=data,
            )
        if conn.error_kind == "refused":
            return diagnose(
                TCP, "connection_refused", f"{target} refuses connections: nothing listens on port {dns.port}",
                details=[*details, *attempts],
                fixes=[Fix(f"Start the server, or fix the port in the base URL ({display_url(route.base_url)})"),
                       Fix("On the server, see what listens where", f"ss -ltnp | grep -w {dns.port}")],
                data=data,
            )
        if conn.error_kind == "timeout":
            return diagnose(
                TCP, "connect_timeout", f"{target} did not answer within {timeout_s:g} s",
                details=[*details, *attempts],
                fixes=[Fix("Check firewalls and the address; on a network that requires a proxy, set it",
                           "export HTTPS_PROXY=http://proxy.example:3128"),
                       Fix("Retry with a longer timeout if the network is just slow", "chat-doctor check --timeout 30")],
                data=data,
            )
        return diagnose(TCP, "connect_failed", f"cannot connect to {target}: {conn.error}",
                        details=[*details, *attempts], data=data)
    if conn.tunnel_error_kind is not None:
        data["error"] = {"kind": conn.tunnel_error_kind, "message": conn.tunnel_error, "status": conn.tunnel_status}
        if conn.tunnel_error_kind == "auth_required":
            had = route.proxy_auth is not None
            details = [*details, f"the proxy asks: Proxy-Authenticate: {conn.tunnel_challenge or '(no challenge)'}",
                       "the proxy URL carries credentials, but the proxy rejected them" if had
                       else f"{route.proxy_variable} carries no credentials"]
            return diagnose(
                TCP, "proxy_auth_required", f"the proxy {route.proxy_shown} wants authentication (407)",
                details=details,
                fixes=[Fix("Put the proxy credentials in the URL (percent-encode special characters)",
                           f"export {route.proxy_variable}=http://USER:PASSWORD@{route.proxy_host}:{route.proxy_port}")],
                data=data,
            )
        if conn.tunnel_error_kind == "refused":
            return diagnose(
                TCP, "proxy_tunnel_refused",
                f"the proxy {route.proxy_shown} refused a tunnel to {route.host}:{route.port} ({conn.tunnel_error})",
                details=details,
                fixes=[Fix(f"Ask the proxy's administrators to allow {route.host}:{route.port}"),
                       Fix(f"Or bypass the proxy for {route.host} if it is reachable directly",
                           f"export NO_PROXY={_q(route.host)}")],
                data=data,
            )
        return diagnose(
            TCP, "proxy_unreachable", f"the proxy {route.proxy_shown} did not open the tunnel: {conn.tunnel_error}",
            details=details,
            fixes=[Fix(f"Check the proxy, or unset {route.proxy_variable} if you do not need one",
                       f"unset {route.proxy_variable}")],
            data=data,
        )
    summary = f"connected to {conn.address} in {_ms(conn.connect_ms)}"
    if route.tunnels:
        summary += f"; the proxy opened a tunnel to {route.host}:{route.port} in {_ms(conn.tunnel_ms)}"
    elif route.proxied:
        summary = f"connected to the proxy at {conn.address} in {_ms(conn.connect_ms)}"
    return ok(TCP, summary, details=[*details, *attempts[:-1]] if len(attempts) > 1 else details, data=data)


def _cert_lines(cert: Any) -> List[str]:
    if cert is None:
        return []
    lines = [f"certificate: {cert.subject or '(no subject)'}", f"issued by:   {cert.issuer or '(no issuer)'}"]
    if cert.names:
        lines.append("valid for:   " + ", ".join(cert.names[:6]) + (" ..." if len(cert.names) > 6 else ""))
    if cert.not_after:
        lines.append(f"valid until: {cert.not_after[:10]}")
    return lines


def _trust_line(outcome: TrustOutcome) -> str:
    verdict = "trusts it" if outcome.ok else f"rejects it: {outcome.failure}"
    return f"{outcome.spec.client} uses {outcome.spec.describe()}: {verdict}"


def _tls_data(fact: TlsFact, dns: DnsFact) -> Dict[str, Any]:
    sdk = fact.sdk
    timings: Dict[str, float] = {"dns": dns.elapsed_ms}
    if sdk.connect_ms is not None:
        timings["connect"] = sdk.connect_ms
    if sdk.tunnel_ms is not None:
        timings["proxy"] = sdk.tunnel_ms
    if sdk.tls_ms is not None:
        timings["tls"] = sdk.tls_ms

    def outcome(o: TrustOutcome) -> Dict[str, Any]:
        return {"client": o.spec.client, "source": o.spec.source, "cafile": o.spec.cafile, "capath": o.spec.capath,
                "os_store": o.spec.os_store, "ok": o.ok, "failure": o.failure_kind, "message": o.failure,
                "verify_code": o.verify_code}

    return {
        "host": fact.server_hostname, "protocol": sdk.protocol, "cipher": sdk.cipher,
        "certificate": fact.cert.to_dict() if fact.cert is not None else None,
        "trust": {"sdk": outcome(fact.sdk), "default": outcome(fact.default)},
        "trust_from_target": fact.trust_from_target,
        "timings_ms": timings,
    }


def judge_tls(fact: TlsFact, dns: DnsFact, *, host_for_fix: Optional[str] = None) -> CheckResult:
    sdk, default = fact.sdk, fact.default
    data = _tls_data(fact, dns)
    cert = fact.cert
    details = _cert_lines(cert)
    trust_lines = [_trust_line(sdk)] + ([] if default.spec.material == sdk.spec.material and default.ok == sdk.ok
                                        else [_trust_line(default)])
    if not fact.trust_from_target:
        trust_lines.append("(the target could not be probed: trust was rebuilt from chat-doctor's own interpreter)")
    if sdk.spec.problem:
        return diagnose(
            TLS, "tls_trust_store_unusable", f"the openai SDK cannot verify anything: {sdk.spec.problem}",
            details=[*trust_lines, *details],
            fixes=[Fix("Point SSL_CERT_FILE at an existing CA bundle, or unset it to use the defaults", "unset SSL_CERT_FILE SSL_CERT_DIR")],
            data=data,
        )
    if sdk.ok and default.ok:
        days = cert.days_left() if cert is not None else None
        until = f", valid until {cert.not_after[:10]}" if cert is not None and cert.not_after else ""
        left = f" ({days} day{'s' if days != 1 else ''} left)" if days is not None else ""
        summary = f"{sdk.protocol}, certificate for {fact.server_hostname} trusted{until}{left}"
        return ok(TLS, summary, details=[*details, *trust_lines], data=data)
    if sdk.ok and not default.ok:
        return diagnose(
            TLS, "tls_trust_differs",
            f"the openai SDK trusts {fact.server_hostname}, but the interpreter's default ssl context does not",
            details=[*trust_lines, *details,
                     "code using urllib, or ssl.create_default_context(), in this interpreter will fail with CERTIFICATE_VERIFY_FAILED"],
            fixes=_same_bundle_fixes(sdk.spec),
            data=data,
        )
    # The SDK fails: that is the verdict; whether the default trust works explains "it works in curl".
    kind = sdk.failure_kind
    if kind == "connect":
        return diagnose(TLS, "tls_handshake_failed", f"could not connect again for the handshake: {sdk.failure}",
                        details=trust_lines, data=data)
    if kind == "context":
        return diagnose(TLS, "tls_trust_store_unusable", f"the openai SDK's CA material cannot be loaded: {sdk.failure}",
                        details=trust_lines,
                        fixes=[Fix("Point SSL_CERT_FILE at a valid PEM bundle, or unset it", "unset SSL_CERT_FILE SSL_CERT_DIR")],
                        data=data)
    code = tls_code(kind)
    differs = default.ok
    if differs:
        trust_lines.append("so tools using the system trust (curl, browsers, urllib) work while the openai SDK fails")
    summary = _tls_summary(kind, sdk, fact, differs)
    fixes = _tls_fixes(code, kind, sdk, default, fact, host_for_fix)
    return diagnose(TLS, code, summary, details=[*trust_lines, *details], fixes=fixes, data=data)


def _tls_summary(kind: Optional[str], sdk: TrustOutcome, fact: TlsFact, differs: bool) -> str:
    host = fact.server_hostname
    cert = fact.cert
    if kind == "self_signed":
        text = f"{host} presents a self-signed certificate"
    elif kind == "unknown_ca":
        issuer = f" (issued by {cert.issuer})" if cert is not None and cert.issuer else ""
        text = f"{host}'s certificate chain ends at a CA the openai SDK does not trust{issuer}"
    elif kind == "expired":
        when = f" on {cert.not_after[:10]}" if cert is not None and cert.not_after else ""
        text = f"{host}'s certificate expired{when}"
    elif kind == "not_yet_valid":
        when = f" before {cert.not_before[:10]}" if cert is not None and cert.not_before else ""
        text = f"{host}'s certificate is not valid yet{when}: is this machine's clock right?"
    elif kind == "hostname_mismatch":
        names = f" (it is for {', '.join(cert.names[:3])})" if cert is not None and cert.names else ""
        text = f"the certificate is not valid for {host}{names}"
    elif kind == "timeout":
        text = f"{host} did not complete the TLS handshake in time"
    elif kind == "protocol":
        text = f"{host} does not speak TLS on this port ({sdk.failure}); is it an http:// server?"
    else:
        text = f"TLS handshake with {host} failed: {sdk.failure}"
    if differs:
        text += "; the system's default trust accepts it"
    return text


def _same_bundle_fixes(spec: TrustSpec) -> List[Fix]:
    if spec.cafile:
        return [Fix("Make other tools in this interpreter trust what the SDK trusts",
                    f"export SSL_CERT_FILE={_q(spec.cafile)} REQUESTS_CA_BUNDLE={_q(spec.cafile)}")]
    return [Fix("Make the default context use the OS trust store too: pip install truststore, then call "
                "truststore.inject_into_ssl() at start-up", "python -m pip install truststore")]


def _adopt_default_trust(sdk: TrustSpec, default: TrustSpec) -> List[Fix]:
    """Fixes that make the SDK trust what the interpreter's default context already trusts."""
    if default.cafile and default.cafile != sdk.cafile:
        return [Fix("The interpreter's default CA bundle trusts this server: point the SDK at it",
                    f"export SSL_CERT_FILE={_q(default.cafile)}")]
    if default.capath and default.capath != sdk.capath:
        if sdk.source == "SSL_CERT_FILE":
            return [Fix(f"The certificate is trusted through the directory {default.capath}, which the SDK ignores "
                        "while SSL_CERT_FILE is set: unset SSL_CERT_FILE (the SDK then reads SSL_CERT_DIR), "
                        "or add that CA to the SSL_CERT_FILE bundle", "unset SSL_CERT_FILE")]
        return [Fix(f"The certificate is trusted through the directory {default.capath}: point the SDK at it",
                    f"export SSL_CERT_DIR={_q(default.capath)}")]
    return []


def _tls_fixes(code: str, kind: Optional[str], sdk: TrustOutcome, default: TrustOutcome, fact: TlsFact,
               host_for_fix: Optional[str]) -> List[Fix]:
    host = fact.server_hostname
    port = host_for_fix or host
    fixes: List[Fix] = []
    if code in ("tls_unknown_ca", "tls_self_signed") and default.ok:
        fixes.extend(_adopt_default_trust(sdk.spec, default.spec))
    if code == "tls_unknown_ca":
        fixes.append(Fix("Behind a TLS-inspecting corporate proxy: get its root CA (from IT, or export it from the OS "
                         "keychain as PEM), append it to a copy of certifi's bundle and point SSL_CERT_FILE at that",
                         'cat "$(python -m certifi)" corporate-root.pem > ~/ca-bundle.pem\n'
                         "export SSL_CERT_FILE=~/ca-bundle.pem REQUESTS_CA_BUNDLE=~/ca-bundle.pem"))
        fixes.append(Fix("Or use the OS trust store (which usually has the corporate root) with truststore: "
                         "call truststore.inject_into_ssl() before creating the client",
                         "python -m pip install truststore"))
    elif code == "tls_self_signed":
        fixes.append(Fix("Save the server's certificate and trust it explicitly",
                         f"openssl s_client -connect {port} -servername {host} </dev/null 2>/dev/null "
                         f"| openssl x509 > server.pem\nexport SSL_CERT_FILE=$PWD/server.pem"))
        fixes.append(Fix("Better: give the server a certificate from a CA your clients trust"))
    elif code == "tls_expired":
        if kind == "not_yet_valid":
            fixes.append(Fix("Check this machine's date and time", "date -u; timedatectl"))
        fixes.append(Fix("Renew the server's certificate (the server's operator must do this)"))
    elif code == "tls_hostname_mismatch":
        names = [n for n in (fact.cert.names if fact.cert is not None else ()) if not n.startswith("*")]
        if names:
            fixes.append(Fix(f"Use a host name the certificate is valid for, e.g. {names[0]}, in the base URL"))
        fixes.append(Fix("Or fix the server's certificate to include the name you use"))
    else:
        fixes.append(Fix("Check the scheme and port of the base URL (http:// vs https://), then look at the server side",
                         f"openssl s_client -connect {port} -servername {host} </dev/null"))
    return fixes


# ============================================================================================
# Checks
# ============================================================================================


def check_dns(ctx: Context) -> CheckResult:
    from doctor.net.http import prefetch

    # api.auth will need urllib3 (~0.1 s to import): start the import here, in the first check
    # of the network path, so it overlaps DNS, TCP and TLS instead of delaying the API request.
    # A run without net.dns (`--only api`) has nothing to overlap: api.auth imports it itself.
    prefetch()
    route: Route = ctx.fact("route")
    return route_problem(DNS, route) or judge_dns(route, ctx.fact("dns"))


def check_tcp(ctx: Context) -> CheckResult:
    route: Route = ctx.fact("route")
    return route_problem(TCP, route) or judge_tcp(route, ctx.fact("dns"), ctx.fact("connection"), ctx.settings.timeout_s)


def check_tls(ctx: Context) -> CheckResult:
    route: Route = ctx.fact("route")
    problem = route_problem(TLS, route)
    if problem is not None:
        return problem
    if route.scheme != "https":
        return diagnose(TLS, "tls_not_used", f"{display_url(route.base_url)} is plain http: no TLS to check",
                        data=route_data(route))
    if not route.testable:
        return diagnose(TLS, "proxy_not_testable",
                        f"the {route.proxy_scheme} proxy {route.proxy_shown} is reachable, but chat-doctor cannot tunnel through it",
                        details=route_details(route), data=route_data(route))
    port = f"{route.host}:{route.port}"
    return judge_tls(ctx.fact("tls"), ctx.fact("dns"), host_for_fix=port)


def _transitional_pass_through(result: CheckResult) -> CheckResult:
    """TRANSITIONAL (issue 9, Checks): this module's checks still gather and judge in one
    function; the split into gather(ctx) -> Facts and a pure judge(facts) replaces this."""
    return result


CHECKS: Tuple[Check, ...] = (
    Check(DNS, "DNS", check_dns, _transitional_pass_through, needs=CONFIG_NEEDS, network=True),
    Check(TCP, "TCP connect", check_tcp, _transitional_pass_through, needs=(DNS,), network=True),
    Check(TLS, "TLS", check_tls, _transitional_pass_through, needs=(TCP,), network=True),
)
FACTS: Dict[str, FactProvider] = {
    "route": gather_route,
    "dns": gather_dns,
    "connection": gather_connection,
    "trust": gather_trust,
    "tls": gather_tls,
}

