"""Package knowledge as data: combinations known to break, and which HTTP stack each openai
line uses (with the trust store it reads by default).

Every entry was reproduced for real before it was written down (see the comment on each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass(frozen=True)
class BadCombination:
    """`package` in `package_spec` installed together with `other` in `other_spec` breaks."""

    package: str
    package_spec: str
    other: str
    other_spec: str
    symptom: str  # what the user sees, verbatim where possible
    fix_requirement: str  # what to install instead (pip requirement)
    fix_alternative: str  # the other way out


KNOWN_BAD: Tuple[BadCombination, ...] = (
    # httpx 0.28.0 removed the `proxies` argument that openai 1.x passed until 1.55.3.
    # Verified in a Python 3.11 venv: openai 1.55.2 + httpx 0.28.1 -> openai.OpenAI(api_key=...)
    # raises the TypeError below; openai 1.55.3 + httpx 0.28.1 constructs fine.
    BadCombination(
        package="openai",
        package_spec=">=1.0.0,<1.55.3",
        other="httpx",
        other_spec=">=0.28.0",
        symptom="openai.OpenAI() raises TypeError: Client.__init__() got an unexpected keyword argument 'proxies'",
        fix_requirement="openai>=1.55.3",
        fix_alternative="httpx<0.28",
    ),
)


@dataclass(frozen=True)
class HttpStack:
    """The HTTP library an openai release talks through, and whose CA certificates it trusts."""

    library: str  # the Requires-Dist name that identifies it
    trust: str  # one sentence for the report
    trust_by_platform: Tuple[Tuple[str, str], ...] = ()  # (sys_platform, sentence) overrides
    uses_urllib3: bool = False

    def trust_on(self, sys_platform: str) -> str:
        for platform, sentence in self.trust_by_platform:
            if sys_platform == platform:
                return sentence
        return self.trust


# First match wins, in openai's own history: 3.x httpx2, 1.x-2.x httpx, 0.x requests.
# Facts: /work/shared/facts/urllib3-and-openssl.md §3.2 and §4.2; openai-api.md §1.1.
HTTP_STACKS: Tuple[HttpStack, ...] = (
    HttpStack(
        "httpx2",
        "the system's OpenSSL default CA paths (httpcore2)",
        (("darwin", "the macOS Keychain (truststore)"), ("win32", "the Windows certificate store (truststore)")),
    ),
    HttpStack("httpx", "certifi's CA bundle"),
    HttpStack("requests", "certifi's CA bundle (REQUESTS_CA_BUNDLE overrides)", uses_urllib3=True),
)

# Variables that replace the default trust store of each library when set (and valid).
TRUST_OVERRIDES = {
    "httpx2": ("SSL_CERT_FILE", "SSL_CERT_DIR"),
    "httpx": ("SSL_CERT_FILE", "SSL_CERT_DIR"),
    "requests": ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
}

OPENAI_MIGRATION_URL = "https://github.com/openai/openai-python/discussions/742"


def stack_for(requirement_names: Tuple[str, ...]) -> Optional[HttpStack]:
    names = {name.lower() for name in requirement_names}
    for stack in HTTP_STACKS:
        if stack.library in names:
            return stack
    return None


def is_legacy_openai(version: str) -> bool:
    """openai 0.x, the pre-1.0 SDK: openai.ChatCompletion, HTTP through requests (so urllib3).
    A version packaging cannot parse is not called legacy."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) < Version("1.0.0")
    except InvalidVersion:
        return False
