"""Key redaction (pure logic)."""

from __future__ import annotations

from doctor.redact import Redactor, key_shape, proxy_without_credentials
from tests.helpers import CANARY_KEY


def test_key_shape_shows_prefix_last_four_and_length_only() -> None:
    shape = key_shape(CANARY_KEY)
    assert shape == f"sk-proj-…CNRY ({len(CANARY_KEY)} chars)"
    assert CANARY_KEY[8:20] not in shape


def test_short_keys_reveal_no_tail() -> None:
    assert key_shape("abc") == "…  (3 chars)".replace("  ", " ")


def test_redactor_catches_whole_padded_and_partial_echoes() -> None:
    redactor = Redactor([f'  "{CANARY_KEY}"\n'])
    for text in (
        f"Incorrect API key provided: {CANARY_KEY}.",
        f"key={CANARY_KEY[:40]}...",  # a server that truncates
        f"Bearer {CANARY_KEY[5:60]}",  # a slice from the middle
    ):
        scrubbed = redactor.text(text)
        assert CANARY_KEY not in scrubbed
        for i in range(0, len(CANARY_KEY) - 16):
            assert CANARY_KEY[i : i + 16] not in scrubbed, (text, scrubbed)


def test_redactor_leaves_ordinary_text_alone() -> None:
    redactor = Redactor([CANARY_KEY])
    text = "connect to https://api.openai.com/v1/models took 12 ms (x-request-id req_0123456789abcdef)"
    assert redactor.text(text) == text


def test_scrub_walks_nested_data() -> None:
    redactor = Redactor([CANARY_KEY])
    scrubbed = redactor.scrub({"a": [CANARY_KEY, ("x", CANARY_KEY)], CANARY_KEY: 1})
    assert CANARY_KEY not in repr(scrubbed)


def test_proxy_credentials_are_hidden() -> None:
    assert proxy_without_credentials("http://user:s3cret@proxy.corp:3128") == "http://***@proxy.corp:3128"
    assert proxy_without_credentials("http://proxy.corp:3128") == "http://proxy.corp:3128"
