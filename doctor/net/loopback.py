"""What counts as *this machine*: the one rule every part of chat-doctor uses.

The key may travel over plain http:// only to this machine, and the mock server warns when it
is bound elsewhere; both ask `is_loopback_host`. A host is this machine when it is an IP
literal in 127.0.0.0/8 or ::1 (also written as an IPv4-mapped IPv6 address such as
`::ffff:127.0.0.1`), decided by `ipaddress`, or the name `localhost`. Every other name is
remote, however it looks: `127.0.0.1.attacker.example` is a DNS name whoever owns that zone
points anywhere, and even `*.localhost` is resolved by a resolver the user does not control.
Shorthand literals that `ipaddress` does not accept (`127.1`, `0x7f000001`) count as remote
too: refusing a local server by mistake is safe, sending a key in clear to a remote one is not.
Stdlib only (the mock server uses it as well).
"""

from __future__ import annotations

import ipaddress
from typing import Optional


def is_loopback_host(host: Optional[str]) -> bool:
    """True only for `localhost` and IP literals in 127.0.0.0/8, ::1 and ::ffff:127.x."""
    if not host:
        return False
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
