"""Key redaction (pure logic)."""

from __future__ import annotations

import base64

import pytest

from doctor.credentials import secrets_in
from doctor.redact import RUN, Redactor, StreamRedactor, base64_forms, display_url, is_secret, key_shape
from tests.support.helpers import CANARY_KEY
from tests.support.strategies import leaked_pieces, visible


def test_key_shape_shows_prefix_last_four_and_length_only() -> None:
    shape = key_shape(CANARY_KEY)
    assert shape == f"sk-proj-…CNRY ({len(CANARY_KEY)} chars)"
    assert CANARY_KEY[8:20] not in shape


def test_keys_under_twelve_characters_reveal_no_tail() -> None:
    assert key_shape("abcdefgh12") == "… (10 chars)"


def test_values_too_short_or_common_to_be_secret_are_shown_and_never_scrubbed() -> None:
    # The README's own example for local servers: OPENAI_API_KEY=local. Scrubbing it would
    # turn every "localhost" into nonsense; with "http", every URL.
    for placeholder in ("local", "http", "EMPTY", "ollama", "sk-no-key-required", "abc1234"):
        assert not is_secret(placeholder)
        redactor = Redactor([placeholder])
        text = "GET http://localhost:11434/v1/models said EMPTY; ollama is local"
        assert redactor.text(text) == text
    assert key_shape("local") == '"local" (5 chars, a placeholder)'
    assert is_secret("abcd1234") and Redactor(["abcd1234"]).text("x abcd1234 y") == "x … (8 chars) y"


def test_redactor_catches_whole_padded_and_partial_echoes() -> None:
    redactor = Redactor([f'  "{CANARY_KEY}"\n'])
    for text in (
        f"Incorrect API key provided: {CANARY_KEY}.",
        f"key={CANARY_KEY[:40]}...",  # a server that truncates
        f"Bearer {CANARY_KEY[5:60]}",  # a slice from the middle
    ):
        scrubbed = redactor.text(text)
        assert CANARY_KEY not in scrubbed
        for i in range(0, len(CANARY_KEY) - RUN):
            assert CANARY_KEY[i : i + RUN] not in scrubbed, f"piece at {i} survived"


def test_redactor_leaves_ordinary_text_alone() -> None:
    redactor = Redactor([CANARY_KEY])
    text = "connect to https://api.openai.com/v1/models took 12 ms (x-request-id req_0123456789abcdef)"
    assert redactor.text(text) == text


def test_scrub_walks_nested_data() -> None:
    redactor = Redactor([CANARY_KEY])
    scrubbed = redactor.scrub({"a": [CANARY_KEY, ("x", CANARY_KEY)], CANARY_KEY: 1})
    assert CANARY_KEY not in repr(scrubbed)


def test_url_credentials_are_hidden_whole() -> None:
    assert display_url("http://user:s3cret@proxy.corp:3128") == "http://***@proxy.corp:3128"
    assert display_url("http://u:p@ss@h:1/x") == "http://***@h:1/x"  # '@' inside the password
    assert display_url("user:pw@host:3128") == "***@host:3128"  # no scheme
    assert display_url("http://proxy.corp:3128") == "http://proxy.corp:3128"


def test_secrets_come_from_env_dotenv_and_url_passwords(tmp_path) -> None:
    (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{CANARY_KEY}"\n')
    env = {"HTTPS_PROXY": "http://me:pa%40ss-word@proxy:3128", "OPENAI_BASE_URL": "https://u:base-secret@h/v1"}
    found = secrets_in(env, tmp_path)
    assert CANARY_KEY in found and "pa@ss-word" in found and "pa%40ss-word" in found and "base-secret" in found
    scrubbed = Redactor(found).text(f"proxy said pa@ss-word; key {CANARY_KEY}; base-secret")
    assert "pa@ss-word" not in scrubbed and CANARY_KEY not in scrubbed and "base-secret" not in scrubbed


def test_a_run_scrubs_dotenv_keys_and_url_passwords(tmp_path, monkeypatch) -> None:
    """The session's Redactor knows every secret of the run, not only OPENAI_API_KEY.

    A fake check (pure logic) echoes them; the real session wiring must scrub them.
    """
    import doctor.checks
    from doctor import session
    from doctor.knowledge.diagnoses import ok
    from doctor.runner import Check
    from doctor.settings import Settings

    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={CANARY_KEY}\n")
    env = {"HTTPS_PROXY": "http://me:proxy-pass-1234@proxy:3128"}
    echo = Check("x.echo", "Echo", lambda ctx: ok("x.echo", f"{CANARY_KEY} proxy-pass-1234 base-pass-5678"),
                 lambda result: result)
    monkeypatch.setattr(doctor.checks, "registry", lambda: ((echo,), {}))
    plan = session.plan(Settings(env=env, cwd=tmp_path, base_url="https://u:base-pass-5678@h/v1"))
    (result,) = session.run(plan).checks
    for secret in (CANARY_KEY, "proxy-pass-1234", "base-pass-5678"):
        assert secret not in result.summary


def _runs_of(secret: str, text: str) -> list:
    return [secret[i : i + RUN] for i in range(len(secret) - RUN + 1) if secret[i : i + RUN] in text]


def test_no_twelve_character_run_survives_whatever_surrounds_it() -> None:
    redactor = Redactor([CANARY_KEY])
    for start, size in ((30, 15), (0, 12), (100, 13), (7, 40)):
        piece = CANARY_KEY[start : start + size]
        for text in (f"key=c4n4ry{piece}xq9 is not valid", f"{piece}", f"({piece})", f"a{piece}b{piece}"):
            scrubbed = redactor.text(text)
            assert not _runs_of(CANARY_KEY, scrubbed), f"piece {start}+{size} survived"  # never print the key
            assert "[redacted]" in scrubbed
    # An 11-character piece is not a run; ordinary text around it is untouched.
    assert redactor.text("id=" + CANARY_KEY[50:61] + " ok") == "id=" + CANARY_KEY[50:61] + " ok"


def test_a_key_streamed_in_small_pieces_is_caught_and_prose_is_barely_held_back() -> None:
    redactor = Redactor([CANARY_KEY])
    reply = f"Sure! Your key is {CANARY_KEY} and its middle is {CANARY_KEY[40:70]}. Bye."
    for size in (1, 5, 7, 64):
        stream = StreamRedactor(redactor)
        shown = "".join(stream.feed(reply[i : i + size]) for i in range(0, len(reply), size)) + stream.flush()
        assert not _runs_of(CANARY_KEY, shown), f"a piece survived {size}-character chunks"  # never print the key
        assert shown.startswith("Sure! Your key is sk-proj-…") and shown.endswith(". Bye."), "reply mangled"
    prose = "Hello from chat-doctor's local endpoint. The quick brown fox jumps over 12 lazy dogs. " * 3
    stream, shown, held = StreamRedactor(redactor), 0, []
    for i, char in enumerate(prose):
        shown += len(stream.feed(char))
        held.append(i + 1 - shown)
    assert max(held) <= 4  # characters held back, at worst, before they are shown
    assert shown + len(stream.flush()) == len(prose)


@pytest.mark.parametrize("echo", ["whole", "all but its last character", "base64, with zero-width spaces"])
def test_a_key_echoed_back_to_back_is_held_back_boundedly_and_never_shown(echo: str) -> None:
    """Pieces of the key back to back are one run that could always go on: the stream once held
    all of it and re-read it at every piece (quadratic). Now it holds at most `hold_limit`
    characters, shows the older part as `[redacted]` while the echo goes on, and the text after
    the echo comes out as it is."""
    redactor = Redactor([CANARY_KEY])
    unit = {"whole": CANARY_KEY, "all but its last character": CANARY_KEY[:-1],
            "base64, with zero-width spaces": "\u200b".join(base64_forms(CANARY_KEY)[0])}[echo]
    reply = unit * 60 + " Bye."  # about 8-16 k characters
    stream, shown, most_held = StreamRedactor(redactor), [], 0
    for i in range(0, len(reply), 5):
        shown.append(stream.feed(reply[i : i + 5]))
        most_held = max(most_held, stream.held)
    shown.append(stream.flush())
    text = "".join(shown)
    assert not leaked_pieces(CANARY_KEY, text)  # never print the key
    assert most_held <= stream.hold_limit and stream.cut_short > 1
    assert sum(1 for piece in shown[: len(shown) // 2] if piece) > 1, "nothing shown while the echo went on"
    assert text.endswith(" Bye.")
    # Between the replacements, only what the one-shot text shows too: bits under RUN characters
    # where two base64 forms meet (and the zero-width spaces).
    between = text[: -len(" Bye.")].replace(key_shape(CANARY_KEY), "[redacted]").split("[redacted]")
    assert max(len(visible(bit)) for bit in between) < RUN


def test_credentials_in_a_url_query_are_masked() -> None:
    url = f"http://127.0.0.1:8000/v1?api-key={CANARY_KEY}&api-version=2024-10-21"
    assert display_url(url) == "http://127.0.0.1:8000/v1?api-key=***&api-version=2024-10-21"
    assert display_url(f"https://h/v1?x={CANARY_KEY}") == "https://h/v1?x=***"  # a key by its looks
    assert display_url("https://h/v1#access_token=abc") == "https://h/v1#access_token=***"
    assert display_url("https://h/v1?page=2") == "https://h/v1?page=2"
    found = secrets_in({"OPENAI_BASE_URL": url})
    assert CANARY_KEY in found


@pytest.mark.parametrize("before", ["", ":", "u:", "Bearer ", "user:"])
def test_the_key_base64_encoded_is_a_secret_too(before: str) -> None:
    # A server echoing the key (or a `Basic` header carrying it) base64-encoded, in either alphabet,
    # at each of the three alignments the key can have among the encoded bytes.
    key = "sk-proj-" + "Zq9xL2mP7vR4tY8wB3nC6kD1fG5hJ0sA" * 3
    redactor = Redactor([key])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode((before + key).encode()).decode()
        shown = redactor.text(f"echo: {encoded} (end)")
        assert "[redacted]" in shown and shown.endswith(" (end)")
        # The characters that encode the key's bytes alone: the 4-character groups it fills whole.
        start, end = 4 * -(-len(before) // 3), 4 * ((len(before) + len(key)) // 3)
        carried = encoded[start:end]
        assert not [carried[i:i + RUN] for i in range(len(carried) - RUN + 1) if carried[i:i + RUN] in shown], shown


def test_base64_forms_leave_ordinary_text_alone() -> None:
    redactor = Redactor(["sk-proj-" + "Zq9xL2mP7vR4tY8wB3nC6kD1fG5hJ0sA" * 3])
    text = "localhost:8000 answered 401; aGVsbG8gd29ybGQ= is just 'hello world'"
    assert redactor.text(text) == text


# A proxy password that ends in `s`, the first character of the key's shape (`sk-proj-…`).
S_PASSWORD = "canary-proxy-pass"


def test_a_key_shape_never_completes_a_password_written_just_before_the_key() -> None:
    # Found in review: the password's last 12 characters, its last `s` shared with the key's first.
    # The key (the longer secret) became its shape and the text before it was scrubbed alone: 11
    # characters of the password, no run of it, then the shape's `sk-proj-` made them 12.
    redactor = Redactor([CANARY_KEY], passwords=[S_PASSWORD])
    text = f"echo: x{S_PASSWORD[-RUN:]}{CANARY_KEY[1:]} (end)"
    stream = StreamRedactor(redactor)
    streamed = "".join(stream.feed(text[i : i + 5]) for i in range(0, len(text), 5)) + stream.flush()
    for shown in (redactor.text(text), streamed):
        assert not leaked_pieces(S_PASSWORD, shown) and not leaked_pieces(CANARY_KEY, shown)
        assert shown.endswith(" (end)") and "sk-proj-…CNRY" in shown


def test_a_key_not_valid_utf8_from_the_environment_is_still_a_secret() -> None:
    # Found in review: os.environ holds a byte that is not UTF-8 as a lone surrogate, and its
    # base64 forms raised UnicodeEncodeError: chat-doctor ended in a traceback.
    key = CANARY_KEY[:40] + "\udcff" + CANARY_KEY[40:]
    redactor = Redactor([key])
    assert redactor.text(f"key={key}.") == f"key={key_shape(key)}."
    assert not leaked_pieces(CANARY_KEY[:40], redactor.text(f"x {CANARY_KEY[:40]} y"))
