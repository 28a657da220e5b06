"""Content-Encoding for the mock's `gzip_buffered` scenario: who accepts gzip, and a gzip writer.

A server or proxy that gzips an event stream compresses each event as it comes, but deflate keeps
its input until a block is full or the body ends: without a flush per event, a reply of a few
kilobytes leaves in one burst at the end. `GzipStream` reproduces that (it never flushes early),
so a client can tell compression from other buffering by asking again with
`Accept-Encoding: identity`, which the scenario answers uncompressed and paced.
"""

from __future__ import annotations

import zlib
from typing import Dict

_GZIP_WBITS = 31  # zlib's window size plus 16: a gzip member (header, deflate data, CRC-32 and size)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (RFC 9110 section 12.5.3).

    `gzip` (or its alias `x-gzip`) with a q-value above 0 admits it; `q=0` refuses it; `*` stands
    for every coding not named; an absent or empty header, or `identity`, admits none.
    """
    weights: Dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding:
            weights[coding] = _q_value(params)
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0


def _q_value(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0  # an unreadable weight admits nothing rather than everything
    return 1.0


class GzipStream:
    """One gzip member, compressed piece by piece and flushed only by `finish`.

    `compress` returns what a gzip-ing server would put on the wire at that moment: the 10-byte
    gzip header first, then nothing until deflate's buffers fill (tens of kilobytes), so a short
    stream's events all arrive with `finish`.
    """

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, _GZIP_WBITS)

    def compress(self, data: bytes) -> bytes:
        return self._compressor.compress(data)

    def finish(self) -> bytes:
        return self._compressor.flush()
