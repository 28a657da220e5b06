"""packages.openai as pure rules, judged from facts fixtures (tests/support/facts.py) holding
real openai releases' dependency metadata."""

from __future__ import annotations

from doctor.checks.packages_openai import OpenaiCheckFacts, judge_openai
from doctor.model import Status
from doctor.probe import dependencies
from doctor.probe.facts import CaVariable, PathFacts
from tests.support.facts import make_facts

OPENAI_3 = ("openai", "3.57.0", ["anyio<5,>=4.10.0", "httpx2<3,>=2.12.0", "jiter<1,>=0.16.0", "sniffio",
                                 "pydantic!=2.0.*,!=2.1.*,!=2.2.*,!=2.3.*,<3,>=1.10.13", "typing-extensions<5,>=4.14",
                                 "botocore<2,>=1.40.0; extra == \"bedrock\"", "urllib3<3,>=2.7.0; extra == \"bedrock\""])
STACK_3 = [("anyio", "4.16.0", []), ("httpx2", "2.16.2", ["truststore>=0.10", "httpcore2"]), ("jiter", "0.19.0", []),
           ("sniffio", "1.3.1", []), ("pydantic", "2.14.4", []), ("typing-extensions", "4.16.0", []),
           ("truststore", "0.10.5", []), ("httpcore2", "2.16.2", [])]
OPENAI_1 = ("openai", "1.55.2", ["anyio<5,>=3.5.0", "distro<2,>=1.7.0", "httpx<1,>=0.23.0", "jiter<1,>=0.4.0",
                                 "pydantic<3,>=1.9.0", "sniffio", "tqdm>4", "typing-extensions<5,>=4.11"])
STACK_1 = [("anyio", "4.16.0", []), ("distro", "1.9.0", []), ("httpx", "0.28.1", ["certifi", "httpcore==1.*"]),
           ("jiter", "0.19.0", []), ("pydantic", "2.14.4", []), ("sniffio", "1.3.1", []), ("tqdm", "4.67.1", []),
           ("typing-extensions", "4.16.0", []), ("certifi", "2026.10.19", []), ("httpcore", "1.0.9", [])]
PY = "/srv/app/.venv/bin/python"


def test_openai_3_ok_names_httpx2_and_the_trust_store_per_platform() -> None:
    linux = judge_openai(OpenaiCheckFacts(make_facts(dists=[OPENAI_3, *STACK_3]), PY))
    assert linux.status is Status.OK
    assert "openai 3.57.0" in linux.summary and "httpx2 2.16.2" in linux.summary
    assert linux.data["trust"] == "the system's OpenSSL default CA paths (httpcore2)"
    assert linux.data["uses_urllib3"] is False
    mac = judge_openai(OpenaiCheckFacts(make_facts(dists=[OPENAI_3, *STACK_3], platform="darwin"), PY))
    assert mac.data["trust"] == "the macOS Keychain (truststore)"
    # The bedrock extra's urllib3 requirement is not active without the extra.
    assert not any("urllib3" in r for r in linux.data["requires"])


def test_ssl_cert_file_overrides_the_trust_store() -> None:
    ca = CaVariable("SSL_CERT_FILE", "/etc/corp/ca.pem", "file", PathFacts(exists=True, is_file=True, readable=True, cert_count=2))
    result = judge_openai(OpenaiCheckFacts(make_facts(dists=[OPENAI_3, *STACK_3], ca_env=[ca]), PY))
    assert result.data["trust"] == "SSL_CERT_FILE=/etc/corp/ca.pem"


def test_openai_missing_says_what_pip_would_give() -> None:
    result = judge_openai(OpenaiCheckFacts(make_facts("3.9.18"), PY))
    assert (result.status, result.code) == (Status.FAIL, "openai_missing")
    assert result.data["would_install"] == "2.48.0"
    assert result.fixes[0].command == f"{PY} -m pip install openai"


def test_openai_legacy() -> None:
    legacy = ("openai", "0.28.1", ["requests>=2.20", "tqdm", "aiohttp"])
    dists = [legacy, ("requests", "2.32.5", ["urllib3<3,>=1.21.1"]), ("tqdm", "4.67.1", []),
             ("aiohttp", "3.13.2", []), ("urllib3", "2.6.3", [])]
    result = judge_openai(OpenaiCheckFacts(make_facts("3.11.7", dists=dists), PY))
    assert (result.status, result.code) == (Status.WARN, "openai_legacy")
    assert "openai migrate" in [f.command for f in result.fixes]
    assert any("discussions/742" in f.text for f in result.fixes)
    assert result.data["http_library"] == "requests" and result.data["uses_urllib3"] is True


def test_known_bad_combination_openai_1552_with_httpx_028() -> None:
    result = judge_openai(OpenaiCheckFacts(make_facts(dists=[OPENAI_1, *STACK_1]), PY))
    assert (result.status, result.code) == (Status.FAIL, "dependency_conflict")
    assert "unexpected keyword argument 'proxies'" in result.summary
    assert f'{PY} -m pip install "openai>=1.55.3"' in [f.command for f in result.fixes]
    assert result.data["trust"] == "certifi's CA bundle"
    fixed = ("openai", "1.55.3", OPENAI_1[2])
    assert judge_openai(OpenaiCheckFacts(make_facts(dists=[fixed, *STACK_1]), PY)).status is Status.OK


def test_unmet_requirements_are_a_conflict() -> None:
    old_httpx = [d if d[0] != "httpx" else ("httpx", "0.22.0", ["certifi"]) for d in STACK_1 if d[0] != "jiter"]
    result = judge_openai(OpenaiCheckFacts(make_facts(dists=[("openai", "1.55.3", OPENAI_1[2]), *old_httpx]), PY))
    assert (result.status, result.code) == (Status.FAIL, "dependency_conflict")
    text = result.summary + " ".join(result.details)
    assert "needs httpx<1,>=0.23.0, but httpx 0.22.0 is installed" in text
    assert "needs jiter<1,>=0.4.0, which is not installed" in text


def test_markers_are_evaluated_against_the_target_not_chat_doctor() -> None:
    """A requirement only for Python < 3.8 does not count on 3.11, but does on 3.7."""
    openai = ("openai", "1.53.1", ["httpx<1,>=0.23.0", 'cached-property; python_version < "3.8"'])
    stack = [("httpx", "0.27.2", [])]
    assert judge_openai(OpenaiCheckFacts(make_facts("3.11.7", dists=[openai, *stack]), PY)).status is Status.OK
    old = judge_openai(OpenaiCheckFacts(make_facts("3.7.16", dists=[openai, *stack]), PY))
    assert old.code == "dependency_conflict" and "cached-property" in old.summary


def test_extras_requested_by_a_dependent_are_followed() -> None:
    dists = [("app", "1.0", ["google-auth[requests]>=2"]),
             ("google-auth", "2.40.0", ['requests<3,>=2.20; extra == "requests"']),
             ("requests", "2.32.5", ["urllib3<3,>=1.21.1"]), ("urllib3", "2.5.0", [])]
    chains = dependencies.chains_to(make_facts(dists=dists), "urllib3")
    assert chains == [("app", "google-auth", "requests", "urllib3")]
