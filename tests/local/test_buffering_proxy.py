"""A paced stream through a real reverse proxy (Debian's nginx, tests/support/buffering_proxy.py).

The mock server paces its tokens; nginx sits in front of it in four configurations. Measured on
the raw wire (when each SSE event was complete, gzip bodies inflated as they arrive): which ones
hold the stream and deliver it in one burst, and which pass it on paced. Then `chat-doctor
smoke` through the proxy, for the verdict stream.chat gives today. These are the peers the
buffering-cause diagnosis (issue 11: compression, proxy or upstream) is to be tested against.
"""

from __future__ import annotations

import socket
import zlib
from typing import Callable, Iterator, List, Optional, Tuple

import pytest

from tests.support.buffering_proxy import NginxProxy, Origin, nginx_proxy  # noqa: F401  # nginx_proxy: a fixture
from tests.support.helpers import CANARY_KEY, assert_no_key, run_cli
from tests.support.mock_helpers import CHAT_PATH, RawResponse, chat_body, read_response, running, send_request

# The mock's schedule: token i is due at FIRST + i x INTERVAL seconds after the request.
FIRST, INTERVAL, TOKENS = 0.2, 0.05, 8
LAST = FIRST + INTERVAL * (TOKENS - 1)
ProxyFactory = Callable[[str], NginxProxy]


def exchange(origin: Origin, accept_encoding: Optional[str]) -> RawResponse:
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else None
    with socket.create_connection(("127.0.0.1", origin.port), timeout=5) as sock:
        start = send_request(sock, "POST", CHAT_PATH, chat_body(stream=True), headers=headers)
        return read_response(sock.makefile("rb"), start)


def events(response: RawResponse) -> List[Tuple[float, str]]:
    """(seconds after the request, event) for every SSE event, at the chunk that completed it."""
    gzipped = response.headers.get("content-encoding") == "gzip"
    inflater = zlib.decompressobj(31)
    pending, found = b"", []
    for at, payload in response.chunks:
        pending += inflater.decompress(payload) if gzipped else payload
        *complete, pending = pending.split(b"\n\n")
        found += [(at, event.decode("utf-8")) for event in complete]
    assert pending == b"" and (not gzipped or inflater.eof), "the body did not end with a whole event"
    return found


def token_arrivals(response: RawResponse) -> List[float]:
    found = [at for at, event in events(response) if '"content":"' in event and '"content":""' not in event]
    assert len(found) == TOKENS, events(response)
    return found


def assert_paced(response: RawResponse) -> None:
    """Token i never before it was due, the tokens spread over the schedule, none hanging."""
    arrivals = token_arrivals(response)
    due = [FIRST + INTERVAL * i for i in range(TOKENS)]
    assert all(at >= d - 0.005 for at, d in zip(arrivals, due)), list(zip(arrivals, due))
    assert arrivals[-1] - arrivals[0] >= (due[-1] - due[0]) / 2, arrivals  # paced, not a burst
    assert arrivals[-1] < 2 * LAST, arrivals
    assert response.complete and events(response)[-1][1] == "data: [DONE]"


def assert_one_burst(response: RawResponse) -> None:
    """Nothing (the head included) before the last token was produced, then everything at once."""
    arrivals = [at for at, _ in events(response)]
    assert response.head_at >= LAST - 0.005, response.head_at
    assert max(arrivals) - response.head_at < INTERVAL, (response.head_at, arrivals)  # within one token's gap
    assert max(arrivals) < 2 * LAST, arrivals
    assert len(token_arrivals(response)) == TOKENS and response.complete


@pytest.fixture
def proxy(nginx_proxy: ProxyFactory) -> Iterator[NginxProxy]:  # noqa: F811  # the imported fixture, by name
    """nginx in front of a mock that paces its tokens (stopped first, then nginx)."""
    with running("ok", first_token_delay_ms=int(FIRST * 1000), token_interval_ms=int(INTERVAL * 1000)) as server:
        yield nginx_proxy(server.url)


# --- on the wire ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept_encoding", ["gzip, deflate", "identity"])
def test_proxy_buffering_on_alone_passes_a_paced_stream_on(proxy: NginxProxy, accept_encoding: str) -> None:
    """nginx buffers what it reads from upstream, but hands each read to a client that keeps up."""
    response = exchange(proxy["buffering"], accept_encoding)
    assert "content-encoding" not in response.headers
    assert response.head_at < FIRST  # the head, at once
    assert_paced(response)


@pytest.mark.parametrize("accept_encoding", ["gzip, deflate", "identity"])
def test_proxy_buffering_off_passes_a_paced_stream_on(proxy: NginxProxy, accept_encoding: str) -> None:
    response = exchange(proxy["unbuffered"], accept_encoding)
    assert "content-encoding" not in response.headers and response.head_at < FIRST
    assert_paced(response)


def test_gzip_holds_the_whole_stream_for_a_client_that_accepts_gzip(proxy: NginxProxy) -> None:
    """Buffering on and `gzip_types text/event-stream`: deflate is never flushed before the end."""
    response = exchange(proxy["gzip"], "gzip, deflate")
    assert response.headers["content-encoding"] == "gzip"
    assert_one_burst(response)


def test_gzip_streams_paced_when_the_client_asks_for_identity(proxy: NginxProxy) -> None:
    """The same location: without compression nothing holds the stream (compression is the cause)."""
    response = exchange(proxy["gzip"], "identity")
    assert "content-encoding" not in response.headers and response.head_at < FIRST
    assert_paced(response)


def test_gzip_without_proxy_buffering_is_compressed_and_still_paced(proxy: NginxProxy) -> None:
    """With buffering off nginx flushes the compressor after every upstream read."""
    response = exchange(proxy["gzip_unbuffered"], "gzip, deflate")
    assert response.headers["content-encoding"] == "gzip" and response.head_at < FIRST
    assert_paced(response)


# --- chat-doctor smoke through the proxy -----------------------------------------------------------


@pytest.mark.parametrize(("origin", "status", "code", "buffering"), [
    ("buffering", "ok", None, "streamed"),
    ("unbuffered", "ok", None, "streamed"),
    ("gzip", "warn", "stream_buffered", "buffered"),
    ("gzip_unbuffered", "ok", None, "streamed"),
])
def test_smoke_through_nginx(proxy: NginxProxy, origin: str, status: str, code: Optional[str],
                             buffering: str) -> None:
    base_url = proxy[origin].base_url
    run = run_cli(["smoke", "--json", "--timeout", "5", "--base-url", base_url], env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    result = run.check("stream.chat")
    assert (result["status"], result["code"]) == (status, code), (result["summary"], result["details"])
    assert run.exit_code == 0
    one = run.json["smoke"]["runs"][0]
    assert one["buffering"] == buffering and one["content_chunks"] == TOKENS
    assert run.json["smoke"]["base_url"] == base_url
    if code == "stream_buffered":
        assert one["headers_ms"] >= LAST * 1000 - 5  # nginx held the head with the body
    else:
        assert FIRST * 1000 - 5 <= one["ttft_ms"] < 2 * LAST * 1000, one
