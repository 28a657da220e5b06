"""Audit of issue 8, "numbers agree": a certificate with one day left says "1 day left", through
the installed CLI against the mock endpoint serving HTTPS with a real certificate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.support.helpers import CANARY_KEY, assert_no_key, run_subprocess
from tests.support.tls_certs import LOCAL_NAMES, TlsMaterial, tls_server


def test_a_certificate_with_one_day_left_says_1_day(tmp_path: Path) -> None:
    certs = TlsMaterial(tmp_path / "tls")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    # 1 day and 12 hours: whole days left is 1 however long the run takes.
    leaf = certs.ca.issue_cert(*LOCAL_NAMES, not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(hours=36))
    with tls_server(certs._leaf("one-day", leaf)) as server:  # the support class's own writer
        run = run_subprocess(["check", "--json", "--timeout", "5", "--base-url", server.base_url],
                             env={"OPENAI_API_KEY": CANARY_KEY, "SSL_CERT_FILE": certs.ca_file})
    assert_no_key(run)
    summary = run.check("net.tls")["summary"]
    assert "(1 day left)" in summary, summary
