"""Shortening text for summaries: between words, never mid-URL."""

from __future__ import annotations

from doctor.words import shorten

URL = "https://platform.openai.com/account/api-keys"


def test_shorten_cuts_between_words_and_keeps_urls_whole() -> None:
    text = f"Incorrect API key provided. You can find your API key at {URL} and more words follow here"
    for limit in range(20, len(text)):
        short = shorten(text, limit)
        assert len(short) <= limit + 2
        kept = short.removesuffix(" …")
        assert text.startswith(kept) and (kept == text or text[len(kept)] == " "), (limit, short)
        assert URL in short or "https://" not in short, (limit, short)
    assert shorten("a" * 50, 10) == "a" * 9 + "…"  # one word longer than the limit: cut, and said
    assert shorten("  two\n lines ") == "two lines"
