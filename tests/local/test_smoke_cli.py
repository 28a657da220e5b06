"""`chat-doctor` through the real CLI: the version, and `smoke` verdicts against the real mock endpoint."""

from __future__ import annotations

from doctor.knowledge.wording import stream as words
from tests.support.helpers import CANARY_KEY, assert_no_key, run_cli, run_subprocess
from tests.support.mock_helpers import env_for, running

FIRST_MS, INTERVAL_MS = 300, 40  # the mock produces on this schedule, and the buffered scenario sends it all at the end


def test_version_in_process_and_as_process() -> None:
    assert run_cli(["--version"]).stdout.strip() == "chat-doctor 0.1.0"
    proc = run_subprocess(["--version"])
    assert proc.exit_code == 0 and proc.stdout.strip() == "chat-doctor 0.1.0"


def test_a_buffered_stream_over_the_ttft_limit_exits_4_and_names_stream_buffered() -> None:
    """The threshold keeps its code and exit code; the buffering that made the first token late is shown beside it."""
    with running("buffered", first_token_delay_ms=FIRST_MS, token_interval_ms=INTERVAL_MS) as server:
        run = run_cli(["smoke", "--json", "--timeout", "5", "--max-ttft", "0.1"], env=env_for(server))
        human = run_subprocess(["smoke", "--timeout", "5", "--max-ttft", "0.1", "--base-url", server.base_url],
                               env={"OPENAI_API_KEY": CANARY_KEY})
    assert_no_key(run)
    assert_no_key(human)
    result = run.check("stream.chat")
    assert (result["code"], result["status"], run.exit_code) == ("ttft_over_limit", "fail", 4), result["summary"]
    smoke = run.json["smoke"]
    assert smoke["buffered"] is True and smoke["runs"][0]["ttft_ms"] >= FIRST_MS
    assert "(stream_buffered)" in result["summary"]
    assert any(d.startswith("also [stream_buffered]: the reply arrived all at once") for d in result["details"])
    assert result["data"]["findings"] == ["ttft_over_limit", "stream_buffered"]
    commands = [f["command"] for f in result["fixes"]]
    assert commands[:2] == [fix.command for fix in words.BUFFER_FIXES[:2]]  # proxy_buffering off; X-Accel-Buffering: no
    assert human.exit_code == 4, human.stderr[-2000:]
    assert "[ttft_over_limit]" in human.stdout and "also [stream_buffered]" in human.stdout
    assert "proxy_buffering off;" in human.stdout
