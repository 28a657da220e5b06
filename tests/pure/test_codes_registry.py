"""The registry's rule, pure: a code takes its status from the (check, status) pairs registered
for it, and an unregistered pair is refused. The README and the CLI agreeing: tests/local/test_codes_readme.py."""

from __future__ import annotations

import pytest

from doctor.knowledge.diagnoses import diagnose
from doctor.model import Status

pytestmark = pytest.mark.timeout(60)



def test_a_code_takes_its_status_from_the_registry_per_check() -> None:
    assert diagnose("api.auth", "rate_limited", "x").status is Status.WARN
    assert diagnose("stream.chat", "rate_limited", "x").status is Status.FAIL
    assert diagnose("config.base_url", "base_url_insecure", "x", status=Status.WARN).status is Status.WARN
    assert diagnose("net.dns", "offline", "x").status is Status.SKIP  # a code any check may give


def test_an_unregistered_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="not registered for net.tcp"):
        diagnose("net.tcp", "rate_limited", "x")
    with pytest.raises(ValueError, match="api.auth/fail"):
        diagnose("api.auth", "rate_limited", "x", status=Status.FAIL)
