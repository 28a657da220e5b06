"""An HTTP CONNECT tunnel through a proxy, the way the SDK reaches an https:// endpoint.

Written by hand (not http.client's private `_tunnel`) so the proxy's status, its
`Proxy-Authenticate` challenge and the time it took are all visible to the caller.
"""

from __future__ import annotations

import base64
import re
import socket
from dataclasses import dataclass
from typing import Optional, Tuple
from urllib.parse import unquote

from doctor.net.timing import ms, now

_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class TunnelResult:
    status: int
    elapsed_ms: float


class TunnelError(OSError):
    """The proxy did not open the tunnel. `kind`: auth_required (407), refused (another status),
    timeout (no whole answer within the time, however slowly it trickled), closed (hung up, even
    mid-answer), garbled (not an HTTP answer) or too_long (a head past _MAX_HEAD)."""

    def __init__(self, kind: str, reason: str, elapsed_ms: float, status: Optional[int] = None,
                 challenge: Optional[str] = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.challenge = challenge  # the Proxy-Authenticate header on a 407
        self.elapsed_ms = elapsed_ms


def basic_proxy_authorization(username: Optional[str], password: Optional[str]) -> Optional[str]:
    """`Basic ...` from the user:password of a proxy URL (percent-decoded, as httpx does)."""
    if not username:
        return None
    raw = f"{unquote(username)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def open_tunnel(
    sock: socket.socket,
    host: str,
    port: int,
    timeout_s: float,
    *,
    proxy_authorization: Optional[str] = None,
    user_agent: str = "chat-doctor",
) -> TunnelResult:
    """Ask the proxy behind `sock` for a tunnel to host:port; raises TunnelError."""
    started = now()
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}", f"User-Agent: {user_agent}"]
    if proxy_authorization:
        lines.append(f"Proxy-Authorization: {proxy_authorization}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    sock.settimeout(timeout_s)
    try:
        sock.sendall(request)
        head, complete = _read_head(sock, started + timeout_s)
    except socket.timeout:
        raise TunnelError("timeout", f"the proxy did not answer CONNECT within {timeout_s:g} s", ms(now() - started)) from None
    except OSError as exc:
        raise TunnelError("closed", f"the proxy dropped the connection ({exc.strerror or exc})", ms(now() - started)) from None
    elapsed = ms(now() - started)
    if not head:
        raise TunnelError("closed", "the proxy closed the connection without answering CONNECT", elapsed)
    if len(head) >= _MAX_HEAD:
        raise TunnelError("too_long", f"the proxy's answer to CONNECT went past {_MAX_HEAD // 1024} KB without ending", elapsed)
    if not complete:
        raise TunnelError("closed", "the proxy closed the connection in the middle of its answer to CONNECT", elapsed)
    status, reason, headers = _parse_head(head)
    if status is None:
        raise TunnelError("garbled", "the proxy's answer to CONNECT is not HTTP", elapsed)
    if 200 <= status < 300:
        return TunnelResult(status, elapsed)
    if status == 407:
        challenge = next((v for k, v in headers if k == "proxy-authenticate"), None)
        raise TunnelError("auth_required", f"407 {reason}".strip(), elapsed, status, challenge)
    raise TunnelError("refused", f"{status} {reason}".strip(), elapsed, status)


def _read_head(sock: socket.socket, deadline: float) -> Tuple[bytes, bool]:
    """(the head without its blank line, whether it ended); raises socket.timeout at `deadline`.

    The socket's timeout is set to what is left before every read, so a proxy that trickles
    its answer a byte at a time still ends at `deadline`."""
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < _MAX_HEAD:
        remaining = deadline - now()
        if remaining <= 0:
            raise socket.timeout()
        sock.settimeout(remaining)
        # One byte at a time past the head would be wasteful; but reading more than the head
        # could swallow the start of the TLS handshake. A proxy sends nothing after a 200 until
        # we speak, so reading in chunks is safe here.
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.split(b"\r\n\r\n", 1)[0], b"\r\n\r\n" in buf


def _parse_head(head: bytes) -> Tuple[Optional[int], str, Tuple[Tuple[str, str], ...]]:
    text = head.decode("latin-1", "replace")
    first, _, rest = text.partition("\r\n")
    parts = first.split(" ", 2)
    # Three ASCII digits: str.isdigit() also accepts "²00", which int() then refuses.
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not re.fullmatch(r"[0-9]{3}", parts[1]):
        return None, "", ()
    headers = []
    for line in rest.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip().lower(), value.strip()))
    return int(parts[1]), parts[2] if len(parts) > 2 else "", tuple(headers)
