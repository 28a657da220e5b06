"""Chat answers that never end, for the scenarios that test a client's time and memory bounds.

Each writer takes over the connection after the request was read and writes with `write` until
the client goes away (an OSError) or the server stops (`stopping`): that is the point. They are
paced with `stopping.wait`, so a stopping server ends them at once. (The bomb alone ends: its
harm is all in its 1 MB.)

- `slowloris`: the response head, four bytes a second, forever (every byte resets a read timeout;
  a quarter second apart, well inside any --timeout, so only chat-doctor's own headers bound can
  end it, never the HTTP library's read timeout racing it).
- `keepalive`: a stream of `: keep-alive` comments after the role chunk: bytes, never an event.
- `endless`: content tokens forever, whatever the token limit.
- `empty_events`: chunks with an empty delta forever: events, but never a token or an end.
- `endless_line`: one `data:` line that never ends.
- `gzip_bomb`: `Content-Encoding: gzip`, about 1 MB on the wire that inflates to 1 GiB: one
  `data:` line that never ends, once decoded.
"""

from __future__ import annotations

import itertools
import json
import struct
import threading
import zlib
from typing import Callable, Dict, Optional

from doctor.mock import wire
from doctor.mock.dialects import WRITERS as DIALECT_WRITERS

Write = Callable[[bytes], object]

SLOWLORIS_BYTE_S = 0.25
KEEPALIVE_S = 0.2
ENDLESS_TOKEN_S = 0.005
EMPTY_EVENT_S = 0.05
LINE_PIECE = 64 * 1024
LINE_PIECE_S = 0.001
BOMB_BLOCK = 1024 * 1024
BOMB_BLOCKS = 1024  # 1 GiB inflated

_STREAM_HEAD = wire.format_head(200, "OK", (
    ("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"),
    ("transfer-encoding", "chunked"), ("connection", "close"),
))


def _chunk(meta: wire.CompletionMeta, delta: dict) -> bytes:
    return wire.http_chunk(wire.sse_data(wire.chunk(meta, delta)))


def _slowloris(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:  # noqa: ARG001  # a behaviour's shape
    head = _STREAM_HEAD[:-2] + b"x-padding: " + b"a" * 100_000
    for byte in head:
        write(bytes([byte]))
        if stopping.wait(SLOWLORIS_BYTE_S):
            return


def _paced(write: Write, stopping: threading.Event, interval_s: float, payload: Callable[[int], bytes]) -> None:
    for index in itertools.count():
        write(payload(index))
        if stopping.wait(interval_s):
            return


def _keepalive(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    write(_STREAM_HEAD + _chunk(meta, {"role": "assistant", "content": ""}))
    _paced(write, stopping, KEEPALIVE_S, lambda _: wire.http_chunk(wire.sse_comment("keep-alive")))


def _endless(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    write(_STREAM_HEAD + _chunk(meta, {"role": "assistant", "content": ""}))
    words = wire.split_tokens("and on and on the model goes, ignoring every limit it was given ")
    _paced(write, stopping, ENDLESS_TOKEN_S, lambda i: _chunk(meta, {"content": words[i % len(words)]}))


def _empty_events(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    write(_STREAM_HEAD + _chunk(meta, {"role": "assistant", "content": ""}))
    _paced(write, stopping, EMPTY_EVENT_S, lambda _: _chunk(meta, {}))


def _line_start(meta: wire.CompletionMeta) -> bytes:
    return b'data: {"id": ' + json.dumps(meta.id).encode() + b', "choices": [{"delta": {"content": "'


def _endless_line(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:
    write(_STREAM_HEAD + wire.http_chunk(_line_start(meta)))
    piece = wire.http_chunk(b"a" * LINE_PIECE)
    _paced(write, stopping, LINE_PIECE_S, lambda _: piece)


_bomb_lock = threading.Lock()
_bomb: Optional[bytes] = None


def gzip_bomb() -> bytes:
    """A valid gzip member of BOMB_BLOCKS x 1 MiB (after a `data:` prefix), about 1 MB long.

    Built in a second, not by compressing 1 GiB: after a full flush the compressor starts afresh,
    so every further identical block compresses to the very same bytes; the trailer's CRC and
    size are computed over the whole inflated text, so a client can decode it to the end.
    """
    global _bomb  # noqa: PLW0603  # built once, on first use, under the lock (1 MB; most runs never need it)
    with _bomb_lock:
        if _bomb is None:
            prefix = b'data: {"choices": [{"delta": {"content": "'
            block = b"A" * BOMB_BLOCK
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
            one = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
            end = compressor.flush()
            crc = zlib.crc32(prefix)
            for _ in range(BOMB_BLOCKS):
                crc = zlib.crc32(block, crc)
            size = len(prefix) + BOMB_BLOCK * BOMB_BLOCKS
            gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
            _bomb = gzip_header + head + one * BOMB_BLOCKS + end + struct.pack("<II", crc, size & 0xFFFFFFFF)
        return _bomb


def _gzip_bomb(write: Write, stopping: threading.Event, meta: wire.CompletionMeta) -> None:  # noqa: ARG001  # a behaviour's shape
    body = gzip_bomb()
    write(wire.format_head(200, "OK", (
        ("content-type", "text/event-stream; charset=utf-8"), ("content-encoding", "gzip"),
        ("content-length", str(len(body))), ("connection", "close"),
    )) + body)


WRITERS: Dict[str, Callable[[Write, threading.Event, wire.CompletionMeta], None]] = {
    "slowloris": _slowloris,
    "keepalive": _keepalive,
    "endless": _endless,
    "empty_events": _empty_events,
    "endless_line": _endless_line,
    "gzip_bomb": _gzip_bomb,
    **DIALECT_WRITERS,  # not hostile: other servers' wire dialects, served the same way (doctor/mock/dialects.py)
}


def serve(name: str, write: Write, stopping: threading.Event, model: str) -> None:
    """Run writer `name` on one connection until the client leaves or the server stops."""
    try:
        WRITERS[name](write, stopping, wire.CompletionMeta.new(model))
    except OSError:
        pass  # the client went away: the only way these end
