"""Which endpoint a run is about: the base URL, where it came from, and what kind of server.

Resolution follows the openai SDK: `--base-url`, else `OPENAI_BASE_URL` (an exported empty
value is *used* by the SDK, so it is kept here as "" and diagnosed), else Azure's
`AZURE_OPENAI_ENDPOINT`, else the public API. Pure functions of the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from doctor.model import Endpoint
from doctor.net.loopback import is_loopback_host
from doctor.redact import display_url
from doctor.settings import DEFAULT_BASE_URL, Settings

AZURE_HOST_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


@dataclass(frozen=True)
class EndpointConfig:
    base_url: str  # as configured ("" when OPENAI_BASE_URL is exported empty)
    source: str  # "--base-url", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT" or "default"
    kind: str  # "openai", "azure" or "compatible"
    api_version: Optional[str] = None  # Azure's api-version query parameter
    deployment: Optional[str] = None  # Azure deployment, when configured

    @property
    def host(self) -> Optional[str]:
        try:
            return urlsplit(self.base_url).hostname
        except ValueError:
            return None

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def shown(self) -> str:
        """The base URL as it may be printed: `user:password@` in a URL is a secret too."""
        return display_url(self.base_url)

    def to_endpoint(self) -> Endpoint:
        return Endpoint(base_url=self.shown, source=self.source, kind=self.kind)


def resolve_endpoint(settings: Settings) -> EndpointConfig:
    env = settings.env
    api_version = env.get("OPENAI_API_VERSION") or None
    deployment = env.get("AZURE_OPENAI_DEPLOYMENT") or None
    # AzureOpenAI() ignores OPENAI_BASE_URL and reads AZURE_OPENAI_ENDPOINT, so when the user
    # says the API type is Azure, the Azure endpoint is the one their app talks to.
    azure_declared = env.get("OPENAI_API_TYPE", "").lower() == "azure" and bool(env.get("AZURE_OPENAI_ENDPOINT"))
    if settings.base_url is not None:
        url, source = settings.base_url, "--base-url"
    elif "OPENAI_BASE_URL" in env and not azure_declared:
        url, source = env["OPENAI_BASE_URL"], "OPENAI_BASE_URL"
    elif env.get("AZURE_OPENAI_ENDPOINT"):
        url, source = env["AZURE_OPENAI_ENDPOINT"], "AZURE_OPENAI_ENDPOINT"
    else:
        url, source = DEFAULT_BASE_URL, "default"
    return EndpointConfig(
        base_url=url,
        source=source,
        kind=endpoint_kind(url, source=source, api_type=env.get("OPENAI_API_TYPE", "")),
        api_version=api_version,
        deployment=deployment,
    )


def azure_v1_api(url: str) -> bool:
    """True for Azure's OpenAI-compatible `/openai/v1` base URL, used with the plain `OpenAI()`
    client (its key is `OPENAI_API_KEY`, and it needs no `api-version`)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return "/openai/v1/" in path.rstrip("/") + "/"


def endpoint_kind(url: str, *, source: str = "", api_type: str = "") -> str:
    if source == "AZURE_OPENAI_ENDPOINT" or api_type.lower() == "azure":
        return "azure"
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    if host.endswith(AZURE_HOST_SUFFIXES):
        return "azure"
    if host == "api.openai.com" or host.endswith(".api.openai.com"):
        return "openai"
    return "compatible"
