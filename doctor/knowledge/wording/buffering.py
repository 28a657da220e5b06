"""What `stream_buffered` says once doctor.stream.buffer_cause has found where the buffering is.

One set of fixes per cause (compression, proxy, upstream), the lines that give the evidence (what
each retry was and what it showed) and why a retry was not made. The decision itself is
doctor.stream.buffer_cause's; the generic fixes (no cause found) stay in wording.stream.
"""

from __future__ import annotations

import shlex
from typing import Optional, Tuple

from doctor.model import Fix

IDENTITY = "with Accept-Encoding: identity"


# --- the fixes, one set per cause -----------------------------------------------------------------

COMPRESSION_FIXES = (
    Fix("Stop compressing the event stream where it is gzipped (the server, or a proxy or gateway in front of "
        "it): leave `text/event-stream` out of its compressed types. nginx, in the location that serves the API:",
        "gzip off;\nproxy_buffering off;"),
    Fix("or let the upstream app ask nginx not to buffer (and so to flush) this response", "X-Accel-Buffering: no"),
    Fix("A client can also avoid it by sending `Accept-Encoding: identity` with streamed requests "
        "(openai: `extra_headers={\"Accept-Encoding\": \"identity\"}`)."),
)

UPSTREAM_FIXES = (
    Fix("The server itself (or a reverse proxy, gateway, ingress or CDN in front of it) holds the stream: check the "
        "server's own streaming settings (a response buffer or a flush interval), and turn response buffering off "
        "in anything in front of it. nginx, in the location that serves the API:", "proxy_buffering off;"),
    Fix("or let the upstream app ask nginx not to buffer (and so to flush) this response", "X-Accel-Buffering: no"),
    Fix("Test the server on its own host and port, bypassing every proxy, to see which hop holds it."),
)


def proxy_fixes(proxy: Optional[str], host: str) -> Tuple[Fix, ...]:
    """Bypass the proxy for the API host, or make the proxy stream (the host is shell-quoted)."""
    entry = shlex.quote(host)
    which = f"the proxy {proxy}" if proxy else "the proxy"
    return (
        # Appends to what NO_PROXY holds already; the host may come from a hostile config: quoted.
        Fix(f"Bypass {which} for the API host: add it to NO_PROXY (where the app runs too)",
            f'export NO_PROXY="${{NO_PROXY:+$NO_PROXY,}}"{entry}'),
        Fix("or turn response buffering off in the proxy for `text/event-stream` (mitmproxy: "
            "`--set stream_large_bodies=1`; a corporate proxy: ask for the API host to be streamed, not inspected)."),
    )


# --- the verdict under a Content-Encoding (doctor.stream.figures.judge_buffering) -------------------


def inflated_at_once(token_chunks: int, burst_ms: float, first_ms: float) -> str:
    return (f"all {token_chunks} token chunks were inflated within {burst_ms:.1f} ms, {first_ms:.0f} ms after the "
            f"request; only compressed bytes, no text, arrived before them")


# --- the evidence ---------------------------------------------------------------------------------


def found(cause: str) -> str:
    return {
        "compression": "cause: compression (the stream is held while it is gzipped)",
        "proxy": "cause: the proxy (the stream is held by the proxy on the route)",
        "upstream": "cause: upstream (the server, or something past the proxy, holds the stream)",
    }.get(cause, f"cause: {cause}")


def retry_line(direct: bool, proxy: Optional[str], verdict: str, reason: str) -> str:
    way = f"directly (not through the proxy {proxy})" if direct else "along the same route"
    return f"asked again {way} {IDENTITY}: {verdict}: {reason}"


def proxy_required(proxy: Optional[str]) -> str:
    return (f"the direct connection could not be made: the proxy {proxy} is required, so whether it holds "
            f"the stream could not be told apart from the server")


def direct_not_tried(reason: str) -> str:
    return f"not asked again directly, bypassing the proxy: the API key may not travel that way ({reason})"


def retry_failed(message: str) -> str:
    return f"the request failed: {message}"
