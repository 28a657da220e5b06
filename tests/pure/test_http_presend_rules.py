"""Which requests doctor.net.presend writes before urllib3 is imported, and the bytes it writes.

The bytes are compared with urllib3's own on the wire in tests/local/test_http_presend.py (and
with urllib3 1.26 in tests/machine/test_http_stack_urllib3.py); here: the exact head for the
shapes chat-doctor sends, and every shape it must leave to urllib3 (None).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, Dict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.net.presend import Presented, request_head
from doctor.net.timing import now

HEADERS = {"Accept": "application/json", "User-Agent": "chat-doctor/0.1.0", "Authorization": "Bearer sk-test"}


def test_the_head_is_http_clients_request_line_host_accept_encoding_then_the_headers_in_order() -> None:
    assert request_head("GET", "http://127.0.0.1:8000/v1/models", HEADERS) == (
        "127.0.0.1", 8000,
        (b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept-Encoding: identity\r\n"
         b"Accept: application/json\r\nUser-Agent: chat-doctor/0.1.0\r\nAuthorization: Bearer sk-test\r\n\r\n"),
    )


def test_port_80_is_left_out_of_host_and_ipv6_keeps_its_brackets() -> None:
    assert request_head("GET", "http://localhost/v1/models", HEADERS)[:2] == ("localhost", 80)  # type: ignore[index]
    assert b"\r\nHost: localhost\r\n" in request_head("GET", "http://localhost/v1/models", HEADERS)[2]  # type: ignore[index]
    host, port, head = request_head("GET", "http://[::1]:9000/v1/models?api-version=2024-10-21", HEADERS)  # type: ignore[misc]
    assert (host, port) == ("[::1]", 9000)
    assert head.startswith(b"GET /v1/models?api-version=2024-10-21 HTTP/1.1\r\nHost: [::1]:9000\r\n")


@pytest.mark.parametrize("method, url", [
    ("POST", "http://127.0.0.1:8000/v1/models"),  # a body and its framing: urllib3's business
    ("GET", "https://127.0.0.1:8000/v1/models"),
    ("GET", "HTTP://127.0.0.1:8000/v1/models"),
    ("GET", "http://127.0.0.1:8000"),  # no path: urllib3 writes "/"
    ("GET", "http://127.0.0.1:8000/v1/./models"),  # dot segments: urllib3 removes them
    ("GET", "http://127.0.0.1:8000/v1/../models"),
    ("GET", "http://127.0.0.1:8000/v1/mo%64els"),  # percent-encoding: urllib3 normalises it
    ("GET", "http://127.0.0.1:8000/v1/mo dels"),
    ("GET", "http://127.0.0.1:8000/v1/models#top"),
    ("GET", "http://127.0.0.1:8000/v1/m\u00f6dels"),
    ("GET", "http://user:pw@127.0.0.1:8000/v1/models"),
    ("GET", "http://Example.com/v1/models"),  # urllib3 lower-cases the host
    ("GET", "http://example.com./v1/models"),  # and drops the trailing dot from Host
    ("GET", "http://[fe80::1%25eth0]:8000/v1/models"),  # a zone id
    ("GET", "http://127.0.0.1:/v1/models"),
    ("GET", "http://127.0.0.1:08000/v1/models"),
    ("GET", "http://127.0.0.1:70000/v1/models"),
])
def test_a_request_urllib3_would_write_otherwise_is_left_to_it(method: str, url: str) -> None:
    assert request_head(method, url, HEADERS) is None


@pytest.mark.parametrize("headers", [
    {"Accept": "application/json"},  # no User-Agent: 1.26 and 2.x put their own in other places
    {**HEADERS, "Host": "elsewhere"},
    {**HEADERS, "accept-encoding": "gzip"},
    {**HEADERS, "Content-Length": "0"},
    {**HEADERS, "Transfer-Encoding": "chunked"},
    {**HEADERS, "X-Bad Name": "1"},
    {**HEADERS, "X-Split": "a\r\nInjected: 1"},
    {**HEADERS, "X-Latin": "caf\u00e9"},
    {**HEADERS, "X-Skip": "@@@SKIP_HEADER@@@"},
])
def test_headers_urllib3_would_add_drop_or_encode_otherwise_are_left_to_it(headers: Dict[str, str]) -> None:
    assert request_head("GET", "http://127.0.0.1:8000/v1/models", headers) is None


class _Conn:
    def __init__(self) -> None:
        self.sock: Any = SimpleNamespace(settimeout=lambda _value: None)


def test_replay_records_whether_urllib3_wrote_the_bytes_that_went_out() -> None:
    presented = Presented(b"GET / HTTP/1.1\r\n\r\n")
    for written, verdict in ((b"GET / HTTP/1.1\r\n\r\n", "matched"), (b"GET /x HTTP/1.1\r\n\r\n", "differed")):
        conn, state = _Conn(), {}  # type: ignore[var-annotated]
        real = conn.sock
        presented.replay(conn, lambda: conn.sock.sendall(written), state)  # noqa: B023  # called at once
        assert (state["presend"], conn.sock) == (verdict, real)


def test_a_write_that_failed_early_fails_again_where_urllib3_writes() -> None:
    presented = Presented(b"GET / HTTP/1.1\r\n\r\n", send_error=BrokenPipeError(32, "Broken pipe"))
    conn, state = _Conn(), {}  # type: ignore[var-annotated]
    real = conn.sock
    with pytest.raises(BrokenPipeError):
        presented.replay(conn, lambda: conn.sock.sendall(b"GET / HTTP/1.1\r\n\r\n"), state)
    assert conn.sock is real and "phase" not in state  # as the serial path: the phase stays "send"
    assert state["presend"] == "matched"


def test_the_response_gets_what_is_left_of_its_timeout_counted_from_the_write() -> None:
    assert Presented(b"").remaining(1.0) == 1.0  # never written: the whole bound
    left = Presented(b"", sent_at=now() - 0.4).remaining(1.0)
    assert 0.5 < left <= 0.6
    assert Presented(b"", sent_at=now() - 5).remaining(1.0) == 0.001  # late already: an answer waiting is still read


# The regular expressions request_head used until character sets replaced them (for their
# compile time): whatever they accepted or refused, the sets must too.
_OLD_CHARS = r"A-Za-z0-9\-._~!$&'()*+,;=:@/"
_OLD = {
    "target": re.compile(rf"/[{_OLD_CHARS}]*(?:\?[{_OLD_CHARS}?]*)?"),
    "name": re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"),
    "ipv6": re.compile(r"\[[0-9a-f:.]+\]"),
    "port": re.compile(r"[1-9][0-9]{0,4}"),
    "token": re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"),
    "value": re.compile(r"[\x20-\x7e]*"),
}
_ALPHABET = "aZ09-._~!$&'()*+,;=:@/?%[]#^`|\" \t\r\n\x7f\xe9\u0660\U0001F600"


def _old_head(url: str, headers: Dict[str, str]) -> bool:
    """Whether the regular expressions let request_head go on (the rest of its rules apart)."""
    netloc, slash, rest = url[len("http://"):].partition("/")
    target = "/" + rest
    if not slash or not _OLD["target"].fullmatch(target) or any(s in (".", "..") for s in target.split("?")[0].split("/")):
        return False
    if netloc.startswith("["):
        end = netloc.find("]") + 1
        host, port = netloc[:end], netloc[end:]
        if not end or not _OLD["ipv6"].fullmatch(host):
            return False
    else:
        host = netloc.partition(":")[0]
        port = netloc[len(host):]
        if not _OLD["name"].fullmatch(host):
            return False
    if port and (port[:1] != ":" or not _OLD["port"].fullmatch(port[1:]) or int(port[1:]) > 65535):
        return False
    return all(_OLD["token"].fullmatch(name) and _OLD["value"].fullmatch(value) for name, value in headers.items())


@settings(max_examples=3000, deadline=None)
@given(netloc=st.text(_ALPHABET + "[]:", max_size=12) | st.sampled_from(["[::1]", "[::1]:8080", "a.b:65535", "a:065"]),
       rest=st.text(_ALPHABET, max_size=12), name=st.text(_ALPHABET, max_size=6), value=st.text(_ALPHABET, max_size=6))
def test_the_character_sets_accept_what_the_regular_expressions_accepted(netloc: str, rest: str, name: str, value: str) -> None:
    url = f"http://{netloc}/{rest}"
    headers = {"User-Agent": "t", name: value} if name else {"User-Agent": "t"}
    if any(n.lower() in ("host", "accept-encoding", "content-length", "transfer-encoding") for n in headers):
        return
    assert (request_head("GET", url, headers) is not None) == _old_head(url, headers), (url, headers)
