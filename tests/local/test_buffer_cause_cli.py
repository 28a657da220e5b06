"""Where the buffering is, through the installed `chat-doctor smoke` against real loopback peers:
the mock's `gzip_buffered` (compression) and `buffered` (upstream) scenarios, the mock behind a
real forward proxy (tests/support/connect_proxy.py) and behind Debian's nginx with gzip on
(tests/support/buffering_proxy.py). The mock's request log shows what arrived, and with which key.
(A proxy that itself holds the stream is mitmproxy's, in tests/machine/test_buffer_cause_targets.py.)
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any, Dict, List, Optional

from doctor.knowledge.wording.buffering import proxy_fixes
from doctor.mock.server import MockServer, key_fingerprint
from tests.support.buffering_proxy import NginxProxy, nginx_proxy  # noqa: F401  # nginx_proxy: a fixture
from tests.support.connect_proxy import ConnectProxy
from tests.support.helpers import CANARY_KEY, Run, assert_no_key, run_subprocess
from tests.support.mock_helpers import running

FIRST_MS, INTERVAL_MS, TOKENS = 200, 40, 8  # paced: 8 tokens over ~480 ms
TIMEOUT_S = 5


def smoke(base_url: str, env: Optional[Dict[str, str]] = None, *extra: str) -> Run:
    run = run_subprocess(["smoke", "--json", "--timeout", str(TIMEOUT_S), "--base-url", base_url, *extra],
                         env={"OPENAI_API_KEY": CANARY_KEY, **(env or {})})
    assert_no_key(run)
    return run


def chat(run: Run) -> Dict[str, Any]:
    result = run.check("stream.chat")
    assert run.exit_code == 0, (run.exit_code, run.stderr[-2000:])
    return result


def chats(server: MockServer) -> List[Any]:
    """The streamed chat requests the mock received; each must carry the canary key, no other."""
    found = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert all(r.key_sha256 == key_fingerprint(CANARY_KEY) for r in found), found
    return found


def fixes(result: Dict[str, Any]) -> str:
    return " ".join(f"{f['text']} {f['command'] or ''}" for f in result["fixes"])


def test_a_gzipped_stream_is_compression_and_identity_streams() -> None:
    with running("gzip_buffered", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server.base_url)
        arrived = chats(server)
    result = chat(run)
    assert (result["status"], result["code"], result["data"]["cause"]) == ("warn", "stream_buffered", "compression")
    # The measured run was gzipped and held; the one retry (no proxy: no direct one) streamed plain.
    assert run.json["smoke"]["runs"][0]["buffering"] == "buffered"
    assert "only compressed bytes, no text, arrived before them" in result["summary"]  # the gzip header came early
    (retry,) = result["data"]["cause_evidence"]["retries"]
    assert (retry["route"], retry["buffering"], retry["content_encoding"]) == ("same", "streamed", None)
    assert FIRST_MS - 5 <= retry["ttft_ms"] < 2 * (FIRST_MS + INTERVAL_MS * TOKENS)
    assert len(arrived) == 2
    assert "gzip off;" in fixes(result) and "NO_PROXY" not in fixes(result)
    assert result["details"][1].startswith("cause: compression")


def test_a_buffered_server_without_a_proxy_is_upstream() -> None:
    with running("buffered", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server.base_url)
        arrived = chats(server)
    result = chat(run)
    assert (result["code"], result["data"]["cause"]) == ("stream_buffered", "upstream")
    evidence = result["data"]["cause_evidence"]
    assert [r["buffering"] for r in evidence["retries"]] == ["buffered"]
    assert (evidence["proxy"], evidence["direct_not_tried"], evidence["proxy_required"]) == (None, None, False)
    assert len(arrived) == 2
    assert "server's own streaming settings" in fixes(result) and "gzip off;" not in fixes(result)


def test_a_buffered_server_behind_a_streaming_proxy_is_upstream_after_a_direct_retry() -> None:
    with running("buffered", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server, \
            ConnectProxy() as proxy:
        run = smoke(server.base_url, {"HTTP_PROXY": proxy.url()})
        arrived = chats(server)
        through_proxy = [r for r in proxy.requests if r.target.endswith("/chat/completions")]
    result = chat(run)
    assert result["data"]["cause"] == "upstream"
    retries = result["data"]["cause_evidence"]["retries"]
    assert [(r["route"], r["buffering"]) for r in retries] == [("same", "buffered"), ("direct", "buffered")]
    # The measured run and the identity retry went through the proxy, the direct retry did not.
    assert (len(arrived), len(through_proxy)) == (3, 2)
    assert result["data"]["cause_evidence"]["proxy"] == proxy.url()


def test_a_buffered_stream_over_the_ttft_threshold_makes_no_retry() -> None:
    """ttft_over_limit is the verdict and shows no cause: retries then would be wasted requests."""
    with running("buffered", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server.base_url, None, "--max-ttft", "0.1")
        arrived = chats(server)
    result = run.check("stream.chat")
    assert (result["code"], run.exit_code) == ("ttft_over_limit", 4), (result["summary"], run.stderr[-2000:])
    assert run.json["smoke"]["runs"][0]["buffering"] == "buffered"
    assert ("cause" in result["data"], len(arrived)) == (False, 1)


def test_a_stream_that_streamed_makes_no_retry() -> None:
    with running("ok", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server.base_url)
        arrived = chats(server)
    result = chat(run)
    assert (result["status"], "cause" in result["data"], len(arrived)) == ("ok", False, 1)


def test_nginx_gzip_with_buffering_is_compression(nginx_proxy: Any) -> None:  # noqa: F811  # the fixture, by name
    with running("ok", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        proxy: NginxProxy = nginx_proxy(server.url)
        run = smoke(proxy["gzip"].base_url)
        arrived = chats(server)
    result = chat(run)
    assert (result["code"], result["data"]["cause"]) == ("stream_buffered", "compression")
    (retry,) = result["data"]["cause_evidence"]["retries"]
    assert (retry["buffering"], retry["content_encoding"]) == ("streamed", None)
    assert len(arrived) == 2
    assert "gzip off;" in fixes(result)


def test_the_no_proxy_fix_works_pasted_whole_and_keeps_a_hostile_host_one_entry(tmp_path: Any) -> None:
    host = "api.example.invalid;touch pwned"
    (command,) = [f.command for f in proxy_fixes("http://127.0.0.1:3128", host) if f.command]
    bash = shutil.which("bash")
    assert bash is not None
    for before, expected in (("", host), ("localhost", f"localhost,{host}")):
        out = subprocess.run([bash, "-c", f"{command}; printf %s \"$NO_PROXY\""], cwd=tmp_path, capture_output=True,
                             text=True, check=True, env={"PATH": "/usr/bin:/bin", "NO_PROXY": before}).stdout
        assert out == expected
    assert not (tmp_path / "pwned").exists()
