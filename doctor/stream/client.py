"""Building the openai SDK client the smoke test sends with, and warming the SDK up.

The client is built from what the checks decided (ClientConfig: the route's proxy, the trust
net.tls verified), with trust_env off, so what was checked is what is sent whatever this
process's environment holds; redirects are reported, never followed with the key. Works with
openai 1.x and 2.x (httpx) and 3.x (httpx2): the HTTP library is the module the SDK's own
client class comes from, never imported by name. openai is imported only by the callers,
inside functions.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from doctor.stream.chunks import inspect_chunk

Hook = Callable[[Any], None]


@dataclass(frozen=True)
class ClientConfig:
    """Everything the client is built from: the endpoint, the credential, the route and the trust."""

    base_url: str
    kind: str  # "openai", "azure", "compatible"
    api_key: Optional[str]
    timeout_s: float
    api_version: Optional[str] = None
    deployment: Optional[str] = None
    organization: Optional[str] = None
    project: Optional[str] = None
    azure_ad_token: Optional[str] = None  # Entra ID token (AZURE_OPENAI_AD_TOKEN) instead of a key
    # The route and trust the checks decided (doctor.checks.route, net.tls): the client is built from
    # them with trust_env off, so what was checked is what is sent, whatever os.environ holds.
    proxy_url: Optional[str] = field(default=None, repr=False)  # may hold proxy credentials
    verify: Any = field(default=None, repr=False, compare=False)  # an ssl.SSLContext; None: plain http


def sdk_version() -> str:
    """"openai X.Y.Z" for the SDK this process would use (imports it)."""
    import openai

    return f"openai {getattr(openai, '__version__', '?')}"


# One canned streamed reply for the warm-up: a role chunk, a content chunk, a finish chunk.
_WARM_UP_BODY = b"".join(
    b"data: " + json.dumps(event).encode() + b"\n\n"
    for event in (
        {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up",
         "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": None}]},
        {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up",
         "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None},
    )
) + b"data: [DONE]\n\n"


def warm_up_sdk(openai: Any, client: Any) -> Optional[float]:
    """Pay the SDK's one-time costs before the clock runs; returns what they took (ms).

    The first request of a process costs the SDK tens of milliseconds that later ones do not
    (lazy imports of its resource modules, request-parameter transforms, building the chunk
    model's validator: about 80 ms with openai 3.57 here). A long-running app pays that once,
    so it does not belong in a TTFT. One streamed request is made through an in-process mock
    transport of the SDK's own HTTP library (nothing is sent anywhere); the caches it fills are
    process-wide, so the real client starts warm. Best effort: any failure just skips it.
    """
    started = time.perf_counter()
    try:
        library = http_library(openai)
        if library is None:
            return None

        def reply(_request: Any) -> Any:  # httpx.MockTransport's handler: every request gets the canned body
            return library.Response(200, headers={"content-type": "text/event-stream"}, content=_WARM_UP_BODY)

        # trust_env off: proxy variables must not reroute the canned request to a real proxy.
        http_client = openai.DefaultHttpxClient(transport=library.MockTransport(reply), trust_env=False)
        warm = openai.OpenAI(api_key="warm-up", base_url="http://warm-up.invalid/v1", max_retries=0, http_client=http_client)
        stream = warm.chat.completions.create(
            model="warm-up", messages=[{"role": "user", "content": "warm-up"}], stream=True,
            stream_options={"include_usage": True}, max_completion_tokens=1,
        )
        for chunk in stream:
            inspect_chunk(chunk)
        client.chat.completions  # noqa: B018  # the real client's lazily built resource
        warm.close()
    except Exception:  # noqa: BLE001  # warming up is an optimisation, never a finding
        return None
    return round((time.perf_counter() - started) * 1000.0, 1)


def http_library(openai: Any) -> Any:
    """httpx2 for openai 3.x, httpx for 1.x/2.x: the module the SDK's client class comes from."""
    factory = getattr(openai, "DefaultHttpxClient", None)
    if factory is None:
        return None
    for klass in factory.__mro__:
        module = sys.modules.get(klass.__module__.split(".")[0])
        if module is not None and module.__name__ != "openai" and hasattr(module, "MockTransport"):
            return module
    return None


def build_client(openai: Any, config: ClientConfig, *, on_request: Hook, on_response: Hook) -> Any:
    """The SDK client for `config`; `on_request` / `on_response` are the HTTP client's event hooks
    (the request's trace extension is attached in the first, the response's guard in the second).
    """
    # Redirects are reported, not followed with the key (DESIGN, security rules). trust_env is
    # off: the proxy and the CA material come from the checks' own facts (ClientConfig), never
    # from this process's environment, which need not be the one that was checked.
    from doctor.stream.budget import READ_BACKSTOP_S
    from doctor.stream.target_wire import library_timeout

    timeout = library_timeout(openai, config.timeout_s, config.timeout_s + READ_BACKSTOP_S)
    options: dict = dict(timeout=timeout, follow_redirects=False, trust_env=False,
                         event_hooks={"request": [on_request], "response": [on_response]})
    if config.verify is not None:
        options["verify"] = config.verify
    if config.proxy_url:
        options[_proxy_parameter(openai)] = config.proxy_url
    http_client = openai.DefaultHttpxClient(**options)
    common = dict(
        api_key=config.api_key, max_retries=0, timeout=timeout, http_client=http_client,
        organization=config.organization, project=config.project,
    )
    path = urlsplit(config.base_url).path if config.base_url else ""
    if config.kind == "azure" and "/openai/v1" not in path:
        # AzureOpenAI adds /openai (and /deployments/<model>) itself, sends `api-key` and api-version.
        azure = dict(common, api_version=config.api_version)
        if config.azure_ad_token:
            azure.update(api_key=None, azure_ad_token=config.azure_ad_token)
        if "/openai" in path:
            return openai.AzureOpenAI(base_url=config.base_url, **azure)
        return openai.AzureOpenAI(azure_endpoint=config.base_url, azure_deployment=config.deployment, **azure)
    return openai.OpenAI(base_url=config.base_url, **common)


def _proxy_parameter(openai: Any) -> str:
    """`proxy` (httpx >= 0.26, httpx2), else the older `proxies` (httpx 0.23-0.25, allowed by openai 1.x)."""
    import inspect

    library = http_library(openai)
    client = getattr(library, "Client", None)
    try:
        parameters = inspect.signature(client.__init__).parameters if client is not None else {}
    except (TypeError, ValueError):
        parameters = {}
    return "proxy" if "proxy" in parameters or "proxies" not in parameters else "proxies"
