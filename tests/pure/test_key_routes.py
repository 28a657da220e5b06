"""Where the key may travel, as pure rules: which hosts are this machine, and the one key-travel
rule (doctor.net.keyroute) every route is decided by. Through the CLI: tests/local/test_key_travel.py."""

from __future__ import annotations

import pytest

from doctor.net.keyroute import key_withheld_reason
from doctor.net.loopback import is_loopback_host

# --------------------------------------------------------------------------------------------
# the rules (pure)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "LOCALHOST"])
def test_this_machine(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", [
    "127.0.0.1.attacker.invalid", "127.example.invalid", "foo.localhost", "localhost.invalid", "127.1",
    "0x7f000001", "0.0.0.0", "::ffff:10.0.0.1", "10.0.0.1", "api.openai.com", "", None,
])
def test_not_this_machine(host: str) -> None:
    assert not is_loopback_host(host)


def test_one_rule_decides_every_route() -> None:
    rule = dict(base_url="http://x/v1")
    assert key_withheld_reason(scheme="http", host="api.example.invalid", **rule)
    assert key_withheld_reason(scheme="http", host="api.example.invalid", allow_insecure=True, **rule) is None
    assert key_withheld_reason(scheme="http", host="127.0.0.1", **rule) is None
    through = key_withheld_reason(scheme="http", host="127.0.0.1", proxy_host="proxy.invalid", **rule)
    assert through and "proxy" in through
    assert key_withheld_reason(scheme="http", host="127.0.0.1", proxy_host="127.0.0.1", **rule) is None
    assert key_withheld_reason(scheme="https", host="api.example.invalid", proxy_host="proxy.invalid", **rule) is None
