"""Where the buffering is, against real proxies and a real target interpreter.

A forward proxy that holds the stream (mitmproxy from PyPI, tests/support/intercepting_proxy.py,
checked on the wire first) is the cause `proxy`, and the NO_PROXY fix chat-doctor prints, pasted
into bash, makes the stream pass; a proxy that is the only way to the endpoint makes the direct
retry fail: "the proxy is required". And the retries inside the target interpreter (the runner,
doctor/stream/target_runner.py) send Accept-Encoding: identity too: gzip_buffered is compression.
"""

from __future__ import annotations

import json
import shlex
import socket
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from doctor.mock.server import key_fingerprint
from tests.support.helpers import CANARY_KEY, CHAT_DOCTOR, Run, assert_no_key, run_subprocess
from tests.support.intercepting_proxy import mitmdump_on_loopback
from tests.support.mock_helpers import running
from tests.support.venvs import make_venv, pyenv_python, venv_python

FIRST_MS, INTERVAL_MS, TOKENS = 200, 50, 8
LAST_MS = FIRST_MS + INTERVAL_MS * (TOKENS - 1)


def smoke(base_url: str, env: Dict[str, str], *extra: str) -> Run:
    run = run_subprocess(["smoke", "--json", "--timeout", "5", "--base-url", base_url, *extra],
                         env={"OPENAI_API_KEY": CANARY_KEY, **env}, timeout=300)
    assert_no_key(run)
    assert run.exit_code == 0, run.stderr[-2000:]
    return run


def arrivals_through(proxy_port: int, upstream: str) -> List[Tuple[float, int]]:
    """(ms after sending, bytes) of every read of one streamed chat through the proxy (absolute-form)."""
    body = json.dumps({"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()
    head = (f"POST {upstream}/v1/chat/completions HTTP/1.1\r\nHost: {upstream.split('//')[1]}\r\n"
            f"Authorization: Bearer sk-test-0123456789abcdef\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    reads = []
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=10) as sock:
        start = time.perf_counter()
        sock.sendall(head + body)
        while True:
            data = sock.recv(65536)
            if not data:
                return reads
            reads.append(((time.perf_counter() - start) * 1000.0, len(data)))


@pytest.mark.slow
def test_mitmproxy_holds_a_paced_stream_whole(tmp_path: Path) -> None:
    """Checked before it is relied on: nothing, the head included, before the last token was made."""
    with running("ok", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server, \
            mitmdump_on_loopback(tmp_path / "mitm") as proxy:
        reads = arrivals_through(proxy.port, server.url)
    assert reads, "no answer through mitmdump"
    assert reads[0][0] >= LAST_MS - 5, reads
    assert reads[-1][0] - reads[0][0] < INTERVAL_MS, reads  # one burst, within one token's gap
    assert reads[-1][0] < 2 * LAST_MS + 1000, reads


@pytest.mark.slow
def test_a_proxy_that_holds_the_stream_is_the_cause_and_no_proxy_fixes_it(tmp_path: Path) -> None:
    with running("ok", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server, \
            mitmdump_on_loopback(tmp_path / "mitm") as proxy:
        env = {"HTTP_PROXY": proxy.url}
        run = smoke(server.base_url, env)
        arrived = [r for r in server.requests if r.path.endswith("/chat/completions")]
        forwarded = proxy.requests()
        result = run.check("stream.chat")
        assert (result["code"], result["data"]["cause"]) == ("stream_buffered", "proxy"), result["details"]
        retries = result["data"]["cause_evidence"]["retries"]
        assert [(r["route"], r["buffering"]) for r in retries] == [("same", "buffered"), ("direct", "streamed")]
        direct = retries[1]
        assert FIRST_MS - 5 <= direct["ttft_ms"] < 2 * LAST_MS + 1000
        # Three requests reached the endpoint, each with the canary key; the proxy forwarded two.
        assert len(arrived) == 3 and {r.key_sha256 for r in arrived} == {key_fingerprint(CANARY_KEY)}
        assert len(forwarded) == 2, forwarded
        texts = " ".join(f["text"] for f in result["fixes"])
        assert "gzip off;" not in texts and proxy.url in texts
        (command,) = [f["command"] for f in result["fixes"] if f["command"]]
        # The printed fix, pasted whole, then the same smoke test: it streams now.
        args = " ".join(shlex.quote(a) for a in [CHAT_DOCTOR, "smoke", "--json", "--timeout", "5",
                                                 "--base-url", server.base_url])
        fixed = run_subprocess(["-c", f"{command}\n{args}"], env={**env, "OPENAI_API_KEY": CANARY_KEY},
                               executable="bash", timeout=300)
        assert_no_key(fixed)
        assert fixed.check("stream.chat")["status"] == "ok", fixed.check("stream.chat")["details"]
        assert len(proxy.requests()) == 2  # the fixed run bypassed the proxy


@pytest.mark.slow
def test_a_proxy_that_is_the_only_way_in_is_required(tmp_path: Path) -> None:
    """The endpoint's name resolves only at the proxy (mitmproxy's map_remote): the direct retry
    cannot connect, which is itself the answer (the cause stays upstream, with that note)."""
    with running("ok", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        port = server.base_url.split(":")[2].split("/")[0]
        name = "api.chat-doctor.invalid"
        with mitmdump_on_loopback(tmp_path / "mitm", ["--map-remote", f"|//{name}:{port}/|//127.0.0.1:{port}/"]) as proxy:
            # Plain http to a name that is not this machine: the key may go only with --allow-insecure.
            run = smoke(f"http://{name}:{port}/v1", {"HTTP_PROXY": proxy.url}, "--allow-insecure")
            assert len(proxy.requests()) == 2
        arrived = [r for r in server.requests if r.path.endswith("/chat/completions")]
    result = run.check("stream.chat")
    assert (result["code"], result["data"]["cause"]) == ("stream_buffered", "upstream"), result["details"]
    evidence = result["data"]["cause_evidence"]
    assert evidence["proxy_required"] is True
    assert [(r["route"], r["no_connection"]) for r in evidence["retries"]] == [("same", False), ("direct", True)]
    assert any("is required" in line for line in result["details"])
    assert len(arrived) == 2  # the direct retry never reached anything


@pytest.mark.slow
def test_the_retry_in_the_target_interpreter_sends_identity_too() -> None:
    python = pyenv_python("3.9")
    target = str(venv_python(make_venv(python, ["openai==1.109.1"])))
    with running("gzip_buffered", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = smoke(server.base_url, {}, "--python", target)
    result = run.check("stream.chat")
    smoke_object: Dict[str, Any] = run.json["smoke"]
    assert smoke_object["ran_in"] == "target" and smoke_object["python"] == target
    # The runner's reads see the gzip header early; the text was there only at the end: buffered.
    assert smoke_object["runs"][0]["buffering"] == "buffered"
    assert (result["code"], result["data"]["cause"]) == ("stream_buffered", "compression"), result["details"]
    (retry,) = result["data"]["cause_evidence"]["retries"]
    assert (retry["buffering"], retry["content_encoding"]) == ("streamed", None)
