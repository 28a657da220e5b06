"""The `slow` scenario is what it says: the head arrives late, then the stream keeps its pace."""

from __future__ import annotations

import pytest

from tests.support.helpers import CANARY_KEY, run_cli
from tests.support.mock_helpers import CHAT_PATH, chat_body, raw_exchange, running

pytestmark = pytest.mark.timeout(60)


def test_slow_delays_the_head_then_streams_at_the_normal_pace() -> None:
    with running("slow", slow_delay_ms=300, token_interval_ms=40) as server:
        response = raw_exchange(server, "POST", CHAT_PATH, chat_body(stream=True))
    assert response.status == 200 and 0.28 <= response.head_at < 0.6
    times = [at for at, payload in response.chunks if b'"content"' in payload]
    assert len(times) >= 5
    # Token by token, 40 ms apart, not the whole reply in one burst after the delay.
    assert times[-1] - times[0] >= 0.8 * 0.040 * (len(times) - 1), times


def test_slow_through_the_cli_is_a_late_but_real_stream() -> None:
    with running("slow", slow_delay_ms=300) as server:
        run = run_cli(["smoke", "--json", "-q", "--base-url", server.base_url, "--timeout", "3"],
                      env={"OPENAI_API_KEY": CANARY_KEY})
    result = run.check("stream.chat")
    assert result["status"] == "ok", result  # not stream_buffered
    (first,) = run.json["smoke"]["runs"]
    assert first["headers_ms"] >= 280 and first["buffering"] == "streamed"
