"""Diagnosis codes reported by the `api.*` checks (GET {base_url}/models with the key).

Which HTTP answer maps to which code is data too: doctor/knowledge/api_errors.py.
"""

from __future__ import annotations

from typing import Tuple

from doctor.knowledge.diagnosis import ERROR, FAIL, SKIP, WARN, Diagnosis

# An HTTP error answered instead of the smoke test's stream is classified by the same table
# (doctor/knowledge/api_errors.py) and fails stream.chat, whatever its severity on api.auth.
STREAMED = (("stream.chat", FAIL),)

# Advice that fits only one kind of endpoint (doctor.endpoint kinds), added to a code's generic
# fix where that kind is known: no OpenAI status page for a local server, no Azure api-version
# for a gateway.
KIND_FIXES = {
    ("server_error", "openai"): "Check https://status.openai.com for an ongoing incident.",
    ("overloaded", "openai"): "Check https://status.openai.com for an ongoing incident.",
    ("server_error", "azure"): "Check the resource's health in the Azure portal (Resource health, Service health).",
    ("upstream_error", "azure"): "Behind Azure API Management: check the backend its policy routes to, and the Azure "
                                 "OpenAI resource's health in the portal (Resource health).",
    ("api_bad_request", "azure"): "On Azure, set `OPENAI_API_VERSION` to a version your resource supports, such as 2024-10-21.",
}

DIAGNOSES: Tuple[Diagnosis, ...] = (
    # --- api.auth: refusals ------------------------------------------------------------
    Diagnosis(
        "invalid_api_key", "api.auth", FAIL,
        "The server rejected the key (401): it is wrong, revoked, from another organization/project, or meant for another "
        "provider (an OpenAI key sent to Azure or the reverse).",
        "Create a new key at https://platform.openai.com/api-keys (or your provider's console) and export it; "
        "check `OPENAI_ORG_ID`/`OPENAI_PROJECT_ID` match the key.",
        also=STREAMED,
    ),
    Diagnosis(
        "gateway_no_key_db", "api.auth", FAIL,
        "A LiteLLM proxy with no database connected refused the key (400 'No connected db.', type `no_db_connection`): "
        "without its database it accepts only its master key, so a virtual key, valid or not, cannot be checked.",
        "Send the proxy's master key (`general_settings.master_key` in its config, or `LITELLM_MASTER_KEY` where it "
        "runs) as `OPENAI_API_KEY`; to use virtual keys, give the proxy its database (`DATABASE_URL`, then restart "
        "it) and create the key with its `/key/generate`.",
        also=STREAMED,
    ),
    Diagnosis(
        "missing_scopes", "api.auth", WARN,
        "The key is valid but restricted: it may not list models (401 'Missing scopes'). Restricted keys can often still "
        "chat, so the streamed smoke test decides.",
        "Run `chat-doctor smoke`; if chat fails too, give the key the needed permissions (Models: Read, Model capabilities: Write) "
        "at https://platform.openai.com/api-keys.",
        also=STREAMED,
    ),
    Diagnosis(
        "ip_not_authorized", "api.auth", FAIL,
        "The organization or project has an IP allowlist and this machine's public IP is not on it (401 ip_not_authorized).",
        "Add this machine's egress IP to the allowlist (organization/project settings, 'IP allowlist'), or run from an allowed network.",
        also=STREAMED,
    ),
    Diagnosis(
        "unsupported_region", "api.auth", FAIL,
        "The API refuses requests from this country, region or territory (403 unsupported_country_region_territory).",
        "See https://platform.openai.com/docs/supported-countries; a VPN exit in a supported region may be against the terms.",
        also=STREAMED,
    ),
    Diagnosis(
        "permission_denied", "api.auth", FAIL,
        "The server understood the key but forbids this request (403): the key or project lacks access to this resource.",
        "Check the key's project, role and permissions in the provider's console.",
        also=STREAMED,
    ),
    Diagnosis(
        "endpoint_not_found", "api.auth", FAIL,
        "The base URL answers, but `{base_url}/models` does not exist (404): usually a missing or extra `/v1`, or the "
        "URL of something else on that server.",
        "Use the API root as the base URL: usually up to and including `/v1`, e.g. `https://host/v1`.",
        also=STREAMED,
    ),
    Diagnosis(
        "insufficient_quota", "api.auth", FAIL,
        "The account is out of credit or over its spend limit (429 with a billing code); retrying will not help.",
        "Add credits or raise the limit at https://platform.openai.com/settings/organization/billing.",
        also=STREAMED,
    ),
    Diagnosis(
        "rate_limited", "api.auth", WARN,
        "The key works but is being rate limited right now (429); requests succeed again once the limit resets.",
        "Wait for the limit to reset, and back off on 429 in your code (the SDK retries 429 twice by default).",
        also=STREAMED,
    ),
    Diagnosis(
        "server_error", "api.auth", FAIL,
        "The server failed while answering (5xx); the problem is on its side, not in this environment.",
        "Retry in a minute; if it persists, the server's logs (or its provider's status page) say why.",
        also=STREAMED,
    ),
    Diagnosis(
        "upstream_error", "api.auth", FAIL,
        "A gateway in front of the model server (LiteLLM's proxy, OpenRouter, Envoy, nginx, an API gateway) "
        "answered 5xx naming its upstream: the gateway works, the model server behind it failed or is unreachable "
        "from it.",
        "Check that the model server behind the gateway is up and reachable from the gateway's host, and that "
        "the gateway's configuration (LiteLLM's `api_base`, the gateway's upstream URL) points at it; the "
        "gateway's log has the upstream's own error.",
        also=STREAMED,
    ),
    Diagnosis(
        "overloaded", "api.auth", FAIL,
        "The server is overloaded or still starting (503, e.g. 'engine is currently overloaded' or a local server loading its model).",
        "Retry after a short wait; local servers answer once the model has loaded.",
        also=STREAMED,
    ),
    Diagnosis(
        "api_bad_request", "api.auth", FAIL,
        "The server rejected the request as malformed (400), e.g. an unsupported `api-version` on Azure or a header it "
        "does not accept.",
        "The server refused the request itself, not the key or the network: its message, when it sent one, says what it "
        "objects to; with a gateway or proxy in front, its logs do.",
        also=STREAMED,
    ),
    Diagnosis(
        "unexpected_status", "api.auth", FAIL,
        "The server answered `/models` with an HTTP status an OpenAI-compatible API does not use there.",
        "Check the base URL points at the API and not at another service (open it in a browser to see what answers).",
        also=STREAMED,
    ),
    Diagnosis(
        "not_openai_api", "api.auth", FAIL,
        "Something answered, but not an OpenAI-compatible API: an HTML page (captive portal, login page, proxy error, "
        "web UI) or JSON of another shape.",
        "Open the base URL in a browser to see what answers; log in to the network's portal, or fix the base URL.",
        also=STREAMED,
    ),
    Diagnosis(
        "endpoint_redirects", "api.auth", FAIL,
        "The endpoint answered with a redirect. chat-doctor does not follow it with the key (a key must only go to the "
        "configured endpoint); the SDK would follow it without the key or fail.",
        "If the new location is the real API, use it as the base URL; if it is a login page, log in to the network first.",
        also=STREAMED,
    ),
    Diagnosis(
        "read_timeout", "api.auth", FAIL,
        "The connection was made but no answer arrived within `--timeout` (an overloaded server, a proxy that swallows "
        "the request, or a firewall that passes the handshake only).",
        "Retry with a larger `--timeout`; check the server's load, and whether a proxy is required or in the way.",
    ),
    Diagnosis(
        "connection_closed", "api.auth", FAIL,
        "The server (or something in between) closed the connection without a complete answer.",
        "Check the server's logs; a proxy or load balancer may be cutting the connection.",
    ),
    # --- api.auth: not run ---------------------------------------------------------------
    Diagnosis(
        "key_withheld_insecure", "api.auth", SKIP,
        "The key would travel in clear: plain `http://` to a host that is not this machine, or through a proxy that is "
        "not, so chat-doctor did not send it (the smoke test, `stream.chat`, then fails: it proved nothing).",
        "Use `https://`, exempt this machine from the proxy (`NO_PROXY=localhost,127.0.0.1,::1`), or pass "
        "`--allow-insecure` if the network is yours and you accept the risk.",
        also=STREAMED,
    ),
    Diagnosis(
        "no_api_key", "api.auth", SKIP,
        "There is no key to authenticate with, so the API was not asked.",
        "Export the key (`export OPENAI_API_KEY=...`) and run again.",
    ),
    Diagnosis(
        "http_client_unavailable", "api.auth", ERROR,
        "chat-doctor's own interpreter cannot import urllib3 (typically urllib3 2 on a Python linked to an OpenSSL older "
        "than 1.1.1), so it cannot make the API request itself. This is about chat-doctor's installation, not your target.",
        "Reinstall chat-doctor on a Python built with OpenSSL 1.1.1+ (`pipx install --python python3.12 chat-doctor`), "
        "or pin `urllib3<2` in chat-doctor's environment.",
    ),
    # --- api.model ---------------------------------------------------------------------
    Diagnosis(
        "model_not_found", "api.model", FAIL,
        "The model is not among the models this key can use: a typo, a model the project has no access to, or a retired model.",
        "Use a model this key can use (`--model NAME`, or your code's `model=`); the server's `/models` list names them.",
        also=STREAMED,
    ),
    Diagnosis(
        "model_unlisted", "api.model", WARN,
        "The model is not in the server's list, but this server may accept it anyway (compatible servers often serve "
        "any name; on Azure the model is your deployment name, which the list does not show). The smoke test decides.",
        "Run `chat-doctor smoke --model NAME`; if it fails with model_not_found, use one of the listed names.",
    ),
    Diagnosis(
        "model_list_unavailable", "api.model", SKIP,
        "The server did not return a model list (the key may not list models, or the list was rate limited), so the model "
        "was not checked here.",
        "Run `chat-doctor smoke` to test the model with a real request.",
    ),
)

DIAGNOSES += (
    Diagnosis(
        "response_too_long", "api.auth", FAIL,
        "The answer to `/models` went past chat-doctor's bound (a response head over http.client's limits of 100 header "
        "lines, or a body over 2 MB): not a model list, which is a few kilobytes, but a file, a stream or a server that "
        "never stops sending.",
        "Check that the base URL points at the API root and not at a download or a stream; if a proxy sits in between, "
        "check what it sends back.",
    ),
)
