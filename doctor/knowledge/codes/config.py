"""Diagnosis codes reported by the `config.*` checks.

Severity rule of thumb for this group: `fail` when the openai SDK will certainly not work
as configured (it raises before sending, or the server must reject what is sent); `warn`
when it is probably a mistake but a legitimate setup can look the same (an unusual key
shape, a server that serves its API without `/v1`, a proxy in front of a local server).
"""

from __future__ import annotations

from typing import Tuple

from doctor.knowledge.diagnosis import FAIL, WARN, Diagnosis

# How whitespace really gets into a key, for the api_key_whitespace details. Not `$(cat file)`:
# command substitution strips trailing newlines, so it is the cure, not a cause.
WHITESPACE_CAUSES = (
    "Typical causes: a key pasted with the line break after it (into a quoted `export`, a CI secret or a "
    "`.env` line), a secret file read whole (`echo key > file` then Kubernetes/Docker secrets, or Python's "
    "`open(file).read()`), a `.env` file with Windows line endings (CR), a stray space when pasting."
)

DIAGNOSES: Tuple[Diagnosis, ...] = (
    # --- config.api_key --------------------------------------------------------------
    Diagnosis(
        "api_key_missing", "config.api_key", FAIL,
        "No API key is set, so the openai SDK refuses to create a client (`OpenAIError: Missing credentials`), "
        "even for local servers that ignore keys.",
        "Export the key (`export OPENAI_API_KEY=...`); for a server that ignores keys, any non-empty placeholder works.",
    ),
    Diagnosis(
        "api_key_in_dotenv_only", "config.api_key", FAIL,
        "The key is defined in a `.env` file but not in the environment; the openai SDK never reads `.env` files.",
        "Load it into the shell (`set -a; . ./.env; set +a`) or call `dotenv.load_dotenv()` (python-dotenv) before creating the client.",
    ),
    Diagnosis(
        "api_key_whitespace", "config.api_key", FAIL,
        "The key has whitespace around or inside it (a line break copied with it, a file read whole, a `.env` file with "
        "Windows line endings); the SDK then fails with the misleading `APIConnectionError: Connection error.` or the "
        "server answers 401.",
        "Strip the whitespace: `export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\" | tr -d '[:space:]')\"`.",
    ),
    Diagnosis(
        "api_key_non_ascii", "config.api_key", FAIL,
        "The key contains non-ASCII characters (typically smart quotes or a non-breaking space from a document or chat); "
        "the SDK raises a raw `UnicodeEncodeError` before sending anything.",
        "Copy the key again from the provider's page, as plain text, or delete the non-ASCII characters.",
    ),
    Diagnosis(
        "api_header_invalid", "config.api_key", FAIL,
        "OPENAI_ORG_ID or OPENAI_PROJECT_ID, which the SDK sends as headers beside the key, holds a line break, a "
        "control or non-ASCII character, or blanks: requests then fail before sending, or reach the wrong "
        "organization or project.",
        "Set the id again as printed in the provider's console, or unset it.",
    ),
    Diagnosis(
        "api_key_control_characters", "config.api_key", FAIL,
        "The key contains ASCII control characters (ESC, DEL, 0x01...), typically pasted from a terminal or a "
        "rich-text page. The SDK sends most of them as part of the key (401, or 400 for a malformed header); NUL fails "
        "before sending (`APIConnectionError: Connection error.`).",
        "Copy the key again as plain text, or keep only its printable ASCII characters.",
    ),
    Diagnosis(
        "api_key_quoted", "config.api_key", FAIL,
        "The key includes literal quote characters, usually kept from a `.env` file or an env-file loader that does not "
        "strip them; the key is sent with its quotes and rejected with 401.",
        "Remove the quotes from the value (write `KEY=sk-...` in env files read by Docker/systemd).",
    ),
    Diagnosis(
        "api_key_bearer_prefix", "config.api_key", FAIL,
        "The key starts with `Bearer `; the SDK adds that prefix itself, so the header becomes `Bearer Bearer ...` and "
        "the server answers 401.",
        "Store only the key, without the `Bearer ` prefix.",
    ),
    Diagnosis(
        "api_key_unusual_format", "config.api_key", WARN,
        "The key does not look like an OpenAI API key (`sk-proj-...`, `sk-svcacct-...`, legacy `sk-...`); it may be "
        "another provider's key, an admin key, or truncated.",
        "Check you copied a project API key from https://platform.openai.com/api-keys; ignore this for other servers.",
    ),
    # --- config.base_url -------------------------------------------------------------
    Diagnosis(
        "base_url_empty", "config.base_url", FAIL,
        "`OPENAI_BASE_URL` is exported but empty; the SDK uses the empty string as the base URL and every request fails "
        "with `APIConnectionError` (cause: `UnsupportedProtocol`).",
        "`unset OPENAI_BASE_URL` to use https://api.openai.com/v1, or set it to the server's full URL.",
    ),
    Diagnosis(
        "base_url_invalid", "config.base_url", FAIL,
        "The base URL is not a usable http(s) URL: no or wrong scheme, no host, stray whitespace, a bad port, or "
        "credentials embedded in it.",
        "Set a full URL such as `https://api.openai.com/v1` or `http://localhost:8000/v1`.",
    ),
    Diagnosis(
        "base_url_insecure", "config.base_url", FAIL,
        "The base URL uses plain `http://` to a host that is not this machine, so the API key would travel in clear text.",
        "Use `https://`; if the server is yours on a trusted network, pass `--allow-insecure` to accept the risk.",
        also=(("config.base_url", WARN),),
    ),
    Diagnosis(
        "base_url_no_version", "config.base_url", WARN,
        "The base URL has no `/v1`-style version segment; vLLM, llama.cpp, Ollama and most compatible servers then "
        "answer 404 because the SDK appends `/chat/completions` directly.",
        "Append the version path, e.g. `http://localhost:11434/v1`; ignore this if your provider serves the API at the root.",
    ),
    Diagnosis(
        "base_url_endpoint_path", "config.base_url", FAIL,
        "The base URL already ends with an endpoint path such as `/chat/completions`; the SDK appends the endpoint "
        "itself, so requests go to `.../chat/completions/chat/completions` and get 404.",
        "Cut the base URL after the version segment, e.g. `https://api.example.com/v1`.",
    ),
    Diagnosis(
        "azure_api_version_missing", "config.base_url", FAIL,
        "The endpoint is Azure OpenAI but `OPENAI_API_VERSION` is not set; `AzureOpenAI()` raises `ValueError: Must "
        "provide either the api_version argument or the OPENAI_API_VERSION environment variable`.",
        "`export OPENAI_API_VERSION=2024-10-21` (or the version your deployment supports).",
    ),
    # --- config.proxy ----------------------------------------------------------------
    Diagnosis(
        "proxy_invalid", "config.proxy", FAIL,
        "A proxy variable is malformed (does not parse, unsupported scheme, no host) or a NO_PROXY entry is one the "
        "HTTP library rejects; httpx/httpx2 build every proxy when the client is created, so the SDK fails for all URLs.",
        "Fix or unset the variable, e.g. `export HTTPS_PROXY=http://proxy.example.com:3128`.",
        also=(("config.proxy", WARN),),
    ),
    Diagnosis(
        "proxy_socks_unsupported", "config.proxy", FAIL,
        "A SOCKS proxy is configured but the target interpreter lacks `socksio`, so creating the openai client raises "
        "`ImportError: Using SOCKS proxy, but the 'socksio' package is not installed`.",
        "Install it into the target interpreter: `python -m pip install socksio` (the `httpx2[socks]`/`httpx[socks]` extra).",
        also=(("stream.chat", FAIL),),  # the smoke test's own SDK cannot build its client either
    ),
    Diagnosis(
        "proxy_for_loopback", "config.proxy", WARN,
        "A proxy applies to a local (loopback) endpoint; httpx does not bypass localhost by itself, so requests to "
        "your local server go to the proxy, which cannot reach it.",
        "Exempt local addresses: `export NO_PROXY=\"${NO_PROXY:+$NO_PROXY,}localhost,127.0.0.1,::1\"`.",
    ),
    Diagnosis(
        "no_proxy_ineffective", "config.proxy", WARN,
        "NO_PROXY names the endpoint's host, but in a form the HTTP library does not match (an explicit default port, "
        "a path, a scheme, a `*.` wildcard under httpx), so the proxy is still used.",
        "List the bare host or domain, e.g. `NO_PROXY=api.example.com` or `NO_PROXY=example.com`.",
    ),
)
