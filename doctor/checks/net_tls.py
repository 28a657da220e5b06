"""net.tls: does the TLS handshake succeed with the trust the openai SDK in the target would use,
and with the interpreter's default trust (what urllib and curl-like tools see).

It owns the `trust` fact (doctor.checks.trust; api.auth and the smoke test send under its `sdk`
trust) and the `tls` fact: a handshake under each trust, concurrently, on fresh connections
along the route, and the certificate (fetched again unverified when verification failed, so the
report can say what the server presented). When the two trusts disagree, that difference is the
finding: it explains "it works in curl" and "it works in the SDK but not in urllib".
"""

from __future__ import annotations

import datetime as _dt
import functools
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from doctor.checks.connection import DnsFact, open_connection
from doctor.checks.route import Route, route_data, route_details, route_problem
from doctor.checks.trust import TrustFact, gather_trust
from doctor.knowledge.codes.network import tls_code
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.wording import network as say
from doctor.model import CheckResult, Fix
from doctor.redact import display_url
from doctor.runner import Check, Context, FactProvider

if TYPE_CHECKING:  # doctor.net.trust imports ssl: only the network path pays for it
    from doctor.net.trust import TrustSpec

ID = "net.tls"
TITLE = "TLS"


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


@dataclass(frozen=True)
class Facts:
    route: Route
    dns: Optional[DnsFact]  # None (and tls None): no handshake applies to this route
    tls: Optional[TlsFact]
    now: _dt.datetime  # when the certificate was checked: its days left are counted from here


# ============================================================================================
# Gathering
# ============================================================================================


def _handshake_applies(route: Route) -> bool:
    return route.problem is None and route.scheme == "https" and route.testable


def gather(ctx: Context) -> Facts:
    route: Route = ctx.fact("route")
    now = _dt.datetime.now(_dt.timezone.utc)
    if not _handshake_applies(route):
        return Facts(route, None, None, now)
    return Facts(route, ctx.fact("dns"), ctx.fact("tls"), now)


def gather_tls(ctx: Context) -> TlsFact:
    """The `tls` fact: a handshake under each trust (once when both trust the same material)."""
    from doctor.net.tls import unverified_certificate

    route: Route = ctx.fact("route")
    dns: DnsFact = ctx.fact("dns")
    trust: TrustFact = ctx.fact("trust")
    timeout_s = ctx.settings.timeout_s
    specs = [trust.sdk] if trust.default.material == trust.sdk.material else [trust.sdk, trust.default]
    results = _concurrently([functools.partial(_handshake_under, s, route, dns, timeout_s) for s in specs])
    sdk_outcome, sdk_cert = results[0]
    if len(results) == 1:
        default_outcome = replace(sdk_outcome, spec=trust.default)
        cert = sdk_cert
    else:
        default_outcome, default_cert = results[1]
        cert = sdk_cert or default_cert
    if cert is None and sdk_outcome.failure_kind in _VERIFY_FAILURES:
        sock, _connection = open_connection(route, dns, timeout_s)
        if sock is not None:
            cert = unverified_certificate(sock, route.host, timeout_s)
    return TlsFact(route.host, sdk_outcome, default_outcome, cert, trust.from_target)


_VERIFY_FAILURES = ("self_signed", "unknown_ca", "expired", "not_yet_valid", "hostname_mismatch", "verify_failed")


def _handshake_under(spec: TrustSpec, route: Route, dns: DnsFact, timeout_s: float) -> Tuple[TrustOutcome, Any]:
    """(outcome, certificate or None) of one handshake trusting `spec`, on a fresh connection."""
    from doctor.net.tls import TlsError, handshake
    from doctor.net.trust import build_context

    try:
        context = build_context(spec)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        return TrustOutcome(spec, False, failure_kind="context", failure=f"cannot load {spec.describe()}: {exc}"), None
    sock, connection = open_connection(route, dns, timeout_s)
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


# ============================================================================================
# Judging (pure)
# ============================================================================================


def judge(facts: Facts) -> CheckResult:
    route = facts.route
    blocked = route_problem(ID, route)
    if blocked is not None:
        return blocked
    if route.scheme != "https":
        return diagnose(ID, "tls_not_used", say.tls_not_used(display_url(route.base_url)), data=route_data(route))
    if not route.testable:
        return diagnose(ID, "proxy_not_testable", say.proxy_not_testable(route.proxy_scheme, route.proxy_shown),
                        details=route_details(route), data=route_data(route))
    assert facts.tls is not None and facts.dns is not None  # gathered whenever a handshake applies
    # openssl reads an IPv6 literal only in brackets ("[::1]:8443"), like a URL's authority.
    host = f"[{route.host}]" if ":" in route.host else route.host
    return _judge_handshakes(facts.tls, facts.dns, facts.now, f"{host}:{route.port}")


def _trust_line(outcome: TrustOutcome) -> str:
    return say.trust_line(outcome.spec.client, outcome.spec.describe(), outcome.ok, outcome.failure)


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


def _judge_handshakes(fact: TlsFact, dns: DnsFact, now: _dt.datetime, host_port: str) -> CheckResult:
    sdk, default = fact.sdk, fact.default
    data = _tls_data(fact, dns)
    cert = fact.cert
    details = say.cert_lines(cert)
    trust_lines = [_trust_line(sdk)] + ([] if default.spec.material == sdk.spec.material and default.ok == sdk.ok
                                        else [_trust_line(default)])
    if not fact.trust_from_target:
        trust_lines.append(say.TRUST_FROM_OWN_INTERPRETER)
    if sdk.spec.problem:
        return diagnose(ID, "tls_trust_store_unusable", say.sdk_verifies_nothing(sdk.spec.problem),
                        details=[*trust_lines, *details], fixes=[say.FIX_UNSET_BROKEN_CERT_FILE], data=data)
    if sdk.ok and default.ok:
        days = cert.days_left(now) if cert is not None else None
        summary = say.tls_trusted(sdk.protocol, fact.server_hostname, cert.not_after if cert is not None else None, days)
        return ok(ID, summary, details=[*details, *trust_lines], data=data)
    if sdk.ok and not default.ok:
        return diagnose(ID, "tls_trust_differs", say.trust_differs(fact.server_hostname),
                        details=[*trust_lines, *details, say.DEFAULT_CONTEXT_FAILS],
                        fixes=_same_bundle_fixes(sdk.spec), data=data)
    # The SDK fails: that is the verdict; whether the default trust works explains "it works in curl".
    kind = sdk.failure_kind
    if kind == "connect":
        return diagnose(ID, "tls_handshake_failed", say.no_second_connection(sdk.failure), details=trust_lines, data=data)
    if kind == "context":
        return diagnose(ID, "tls_trust_store_unusable", say.sdk_material_unloadable(sdk.failure),
                        details=trust_lines, fixes=[say.FIX_UNSET_BAD_CERT_FILE], data=data)
    code = tls_code(kind)
    differs = default.ok
    if differs:
        trust_lines.append(say.CURL_WORKS)
    summary = say.tls_failure(kind, fact.server_hostname, cert, sdk.failure, differs)
    fixes = _tls_fixes(code, kind, sdk, default, fact, host_port)
    return diagnose(ID, code, summary, details=[*trust_lines, *details], fixes=fixes, data=data)


def _same_bundle_fixes(spec: TrustSpec) -> List[Fix]:
    if spec.cafile:
        return [say.fix_share_sdk_bundle(spec.cafile)]
    return [say.FIX_TRUSTSTORE_FOR_DEFAULT]


def _adopt_default_trust(sdk: TrustSpec, default: TrustSpec) -> List[Fix]:
    """Fixes that make the SDK trust what the interpreter's default context already trusts."""
    if default.cafile and default.cafile != sdk.cafile:
        return [say.fix_sdk_use_default_cafile(default.cafile)]
    if default.capath and default.capath != sdk.capath:
        if sdk.source == "SSL_CERT_FILE":
            return [say.fix_unset_cert_file_for_dir(default.capath)]
        return [say.fix_sdk_use_default_capath(default.capath)]
    return []


def _tls_fixes(code: str, kind: Optional[str], sdk: TrustOutcome, default: TrustOutcome, fact: TlsFact,
               host_port: str) -> List[Fix]:
    host = fact.server_hostname
    fixes: List[Fix] = []
    if code in ("tls_unknown_ca", "tls_self_signed") and default.ok:
        fixes.extend(_adopt_default_trust(sdk.spec, default.spec))
    if code == "tls_unknown_ca":
        fixes.extend(say.UNKNOWN_CA_FIXES)
    elif code == "tls_self_signed":
        fixes.extend(say.self_signed_fixes(host_port, host))
    elif code == "tls_expired":
        if kind == "not_yet_valid":
            fixes.append(say.FIX_CHECK_CLOCK)
        fixes.append(say.FIX_RENEW)
    elif code == "tls_hostname_mismatch":
        names = [n for n in (fact.cert.names if fact.cert is not None else ()) if not n.startswith("*")]
        if names:
            fixes.append(say.fix_use_listed_name(names[0]))
        fixes.append(say.FIX_CERT_NAMES)
    else:
        fixes.append(say.fix_check_scheme(host_port, host))
    return fixes


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge, needs=("net.tcp",), network=True),)
FACTS: Dict[str, FactProvider] = {
    "trust": gather_trust,
    "tls": gather_tls,
}
