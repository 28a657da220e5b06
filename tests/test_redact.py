"""Key redaction (pure logic)."""

from __future__ import annotations

from doctor.credentials import secrets_in
from doctor.redact import Redactor, display_url, key_shape
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
    echo = Check("x.echo", "Echo", lambda ctx: ok("x.echo", f"{CANARY_KEY} proxy-pass-1234 base-pass-5678"))
    monkeypatch.setattr(doctor.checks, "registry", lambda: ((echo,), {}))
    plan = session.plan(Settings(env=env, cwd=tmp_path, base_url="https://u:base-pass-5678@h/v1"))
    (result,) = session.run(plan).checks
    for secret in (CANARY_KEY, "proxy-pass-1234", "base-pass-5678"):
        assert secret not in result.summary
