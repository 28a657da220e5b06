"""Human output off a terminal: plain greppable tags, one line per result, no secrets in the header."""

from __future__ import annotations

from tests.helpers import run_cli, run_subprocess


def test_plain_output_keeps_every_tag_and_does_not_wrap() -> None:
    run = run_subprocess(["check", "--offline"], env={"COLUMNS": "60", "OPENAI_BASE_URL": "http://example.com/v1"})
    lines = run.stdout.splitlines()
    assert any(line.startswith(" [skip] net.dns") for line in lines), run.stdout
    assert any(line.startswith((" [warn] ", " [FAIL] ")) for line in lines), run.stdout
    # A check line is one line even when longer than the terminal width would allow.
    assert any(line.startswith(" [") and len(line) > 60 for line in lines)
    assert "\x1b[" not in run.stdout  # no colour codes in a pipe


def test_url_credentials_never_shown() -> None:
    url = "https://alice:hunter2-secret@llm.example.com/v1"
    human = run_cli(["check", "--offline", "--base-url", url])
    as_json = run_cli(["check", "--offline", "--json", "--base-url", url])
    for output in (human.output, as_json.output):
        assert "hunter2-secret" not in output
    assert as_json.json["endpoint"]["base_url"] == "https://***@llm.example.com/v1"
