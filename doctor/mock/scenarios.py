"""The catalogue behind `chat-doctor mock-server --scenario`: every scenario, by name, as data.

What a scenario can do (its parts, and the order the server applies them) is described in
doctor/mock/scenario_parts.py; the Responses API scenarios live in
doctor/mock/responses_scenarios.py and are listed here after the chat ones.

Error messages are templates; the server fills in `{model}`, `{key}`, `{client_ip}` and
`{api_version}`. Echoing `{key}` in full is deliberate: OpenAI masks it, a misbehaving proxy might
not, and chat-doctor's redaction must cope.
"""

from __future__ import annotations

import re
from typing import Mapping, Tuple

from doctor.mock.dialects import DIALECT_SCENARIOS
from doctor.mock.responses_scenarios import RESPONSES_SCENARIOS
from doctor.mock.scenario_parts import (
    CHAT_ROUTES,
    GENERATION_ROUTES,
    MODEL_ROUTES,
    AzureError,
    Ending,
    ErrorReply,
    Scenario,
    StreamBehaviour,
)

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_MODELS: Tuple[str, ...] = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "o4-mini",
    "gpt-3.5-turbo-instruct",
    "text-embedding-3-small",
    "dall-e-3",
    "whisper-1",
    "tts-1",
    "omni-moderation-latest",
)
DEFAULT_REPLY = "Hello from chat-doctor's local endpoint."

# Listed models that /v1/chat/completions refuses with OpenAI's "not a chat model" 404.
NON_CHAT_MODEL_RE = re.compile(
    r"^(gpt-3\.5-turbo-instruct|davinci-|babbage-|text-embedding-|dall-e-|gpt-image-|whisper-|tts-|"
    r"omni-moderation-|text-moderation-)"
)
# o-series reasoning models refuse the legacy `max_tokens` parameter.
REASONING_MODEL_RE = re.compile(r"^o\d")

REASONING_TEXT = "The user wants a short greeting. I will answer with one friendly sentence."

MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    "username) if you're accessing the API from your browser and are prompted for a username and "
    "password. You can obtain an API key from https://platform.openai.com/account/api-keys."
)
INCORRECT_KEY_MESSAGE = (
    "Incorrect API key provided: {key}. You can find your API key at "
    "https://platform.openai.com/account/api-keys."
)
AZURE_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your resource."
)


INCORRECT_KEY = ErrorReply(
    401, INCORRECT_KEY_MESSAGE, "invalid_request_error", "invalid_api_key",
    azure=AzureError("401", AZURE_ACCESS_DENIED),
)
MISSING_KEY = ErrorReply(
    401, MISSING_KEY_MESSAGE, "invalid_request_error", None,
    azure=AzureError("401", AZURE_ACCESS_DENIED),
)

# LiteLLM's proxy when the deployment behind a model group cannot be reached (its exception text,
# as users report it: BerriAI/litellm issues, huggingface/smolagents#1725); its body's code is a string.
LITELLM_UPSTREAM_MESSAGE = (
    "litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.. "
    "Received Model Group={model}\nAvailable Model Group Fallbacks=None LiteLLM Retried: 1 times, "
    "LiteLLM Max Retries: 2"
)


def _rate_limit_headers() -> Tuple[Tuple[str, str], ...]:
    return (
        ("retry-after", "20"),
        ("x-ratelimit-limit-requests", "3"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "20s"),
    )


_SCENARIO_LIST: Tuple[Scenario, ...] = (
    Scenario("ok", "A healthy OpenAI-compatible API: models, chat, streaming with usage."),
    # --- auth and permissions ---
    Scenario(
        "auth401",
        "Every API call: 401 invalid_api_key; the message echoes the key received IN FULL.",
        error=INCORRECT_KEY,
    ),
    Scenario(
        "scopes401",
        "Restricted key: /models answers 401 'Missing scopes: api.model.read', chat works.",
        error=ErrorReply(
            401,
            "You have insufficient permissions for this operation. Missing scopes: api.model.read. "
            "Check that you have the correct role in your organization (Reader, Writer, Owner) and "
            "project (Member, Owner), and if you're using a restricted API key, that it has the "
            "necessary scopes.",
            "invalid_request_error",
            None,
            routes=MODEL_ROUTES,
        ),
    ),
    Scenario(
        "ip401",
        "IP allowlist: every API call answers 401 ip_not_authorized.",
        error=ErrorReply(
            401,
            "Your IP address {client_ip} is not authorized to access this organization or project. "
            "Ask an administrator to add it to the IP allowlist.",
            "invalid_request_error",
            "ip_not_authorized",
        ),
    ),
    Scenario(
        "permission403",
        "The project may not use the model: chat answers 403 (code model_not_found), /models works.",
        error=ErrorReply(
            403,
            "Project `proj_mockchatdoctor` does not have access to model `{model}`",
            "invalid_request_error",
            "model_not_found",
            routes=GENERATION_ROUTES,
        ),
    ),
    Scenario(
        "region403",
        "Unsupported country: every API call answers 403 unsupported_country_region_territory.",
        error=ErrorReply(
            403,
            "Country, region, or territory not supported",
            "request_forbidden",
            "unsupported_country_region_territory",
        ),
    ),
    # --- billing and rate limits ---
    Scenario(
        "quota429",
        "Out of quota: chat answers 429 insufficient_quota (retrying won't help); /models still 200.",
        error=ErrorReply(
            429,
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota",
            "insufficient_quota",
            routes=GENERATION_ROUTES,
        ),
    ),
    Scenario(
        "credit429",
        "No prepaid credits: chat answers 429 credit_balance_exhausted; /models still 200.",
        error=ErrorReply(
            429,
            "You have no credits remaining. Add credits to continue using the API at "
            "https://platform.openai.com/settings/organization/billing/.",
            "insufficient_quota",
            "credit_balance_exhausted",
            routes=GENERATION_ROUTES,
        ),
    ),
    Scenario(
        "rate429",
        "Rate limited: every API call answers 429 rate_limit_exceeded with retry-after: 20.",
        error=ErrorReply(
            429,
            "Rate limit reached for {model} in organization org-mockchatdoctor on requests per min "
            "(RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            "requests",
            "rate_limit_exceeded",
            headers=_rate_limit_headers(),
            azure=AzureError(
                "429",
                "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
                "{api_version} have exceeded call rate limit of your current OpenAI S0 pricing tier. "
                "Please retry after 20 seconds. Please go here: https://aka.ms/oai/quotaincrease if "
                "you would like to further increase the default rate limit.",
            ),
        ),
    ),
    # --- server side ---
    Scenario(
        "server500",
        "Every API call answers 500 server_error.",
        error=ErrorReply(
            500,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
    ),
    Scenario(
        "overload503",
        "Every API call answers 503 'The engine is currently overloaded'.",
        error=ErrorReply(
            503, "The engine is currently overloaded, please try again later.", "server_error", None
        ),
    ),
    Scenario(
        "gateway_upstream_error",
        "A LiteLLM proxy whose model server is down: /models, chat and responses answer 500 litellm.InternalServerError "
        "naming the model group.",
        error=ErrorReply(500, LITELLM_UPSTREAM_MESSAGE, None, "500"),
        openai_headers=False,
    ),
    Scenario(
        "slow",
        "Every response head arrives only after --slow-delay ms (default 3000); a stream then goes on at the normal pace "
        "(--token-interval, default 30 ms).",
        delay_headers=True,
        # Paced like a model by default, so a late but streamed reply does not read as buffered.
        stream=StreamBehaviour(default_token_interval_ms=30),
    ),
    # --- models ---
    Scenario(
        "model404",
        "gpt-4o-mini is missing from /models and chat with it answers 404 model_not_found.",
        hidden_models=(DEFAULT_MODEL,),
    ),
    Scenario(
        "anymodel",
        "A local server (llama.cpp/Ollama style): lists one model, chats with any name, no key needed.",
        listed_models=("llama-3.2-3b-instruct",),
        model_owner="llamacpp",
        accept_any_model=True,
        requires_key=False,
        openai_headers=False,
    ),
    Scenario(
        "reject_stream_options",
        "Chat answers 400 when the body has stream_options (so clients can retry without it).",
        error=ErrorReply(
            400,
            "Unrecognized request argument supplied: stream_options",
            "invalid_request_error",
            None,
            routes=CHAT_ROUTES,
            when_body_has="stream_options",
        ),
    ),
    Scenario(
        "reject_max_completion_tokens",
        "Chat answers 400 'Unrecognized request argument supplied: max_completion_tokens'.",
        error=ErrorReply(
            400,
            "Unrecognized request argument supplied: max_completion_tokens",
            "invalid_request_error",
            None,
            routes=CHAT_ROUTES,
            when_body_has="max_completion_tokens",
        ),
    ),
    # --- not the API at all ---
    Scenario(
        "html",
        "A captive portal: every path answers 200 text/html with a login page.",
        edge="portal",
    ),
    Scenario(
        "redirect",
        "Every path answers 302 to another host (--redirect-to, default a login page).",
        edge="redirect",
    ),
    # --- streaming ---
    Scenario(
        "ping",
        "Stream sends ': ping' comments every 100 ms until the first token (default delay 500 ms).",
        stream=StreamBehaviour(ping_interval_ms=100, default_first_token_delay_ms=500),
    ),
    Scenario(
        "buffered",
        "Stream is produced token by token but delivered in one write at the end (a buffering proxy).",
        stream=StreamBehaviour(buffered=True, default_first_token_delay_ms=100, default_token_interval_ms=30),
    ),
    Scenario(
        "gzip_buffered",
        "Stream gzipped when Accept-Encoding admits gzip, flushed only at the end (one burst); "
        "paced and uncompressed with Accept-Encoding: identity.",
        stream=StreamBehaviour(gzip_when_accepted=True, default_first_token_delay_ms=100,
                               default_token_interval_ms=30),
    ),
    Scenario(
        "cut",
        "Stream: three content chunks, then the connection is closed mid-body.",
        stream=StreamBehaviour(ending=Ending.CUT, content_tokens=3),
    ),
    Scenario(
        "nofinish",
        "Stream: all content, then the body ends cleanly with no finish_reason and no [DONE].",
        stream=StreamBehaviour(ending=Ending.CLEAN_EOF),
    ),
    Scenario(
        "stall",
        "Stream: three content chunks, then silence until --stall ms (default 60 s), then close.",
        stream=StreamBehaviour(ending=Ending.STALL, content_tokens=3),
    ),
    Scenario(
        "badjson",
        "Stream: after two tokens, a data: line that is not valid JSON, then the rest as normal.",
        stream=StreamBehaviour(bad_json_after_tokens=2),
    ),
    Scenario(
        "errevent",
        "Stream: one content chunk, then an in-band data: {\"error\": ...} event and [DONE].",
        stream=StreamBehaviour(ending=Ending.ERROR_EVENT, content_tokens=1),
    ),
    # --- how a stream ends (doctor/stream/integrity.py) ---
    Scenario(
        "vllm_abort",
        "Stream (vLLM): three content chunks, then finish_reason \"abort\", the usage chunk and [DONE].",
        stream=StreamBehaviour(content_tokens=3, finish_reason="abort"),
    ),
    Scenario(
        "content_filter",
        "Stream: three content chunks, then finish_reason \"content_filter\" (a provider's content filter), usage, [DONE].",
        stream=StreamBehaviour(content_tokens=3, finish_reason="content_filter"),
    ),
    Scenario(
        "vllm_error_chunk",
        "Stream (vLLM): one content chunk, then the flat data: {\"object\": \"error\", ...} (no error key) and [DONE].",
        stream=StreamBehaviour(ending=Ending.ERROR_EVENT, content_tokens=1, error_shape="vllm"),
    ),
    Scenario(
        "no_usage",
        "Stream: the whole reply and [DONE], but no usage chunk although stream_options.include_usage asked for one.",
        stream=StreamBehaviour(usage_chunk=False),
    ),
    Scenario(
        "json_instead_of_sse",
        "Ignores stream=true and answers a whole application/json chat.completion.",
        stream=StreamBehaviour(sse=False),
    ),
    Scenario(
        "azure_filter_chunk",
        "Stream starts with Azure's empty prompt_filter_results chunk; choices carry filter results.",
        stream=StreamBehaviour(azure_filters=True),
    ),
    Scenario(
        "reasoning",
        "Stream sends delta.reasoning_content tokens before the content tokens.",
        stream=StreamBehaviour(reasoning=True),
    ),
    Scenario(
        "echo_key",
        "Stream replies with the caller's own API key, 5 characters a chunk (a hostile or broken server).",
        stream=StreamBehaviour(echo_key=True),
    ),
    Scenario(
        "echo_key_back_to_back",
        "Stream replies with the caller's key 200 times back to back, 5 characters a chunk, whatever the token limit.",
        stream=StreamBehaviour(echo_key=True, echo_repeats=200, honoured_limits=()),
    ),
    # --- token limits and odd values ---
    Scenario(
        "max_tokens_only",
        "Honours max_tokens but ignores max_completion_tokens (then streams 2000 tokens), like llama-cpp-python.",
        stream=StreamBehaviour(honoured_limits=("max_tokens",), runaway_tokens=2000),
    ),
    Scenario(
        "no_limits",
        "Ignores every token limit: each streamed reply is 2000 tokens long.",
        stream=StreamBehaviour(honoured_limits=(), runaway_tokens=2000),
    ),
    Scenario(
        "odd_usage",
        "Stream whose usage chunk says completion_tokens: \"many\".",
        stream=StreamBehaviour(odd="usage"),
    ),
    Scenario(
        "odd_content",
        "Stream whose content deltas are numbers (content: 5), not text.",
        stream=StreamBehaviour(odd="content"),
    ),
    Scenario(
        "odd_reasoning",
        "Stream whose reasoning deltas are numbers (reasoning_content: 7), not text, before the content.",
        stream=StreamBehaviour(reasoning=True, odd="reasoning"),
    ),
    Scenario(
        "list_chunk",
        "Stream: after two tokens, a data: line that is valid JSON but a list ([1, 2]), then the rest as normal.",
        stream=StreamBehaviour(bad_json_after_tokens=2, odd="list"),
    ),
    # --- hostile: answers that never end (doctor/mock/hostile.py) ---
    Scenario("slowloris", "Streamed chat: the response head trickles in four bytes a second, forever.",
             hostile="slowloris"),
    Scenario("keepalive_forever", "Streamed chat: the role chunk, then ': keep-alive' comments forever.",
             hostile="keepalive"),
    Scenario("endless", "Streamed chat: content tokens forever, whatever the token limit.", hostile="endless"),
    Scenario("empty_events", "Streamed chat: chunks with an empty delta forever, never a token or an end.",
             hostile="empty_events"),
    Scenario("endless_line", "Streamed chat: one data: line that never ends.", hostile="endless_line"),
    Scenario("gzip_bomb", "Streamed chat: Content-Encoding gzip, 1 MB on the wire, 1 GiB inflated (one line).",
             hostile="gzip_bomb"),
    # --- the Responses API (doctor/mock/responses_scenarios.py) ---
    *RESPONSES_SCENARIOS,
    *DIALECT_SCENARIOS,  # other servers' wire dialects (doctor/mock/dialects.py)
)

SCENARIOS: Mapping[str, Scenario] = {s.name: s for s in _SCENARIO_LIST}


class UnknownScenarioError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        self.name = name


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenarioError(name) from None
