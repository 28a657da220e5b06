"""The spinner's words: the checks still unfinished, the first few by name."""

from __future__ import annotations

from doctor.commands.present import spinner_text


def test_spinner_text_names_what_is_unfinished() -> None:
    assert spinner_text(("api.auth",)) == "checking api.auth…"
    assert spinner_text(("net.tls", "api.auth", "api.model", "stream.chat")) == \
        "checking net.tls, api.auth, api.model and 1 more…"
    assert spinner_text(()) == "finishing…"
