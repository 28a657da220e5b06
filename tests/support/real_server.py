"""A real, independent OpenAI-compatible server on loopback: a LiteLLM proxy (PyPI `litellm[proxy]`).

    with running_litellm(tmp_path, key=CANARY_KEY) as server:
        server.base_url   # http://127.0.0.1:<port>/v1

Why LiteLLM: no package on PyPI, npm or Debian bookworm ships an OpenAI-compatible server that
runs a model on these 2-core machines without a build: llama.cpp is not in bookworm, and
`llama-cpp-python` is an sdist whose build of llama.cpp (178 objects) did 29 in 31 minutes on a
loaded 2-core machine. LiteLLM is a real gateway, used in production in front of real
providers, with its own HTTP stack (FastAPI on uvicorn), auth, errors and SSE writer; its
`mock_response` models answer without an upstream, streamed as LiteLLM streams any reply (three
characters a chunk, a finish chunk, a usage chunk, `[DONE]`). The `dead-upstream` model points at
a loopback port nothing listens on: the gateway then answers as it does when its provider is down.

Installed once into a cached venv (tests/support/venvs.py, under $CHAT_DOCTOR_TEST_CACHE); a
machine that cannot reach the package index skips. Only loopback traffic: LiteLLM fetches a
model price list from the internet at import unless LITELLM_LOCAL_MODEL_COST_MAP is set, and
the proxy variables are cleared so nothing goes through a proxy.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

from tests.support.mock_helpers import read_response, send_request
from tests.support.venvs import make_venv, pyenv_python

LITELLM = "litellm[proxy]==1.108.7"
REPLY = "Hello from a LiteLLM proxy, streamed in pieces."
MODEL = "gpt-4o-mini"
DEAD_MODEL = "dead-upstream"
# A cold start imports FastAPI, pydantic and the provider tables: about 60 s on a loaded 2-core machine.
START_S = 240.0

_CONFIG = """\
model_list:
  - model_name: {model}
    litellm_params:
      model: openai/{model}
      api_key: sk-upstream-never-used-000000
      mock_response: {reply}
  - model_name: {dead}
    litellm_params:
      model: openai/dead
      api_base: http://127.0.0.1:{dead_port}/v1
      api_key: sk-upstream-never-used-000000
general_settings:
  master_key: {key}
litellm_settings:
  telemetry: false
"""


@dataclass(frozen=True)
class RealServer:
    host: str
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"


def venv_or_skip(packages: List[str], no_deps: bool = False) -> Path:
    """A cached Python 3.11 venv holding `packages`; skips when the package index cannot be reached."""
    python = pyenv_python("3.11")
    try:
        return make_venv(python, packages, no_deps=no_deps)
    except RuntimeError as exc:
        text = str(exc)
        if any(sign in text for sign in ("Could not find a version", "No matching distribution", "NewConnectionError",
                                         "Temporary failure in name resolution", "Network is unreachable")):
            pytest.skip(f"{packages[0]} could not be installed (package index unreachable): {text.splitlines()[-1][:200]}")
        raise


def litellm_bin() -> Path:
    """The `litellm` script of a cached venv; skips when the package index cannot be reached."""
    return venv_or_skip([LITELLM]) / "bin" / "litellm"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
           and not k.upper().startswith(("OPENAI_", "AZURE_", "LITELLM_"))}
    env.update({"HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "NO_COLOR": "1"})
    return env


@contextlib.contextmanager
def running_litellm(workdir: Path, key: str) -> Iterator[RealServer]:
    """A LiteLLM proxy on 127.0.0.1 accepting only `key`, stopped (its whole process group) afterwards."""
    binary = litellm_bin()
    port, dead_port = free_port(), free_port()  # nothing listens on dead_port
    config = workdir / "litellm.yaml"
    config.write_text(_CONFIG.format(model=MODEL, reply=json.dumps(REPLY), dead=DEAD_MODEL, dead_port=dead_port, key=key))
    log = workdir / "litellm.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir,
                                env=_environment(workdir), start_new_session=True)
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}/health/liveliness", log, "litellm", START_S)
        yield RealServer("127.0.0.1", port, log)
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's whole process group (started with start_new_session), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


def wait_ready(proc: subprocess.Popen, url: str, log: Path, name: str, start_s: float) -> None:
    """Until `url` answers 200 on loopback; raises with the log's tail if `proc` exits or `start_s` passes."""
    deadline = time.monotonic() + start_s
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with opener.open(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{name} did not answer within {start_s:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


@dataclass(frozen=True)
class RawStream:
    """One streamed request made by hand on a socket: when its parts arrived (ms since sent)."""

    status: int
    headers_ms: float
    ttft_ms: Optional[float]  # the first event with non-empty delta.content
    total_ms: float
    text: str
    events: List[dict]


def raw_stream(server: RealServer, key: str, model: str = MODEL, max_tokens: int = 64) -> RawStream:
    """A streamed chat completion over a plain socket, parsed by hand: the floor for any client's TTFT."""
    body = {"model": model, "messages": [{"role": "user", "content": "Say hello"}], "stream": True,
            "max_tokens": max_tokens, "stream_options": {"include_usage": True}}
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        start = send_request(sock, "POST", "/v1/chat/completions", body, key)
        response = read_response(sock.makefile("rb"), start)
    total_ms = (time.perf_counter() - start) * 1000.0
    ttft: Optional[float] = None
    events: List[dict] = []
    text = ""
    buffer = b""
    for at, payload in response.chunks:
        buffer += payload
        *complete, buffer = buffer.split(b"\n\n")
        for raw in complete:
            data = raw.decode("utf-8").removeprefix("data: ").strip()
            if not data or data == "[DONE]":
                continue
            event = json.loads(data)
            events.append(event)
            piece = ((event.get("choices") or [{}])[0].get("delta") or {}).get("content") or ""
            if piece and ttft is None:
                ttft = at * 1000.0
            text += piece
    return RawStream(response.status, response.head_at * 1000.0, ttft, total_ms, text, events)
