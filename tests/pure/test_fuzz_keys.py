"""Property tests of the key inspection (doctor.checks.key_shape) and the config.api_key judge:
any key value is inspected without an exception and never echoed, a clean key of a known shape
has no finding, each kind of damage is named, and the judge gives a registered verdict for any
lookup the SDK's rules could produce."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from doctor.checks.config_api_key import ApiKeyFacts
from doctor.checks.config_api_key import judge as judge_api_key
from doctor.checks.key_shape import inspect_id_headers, inspect_key, key_prefix_kind
from doctor.credentials import AZURE_KEY_VAR, AZURE_TOKEN_VAR, OPENAI_ADMIN_VAR, OPENAI_KEY_VAR, Credential, CredentialLookup
from doctor.endpoint import EndpointConfig
from doctor.model import Status
from tests.support.helpers import CANARY_KEY
from tests.support.strategies import INVISIBLE, leaked_pieces, realistic_keys

KINDS = ("project key", "service-account key", "admin key", "legacy user key", "unknown")
VARIABLES = (OPENAI_KEY_VAR, AZURE_KEY_VAR, AZURE_TOKEN_VAR, OPENAI_ADMIN_VAR, f"{OPENAI_KEY_VAR} in .env")
HEADERS = ("Authorization: Bearer", "api-key")


@st.composite
def damaged_keys(draw: st.DrawFn) -> str:
    """A realistic key with what people do to keys: blanks and newlines around or inside it,
    quotes, a `Bearer ` prefix, a control or a non-ASCII character, or arbitrary text."""
    key = draw(realistic_keys())
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(key)))
        junk = draw(st.sampled_from((" ", "\t", "\n", "\r\n", '"', "'", "“", "\x00", "\x1b", "é", "\u200b", "Bearer ")) | INVISIBLE)
        key = key[:at] + junk + key[at:]
    return key


ANY_KEY = damaged_keys() | st.text()


def texts_of(findings: list) -> str:
    return json.dumps([[f.code, f.summary, list(f.details), [(x.text, x.command) for x in f.fixes]] for f in findings])


@given(ANY_KEY, st.sampled_from(VARIABLES), st.sampled_from(HEADERS), st.sampled_from(("openai", "azure", "compatible")))
@example(CANARY_KEY + "\n", OPENAI_KEY_VAR, "Authorization: Bearer", "openai")
def test_any_key_is_inspected_and_never_echoed(key: str, name: str, header: str, kind: str) -> None:
    findings = inspect_key(key, name=name, header=header, kind=kind)
    assert all(f.code.startswith("api_key_") for f in findings)
    assert len({f.code for f in findings}) == len(findings)  # one finding per kind of problem
    assert not leaked_pieces(key.strip(), texts_of(findings))
    assert key_prefix_kind(key) in KINDS


@given(realistic_keys())
def test_a_clean_key_of_a_known_shape_has_no_finding(key: str) -> None:
    findings = inspect_key(key)
    # Not sk-, an admin key (not a chat key) or under 40 characters (truncated): said so, alone.
    if not key.startswith("sk-") or key.startswith("sk-admin-") or len(key) < 40:
        assert [f.code for f in findings] == ["api_key_unusual_format"]
    else:
        assert findings == [] and key_prefix_kind(key) != "unknown"


@given(realistic_keys(), st.sampled_from(("\n", "\r\n", " ", "\t")))
def test_a_blank_at_either_end_is_named(key: str, blank: str) -> None:
    for damaged in (key + blank, blank + key):
        assert "api_key_whitespace" in [f.code for f in inspect_key(damaged)]


@given(realistic_keys(), st.integers(min_value=0), st.characters(min_codepoint=0x80, exclude_categories=["Cs"]))
def test_a_non_ascii_character_anywhere_is_named_with_its_position(key: str, at: int, char: str) -> None:
    at %= len(key) + 1
    findings = inspect_key(key[:at] + char + key[at:])
    non_ascii = [f for f in findings if f.code == "api_key_non_ascii"]
    assert non_ascii and f"position {at + 1}" in texts_of(non_ascii)


@given(st.dictionaries(st.sampled_from(("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OTHER")), st.text(max_size=12)))
def test_any_id_header_values_are_inspected(values: dict) -> None:
    findings = inspect_id_headers(values)
    assert all(f.code == "api_header_invalid" for f in findings)
    assert len(findings) == sum(1 for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID")
                                if values.get(name, "") != values.get(name, "").strip()
                                or any(ord(c) < 0x20 or ord(c) >= 0x7F for c in values.get(name, "")))


CREDENTIALS = st.builds(
    Credential, name=st.sampled_from((OPENAI_KEY_VAR, AZURE_KEY_VAR, AZURE_TOKEN_VAR)), value=ANY_KEY.filter(bool),
    origin=st.sampled_from(("environment", "/work/.env")), header=st.sampled_from(HEADERS),
)
NAMES = st.sampled_from((OPENAI_KEY_VAR, AZURE_KEY_VAR, AZURE_TOKEN_VAR, OPENAI_ADMIN_VAR))


@st.composite
def lookups(draw: st.DrawFn) -> CredentialLookup:
    """Any CredentialLookup: each field drawn on its own, combinations the SDK rules make and others."""
    azure = draw(st.booleans())
    dotenv_path = draw(st.none() | st.just("/work/.env"))
    return CredentialLookup(
        client="AzureOpenAI" if azure else "OpenAI",
        expected=(AZURE_TOKEN_VAR, AZURE_KEY_VAR) if azure else (OPENAI_KEY_VAR,),
        credential=draw(st.none() | CREDENTIALS),
        empty=tuple(draw(st.lists(NAMES, max_size=2, unique=True))),
        dotenv_path=dotenv_path,
        dotenv=draw(st.none() | CREDENTIALS) if dotenv_path else None,
        dotenv_error=draw(st.none() | st.text(max_size=20)),
        others=tuple(draw(st.lists(NAMES, max_size=2, unique=True))),
        shadowed=tuple(draw(st.lists(NAMES, max_size=2, unique=True))),
        admin_key_set=draw(st.booleans()),
    )


ENDPOINTS = st.builds(
    EndpointConfig,
    base_url=st.sampled_from(("https://api.openai.com/v1", "http://127.0.0.1:8000/v1", "https://r.openai.azure.com",
                              "https://r.openai.azure.com/openai/v1", "")),
    source=st.sampled_from(("default", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "--base-url")),
    kind=st.sampled_from(("openai", "azure", "compatible")),
    api_version=st.none() | st.just("2024-10-21"),
)


@given(lookups(), ENDPOINTS, st.dictionaries(st.sampled_from(("OPENAI_ORG_ID", "OPENAI_PROJECT_ID")), st.text(max_size=8)))
def test_the_judge_gives_a_registered_verdict_for_any_lookup(lookup: CredentialLookup, endpoint: EndpointConfig, ids: dict) -> None:
    result = judge_api_key(ApiKeyFacts(lookup, endpoint, ids))  # diagnose() refuses an unregistered pair
    assert result.id == "config.api_key" and result.status in Status
    assert (result.status is Status.OK) == (result.code is None)
    document = json.dumps(result.to_dict())
    for credential in (lookup.credential, lookup.dotenv):
        if credential is not None and len(credential.value.strip()) >= 24:
            assert not leaked_pieces(credential.value.strip(), document)
