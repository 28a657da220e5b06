"""What config.base_url says: summary templates, detail lines, fix texts and fix commands.

The rules live in doctor/checks/config_base_url.py. A fix that sets the URL is shell-quoted,
written for the variable the URL came from (or chat-doctor's own --base-url flag), and never
prints a credential the URL holds (see `url_fix`).
"""

from __future__ import annotations

import shlex
import unicodedata
from typing import Optional

from doctor.knowledge.wording.config import WS_NAMES, Words
from doctor.model import Fix
from doctor.redact import display_url


def url_fix(text: str, variable: str, url: str) -> Fix:
    """A fix that sets the base URL to `url`, safe to paste: shell-quoted, for the variable it came
    from (or chat-doctor's own flag), and never printing a credential the URL holds: then the
    text shows the masked URL and says what to put back, with no command to paste."""
    shown = display_url(url)
    if shown != url:  # user:password@, a credential in the query, or control characters
        return Fix(f"{text}: {shown} (with your credentials where *** stands)")
    if variable.isidentifier():
        return Fix(text, f"export {variable}={shlex.quote(url)}")
    return Fix(text, f"chat-doctor check --base-url {shlex.quote(url)}")


def base_url_summary(shown: str, source: str, kind: str) -> str:
    return f"{shown} ({source}, {kind})"


def api_version_detail(api_version: str) -> str:
    return f"api-version {api_version} (OPENAI_API_VERSION)"


def base_url_empty(source: str, variable: str) -> Words:
    return Words(
        f"{source} is set but empty",
        (("The SDK uses the empty string as the base URL (it does not fall back to the default), so every "
         "request fails with `APIConnectionError: Connection error.` (cause: UnsupportedProtocol: Request URL is "
         "missing an 'http://' or 'https://' protocol)."),),
        (Fix("Unset it to use https://api.openai.com/v1", "unset OPENAI_BASE_URL") if source == "OPENAI_BASE_URL"
         else Fix("Pass a full URL, e.g. --base-url https://api.openai.com/v1"),
         url_fix("Or set your server's full URL", variable, "http://localhost:8000/v1")),
    )


def url_has_credentials(variable: str, shown: str) -> Words:
    return Words(
        f"{variable} contains credentials ({shown})",
        (("httpx turns user:password@ in the URL into a Basic Authorization header that replaces the SDK's "
         "Bearer key, so the API key is never sent and the server answers 401; the password also shows up in logs."),),
        (Fix("Remove user:password@ from the URL and use the API key instead"),),
    )


def url_has_query(variable: str, shown: str, without_query: str) -> Words:
    return Words(
        f"{variable} has a query string ({shown})",
        (("The SDK appends every endpoint after the whole URL, query included (verified with openai 3.57.0: "
         "`…/v1?x=1` requests `…/v1/?x=1models`), so no request reaches the API."),),
        (url_fix("Drop the query from the base URL; pass query parameters with the client's `default_query=`",
                 variable, without_query),),
    )


def url_insecure(shown: str, host: Optional[str], variable: str, https_url: str, *, allow_insecure: bool) -> Words:
    return Words(
        f"{shown} is plain http:// to {host}, which is not this machine: the API key would travel in clear text"
        + (" (allowed by --allow-insecure)" if allow_insecure else ""),
        ("Anyone on the network path can read the key from the Authorization header.",)
        + (("--allow-insecure was given, so this is a warning instead of a failure.",) if allow_insecure else
           ("chat-doctor refuses to send the key there unless you pass --allow-insecure.",)),
        # The override is a command of its own (the Fix's command line, printed whole at any
        # width); offered only when it was not given already.
        (url_fix("Use https:// if the server supports it", variable, https_url),)
        + (() if allow_insecure else
           (Fix("If this is your own server on a trusted network, accept the risk explicitly",
                "chat-doctor check --allow-insecure"),)),
    )


def url_endpoint_path(shown: str, suffix: str, path: str, variable: str, trimmed: str) -> Words:
    return Words(
        f"{shown} ends with the endpoint path {suffix}",
        (f"The SDK appends the endpoint itself, so chat requests go to {path}/chat/completions and get 404.",),
        (url_fix("Cut the URL after the version segment", variable, trimmed),),
    )


def url_no_version(shown: str, variable: str, with_v1: str) -> Words:
    return Words(
        f"{shown} has no /v1-style version segment",
        (("The SDK appends /chat/completions and /models directly to the base URL; vLLM, llama.cpp, Ollama, "
         "LM Studio and api.openai.com serve them under /v1 and answer 404 otherwise."),
         "Some providers serve the API at the root (e.g. Perplexity); ignore this warning for those."),
        (url_fix("Append /v1", variable, with_v1),),
    )


def _unusable(variable: str, reason: str, effect: str, *fixes: Fix) -> Words:
    """A base URL that cannot work at all, with `fixes` (by default: set a full URL)."""
    return Words(f"{variable} {reason}", (effect,), fixes or (url_fix("Set a full URL", variable, "https://api.openai.com/v1"),))


def url_whitespace(variable: str, shown: str, position: str, char: str, index: int) -> Words:
    """The URL has the whitespace `char`: `position` is "starts with", "ends with" or "contains"
    (then its 0-based `index` is said too)."""
    name = WS_NAMES.get(char, unicodedata.name(char, "whitespace").lower())
    at = "" if position != "contains" else f" at position {index + 1}"
    effect = (
        "The SDK cannot use it: a leading space hides the scheme (UnsupportedProtocol), a control character "
        "makes httpx raise InvalidURL, a trailing space becomes part of every request path (/v1%20/models -> 404)."
    )
    return _unusable(variable, f"{position} a {name}{at}: {shown!r}", effect,
                     Fix("Set it again without whitespace", f"export {variable}=\"$(printf %s \"${variable}\" | tr -d '[:space:]')\"")
                     if variable.isidentifier() else Fix("Pass the URL without whitespace"))


def url_no_scheme(variable: str, shown: str, guess: str) -> Words:
    return _unusable(
        variable,
        f"has no scheme: {shown}",
        "The SDK fails every request with `APIConnectionError: Connection error.` (cause: UnsupportedProtocol: "
        "Request URL is missing an 'http://' or 'https://' protocol).",
        url_fix("Add the scheme", variable, guess),
    )


def url_unparsable(variable: str, shown: str, error: str) -> Words:
    return _unusable(variable, f"does not parse: {shown} ({error})", "httpx raises InvalidURL for every request.")


def url_scheme(variable: str, shown: str, scheme: str, https_url: str) -> Words:
    return _unusable(
        variable,
        f"uses the scheme {scheme!r}: {shown}",
        "The SDK speaks only http:// and https://; anything else fails with UnsupportedProtocol.",
        url_fix("Use https:// (or http:// for a server on this machine)", variable, https_url),
    )


def url_no_host(variable: str, shown: str) -> Words:
    return _unusable(variable, f"has no host: {shown}", "There is nothing to connect to; every request fails.")


def url_bad_port(variable: str, shown: str, problem: str, with_port: str) -> Words:
    return _unusable(variable, f"{problem}: {shown}",
                     "Nothing can connect to it: the SDK fails every request (`OverflowError: port must be 0-65535`, "
                     "or a refused connection for port 0).",
                     url_fix("Use the port the server listens on", variable, with_port))


def azure_api_version_missing(empty: bool) -> Words:
    return Words(
        "OPENAI_API_VERSION is not set" + (" (it is empty)" if empty else ""),
        (("AzureOpenAI() raises `ValueError: Must provide either the api_version argument or the "
         "OPENAI_API_VERSION environment variable` before any request."),
         ("Alternatively use Azure's OpenAI-compatible https://<resource>.openai.azure.com/openai/v1/ base URL "
         "with the plain OpenAI() client, which needs no api-version.")),
        (Fix("Set the API version your deployment supports (2024-10-21 is GA)", "export OPENAI_API_VERSION=2024-10-21"),),
    )


AZURE_ENDPOINT_HAS_OPENAI = Words(
    "AZURE_OPENAI_ENDPOINT already contains /openai",
    (("AzureOpenAI appends /openai (and /deployments/<name>) to the resource endpoint itself, so requests go to "
     ".../openai/openai/... and get 404."),),
    (Fix("Use just the resource URL", "export AZURE_OPENAI_ENDPOINT=https://<resource>.openai.azure.com/"),),
)
