"""TTFT accuracy on the Responses API (POST /v1/responses), through the smoke test's target runner.

chat-doctor times a Responses stream inside the target interpreter (doctor.stream.target_runner,
launched by doctor.stream.target_launch.run_in_target, job api="responses"): the clock starts
as the request is sent (the HTTP client's request hook; the SDK's request building from
`responses.create()` to it is shown beside), the first `response.output_text.delta` is stamped
at the network read that carried it. The floor beside it is a raw socket: a hand-written request in one write,
the time of the recv() that brought the first `event: response.output_text.delta`.
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import time
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from bench_common import KEY
from bench_ttft import DELAYS_MS, MODEL, mock_server

_FIRST_DELTA = b"event: response.output_text.delta"


def raw_responses(base_url: str, max_tokens: int = 64) -> float:
    """TTFT in ms of one streamed Responses answer, read by hand."""
    parts = urlsplit(base_url)
    body = json.dumps({"model": MODEL, "input": "Say hello", "stream": True, "max_output_tokens": max_tokens}).encode()
    head = (
        f"POST {parts.path}/responses HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    t0 = time.perf_counter()
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    try:
        sock.sendall(head + body)
        while True:
            data = sock.recv(65536)
            now = time.perf_counter()
            if not data:
                return float("nan")
            buffer += data
            if _FIRST_DELTA in buffer:
                return (now - t0) * 1000.0
    finally:
        sock.close()


def runner_responses(base_url: str) -> Tuple[float, float]:
    """TTFT in ms as the smoke test reports it for one Responses run in this interpreter, and
    the SDK's request building before the clock (request_build_ms)."""
    from doctor.redact import Redactor
    from doctor.stream.figures import measure
    from doctor.stream.target_launch import API_RESPONSES, RunnerJob, run_in_target

    job = RunnerJob(base_url=base_url, model=MODEL, prompt="Say hello", max_tokens=64, timeout_s=30.0,
                    api=API_RESPONSES, kind="compatible", allow_http=True)
    result = run_in_target(sys.executable, job, env={}, key=KEY, redactor=Redactor([KEY]))
    if result.failure is not None or not result.traces:
        raise RuntimeError(f"the target runner failed: {result.problem} {result.failure}")
    ttft: Optional[float] = measure(result.traces[0]).ttft_ms
    build = result.traces[0].request_build_ms
    return float("nan") if ttft is None else ttft, float("nan") if build is None else build


def bench_responses(runs: int) -> List[Dict[str, float]]:
    """Per delay D: medians of chat-doctor's and the raw socket's TTFT, and their samples."""
    rows = []
    for delay in DELAYS_MS:
        with mock_server("--first-token-delay", str(delay), "--token-interval", "5") as url:
            raw_responses(url)  # warm the server's code paths
            ours, raw, build = [], [], []
            for _ in range(runs):  # interleaved
                ttft, built = runner_responses(url)
                ours.append(ttft)
                build.append(built)
                raw.append(raw_responses(url))
        rows.append({"delay": float(delay), "chat_doctor": statistics.median(ours), "raw": statistics.median(raw),
                     "ours_errors": [v - delay for v in ours], "raw_errors": [v - delay for v in raw],
                     "build_values": build})
    return rows
