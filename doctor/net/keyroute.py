"""May the key travel this route? One rule for every sender of the key.

`api.auth` (GET /models), the streamed smoke test and anything later that sends the API key
ask `key_withheld_reason` before they open a connection. The key is withheld when it would be
readable by anyone on the path: the request is plain http:// and either the endpoint is not
this machine, or a proxy that is not this machine carries it (an HTTP proxy receives plain
http:// requests whole, headers included; a SOCKS proxy relays the same clear bytes). https://
is end to end, through a CONNECT tunnel or not, so a proxy never sees the key there.
`--allow-insecure` is the user's explicit acceptance of that risk.
"""

from __future__ import annotations

from typing import Any, Optional

from doctor.net.loopback import is_loopback_host


def key_withheld_reason(
    *,
    scheme: str,
    host: Optional[str],
    base_url: str,
    proxy_host: Optional[str] = None,
    proxy_shown: Optional[str] = None,
    allow_insecure: bool = False,
) -> Optional[str]:
    """Why sending the key along this route would expose it; None when it is safe (or allowed)."""
    from doctor.redact import display_url

    if allow_insecure or scheme.lower() != "http":
        return None
    if not is_loopback_host(host):
        return f"{display_url(base_url)} is plain http to {host}, which is not this machine"
    if proxy_host is not None and not is_loopback_host(proxy_host):
        return f"requests to {host} would go in clear through the proxy {proxy_shown or proxy_host}, which is not this machine"
    return None


def withheld_on_route(route: Any, allow_insecure: bool) -> Optional[str]:
    """`key_withheld_reason` for a `doctor.checks.route.Route` (the route fact every sender shares)."""
    return key_withheld_reason(
        scheme=route.scheme, host=route.host, base_url=route.base_url,
        proxy_host=route.proxy_host, proxy_shown=route.proxy_shown, allow_insecure=allow_insecure,
    )
