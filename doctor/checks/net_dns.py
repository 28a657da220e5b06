"""net.dns: does the host the SDK connects to resolve (the endpoint's, or the proxy's when a
proxy variable applies), and how long does it take.

The first check on the network path: it owns the `route` and `dns` facts the later `net.*`
checks, api.auth and the smoke test share, and it starts the urllib3 import api.auth will need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from doctor.checks.connection import DnsFact, gather_dns
from doctor.checks.route import Route, gather_route, route_data, route_details, route_problem
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.wording import network as say
from doctor.model import CheckResult
from doctor.runner import Check, Context, FactProvider

ID = "net.dns"
TITLE = "DNS"
# A network check runs only once the base URL (and the proxy settings) are known to be usable.
CONFIG_NEEDS = ("config.base_url", "config.proxy")


@dataclass(frozen=True)
class Facts:
    route: Route
    dns: Optional[DnsFact]  # None: the route is unusable, nothing was resolved


def gather(ctx: Context) -> Facts:
    from doctor.net.http import prefetch

    # api.auth will need urllib3 (~0.1 s to import): start the import here, in the first check
    # of the network path, so it overlaps DNS, TCP and TLS instead of delaying the API request.
    # A run without net.dns (`--only api`) has nothing to overlap: api.auth imports it itself.
    prefetch()
    route: Route = ctx.fact("route")
    return Facts(route, ctx.fact("dns") if route.problem is None else None)


def judge(facts: Facts) -> CheckResult:
    route, dns = facts.route, facts.dns
    blocked = route_problem(ID, route)
    if blocked is not None:
        return blocked
    assert dns is not None  # gathered whenever the route is usable
    data = dict(route_data(route), resolved_host=dns.host,
                addresses=[a.ip for a in dns.addresses], timings_ms={"dns": dns.elapsed_ms})
    details = route_details(route)
    if dns.error is None:
        if dns.literal:
            summary = say.dns_literal(dns.host)
        else:
            summary = say.dns_resolved(dns.host, list(dict.fromkeys(a.ip for a in dns.addresses)), dns.elapsed_ms)
        if route.proxied:
            summary += say.proxy_resolves(route.host)
        return ok(ID, summary, details=details, data=data)
    data["error"] = {"kind": dns.error_kind, "message": dns.error}
    why = say.dns_why(dns.error_kind, dns.elapsed_ms)
    details = [*details, say.resolver_said(dns.error)]
    if dns.for_proxy:
        return diagnose(
            ID, "proxy_unreachable", say.proxy_host_unresolved(dns.host, why),
            details=details,
            fixes=[say.fix_proxy_host(route.proxy_variable, dns.host), say.fix_bypass_proxy(route.host)],
            data=data,
        )
    fixes = say.dns_failure_fixes(dns.host, dns.error_kind == "not_found")
    return diagnose(ID, "dns_failure", say.host_unresolved(dns.host, why), details=details, fixes=fixes, data=data)


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge, needs=CONFIG_NEEDS, network=True),)
FACTS: Dict[str, FactProvider] = {
    "route": gather_route,
    "dns": gather_dns,
}
