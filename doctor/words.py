"""Words shared by every summary: shortening text without cutting a word or a URL in half, and
durations written one way everywhere.

Server messages, probe output and excerpts are shortened before they go into a summary or a
detail line. A cut in the middle of a word reads as a typo, and a cut in the middle of a URL
gives the user a link that does not work, so text is cut at the last blank before the limit
(a URL holds no blank, so it is kept whole or left out), and " …" says that something was.
"""

from __future__ import annotations

from typing import Optional


def shorten(text: str, limit: int = 300) -> str:
    """`text` on one line, at most about `limit` characters, cut only between words."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else ""
    if not cut:  # one word longer than the limit (a token, a blob): nothing better to do
        return text[: max(1, limit - 1)] + "…"
    return (cut.rstrip(",;:") or cut) + " …"  # "word, …" reads "word …"; ",,, …" stays


def ms(value: Optional[float], missing: str = "?") -> str:
    """A duration in milliseconds as the report writes it: "4.2 ms", "180 ms", "2.50 s"."""
    if value is None:
        return missing
    if value >= 2000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
