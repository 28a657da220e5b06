"""Diagnosis codes reported by the `stream.*` checks (the streamed smoke test: `stream.chat` over
Chat Completions, `stream.responses` over the Responses API).

Mostly what went wrong with the stream itself (not SSE, cut, stalled, arriving all at once,
...). An HTTP error answered instead of a stream is classified by the API error table
(doctor/knowledge/api_errors.py) and reported with the same codes as `api.auth`
(`invalid_api_key`, `insufficient_quota`, `rate_limited`, ...): one cause, one code.

Both smoke checks judge their runs with the same rules (doctor.stream.problems), so every place
a code has on stream.chat it has on stream.responses too: `with_responses` adds those places to
every group's table (doctor/knowledge/codes/__init__.py), the codes another module registers for
stream.chat included. The Responses API's own verdicts are registered here on RESPONSES.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Tuple

from doctor.knowledge.diagnosis import FAIL, WARN, Diagnosis

CHECK = "stream.chat"
RESPONSES = "stream.responses"


def with_responses(table: Tuple[Diagnosis, ...]) -> Tuple[Diagnosis, ...]:
    """`table` with (stream.responses, status) beside every (stream.chat, status) it lists."""
    def mirrored(d: Diagnosis) -> Diagnosis:
        missing = tuple((RESPONSES, status) for check, status in d.where
                        if check == CHECK and (RESPONSES, status) not in d.where)
        return replace(d, also=(*d.also, *missing)) if missing else d

    return tuple(mirrored(d) for d in table)

DIAGNOSES: Tuple[Diagnosis, ...] = (
    # --- the stream itself ----------------------------------------------------------------------
    Diagnosis(
        "stream_not_sse", CHECK, FAIL,
        "A stream was asked for but the server answered with a whole document (JSON or HTML), not "
        "`text/event-stream`; the SDK then yields nothing, silently.",
        "Point the base URL at an OpenAI-compatible server that supports `stream: true`; if a proxy or "
        "gateway sits in front, make it pass event streams through unchanged.",
    ),
    Diagnosis(
        "stream_interrupted", CHECK, FAIL,
        "The stream ended before the model finished: the connection was cut, or the body ended "
        "without a `finish_reason` (and `[DONE]`), or for the Responses API without its terminal event "
        "(`response.completed`, `.incomplete` or `.failed`).",
        "Look for a proxy, load balancer or server timeout that closes long responses, and at the "
        "server's log for a crash mid-generation.",
    ),
    Diagnosis(
        "stream_stalled", CHECK, FAIL,
        "The stream began but then no new event arrived for longer than `--timeout`: silence, or only "
        "keep-alive comments, or a line that never ends.",
        "Check the server's load and logs; a proxy that holds data back can also cause this. Raise "
        "`--timeout` if the model is legitimately slow between tokens.",
    ),
    Diagnosis(
        "stream_malformed", CHECK, FAIL,
        "A chunk of the stream was not valid JSON, or held a value of the wrong type (a `content` that "
        "is not text, a `completion_tokens` that is not a number).",
        "Something between the client and the server rewrites or splits the stream, or the server "
        "is not OpenAI-compatible; test the server directly, bypassing proxies.",
    ),
    Diagnosis(
        "stream_error_event", CHECK, FAIL,
        "The server started streaming and then sent an in-band `data: {\"error\": ...}` event "
        "(the SDK raises a plain APIError with no HTTP status), or for the Responses API a "
        "`response.failed` or `error` event.",
        "Read the error message shown; it comes from the server (often an overload or a model "
        "failure mid-generation). Retry, and check the server's logs.",
    ),
    Diagnosis(
        "stream_empty", CHECK, FAIL,
        "The stream finished normally but carried no content at all.",
        "Check the model name and the prompt; for reasoning models raise `--max-tokens` so the answer "
        "fits after the reasoning.",
        also=((CHECK, WARN),),
    ),
    Diagnosis(
        "stream_buffered", CHECK, WARN,
        "The reply arrived all at once at the end instead of token by token: a proxy or the server "
        "buffers the event stream, so users will see no streaming.",
        "Turn off response buffering for the API path (nginx: `proxy_buffering off;` or the upstream "
        "header `X-Accel-Buffering: no`), and disable compression of `text/event-stream`.",
    ),
    Diagnosis(
        "stream_too_long", CHECK, FAIL,
        "The server kept sending past a bound of the smoke test, so chat-doctor stopped reading: a run "
        "longer than 3x `--timeout` plus a quarter second per token asked for, one event over 1 MiB (a "
        "line that never ends), or a reply over 16 MiB decoded (a compressed bomb); the figures say which.",
        "Test the server directly (bypassing proxies) and read its logs; if the model is just slow, raise "
        "`--timeout` or lower `--max-tokens`.",
    ),
    Diagnosis(
        "max_tokens_ignored", CHECK, WARN,
        "The reply ran well past the token limit the smoke test sent (more than twice `--max-tokens` "
        "plus 16), so chat-doctor stopped reading (the timings up to there are kept); or it ended on its "
        "own while the server's own usage counted more tokens than the limit (`data.limit_evidence`: "
        "`read_bound` or `usage`).",
        "Your app cannot rely on this server to bound replies: find which limit field it honours "
        "(`max_tokens` or `max_completion_tokens`) or its own output cap (llama.cpp `--n-predict`), "
        "and set it.",
    ),
    Diagnosis(
        "ttft_over_limit", CHECK, FAIL,
        "The median time to first token was above the `--max-ttft` limit.",
        "Compare the phases (connect, headers, first token) to see where the time goes; use a "
        "closer region or a smaller model, or raise the limit if it is too strict. When the stream is "
        "also buffered (`stream_buffered`, named beside it), fix that first: it holds the first token back.",
    ),
    # --- instead of a stream: what the request ran into --------------------------------------
    Diagnosis(
        "stream_client_setup", CHECK, FAIL,
        "The openai client could not be created, or chat-doctor refused to send the key, so nothing "
        "was sent (a missing key, for Azure a missing api-version, or plain http:// to another host).",
        "Set the key (`OPENAI_API_KEY`, or `AZURE_OPENAI_API_KEY` for Azure) and, for Azure, "
        "`OPENAI_API_VERSION`; use an https:// base URL (or `--allow-insecure` if you must).",
    ),
    Diagnosis(
        "stream_sdk_unavailable", CHECK, FAIL,
        "The openai package could not be imported in chat-doctor's interpreter.",
        "Reinstall chat-doctor with its dependencies: `pip install --force-reinstall chat-doctor`.",
    ),
    Diagnosis(
        "stream_sdk_broken", CHECK, FAIL,
        "The target interpreter's openai SDK cannot build a client, so the app cannot either: typically "
        "openai older than 1.55.3 beside httpx 0.28 (`TypeError: ... unexpected keyword argument 'proxies'`), "
        "or openai (or one of its dependencies) fails to import there.",
        "Upgrade openai in the target (`<python> -m pip install -U \"openai>=1.55.3\"`) or pin `httpx<0.28`; "
        "for an import error, reinstall openai there (`<python> -m pip install --force-reinstall openai`).",
    ),
    Diagnosis(
        "smoke_runner_failed", CHECK, FAIL,
        "The smoke test's runner inside the target interpreter did not finish: it could not be started, "
        "crashed, ran past its deadline (killed), printed more than any reply can, or printed something "
        "that is not one of its events.",
        "Read the reason shown (it quotes the runner's stderr); a `sitecustomize` or `.pth` file that "
        "prints or exits at start-up is a common cause. Report it with `chat-doctor report --smoke`.",
    ),
    Diagnosis(
        "stream_connection_failed", CHECK, FAIL,
        "The chat request could not be sent: the connection was refused or reset, the name did not "
        "resolve, TLS failed, or the key has a character that cannot go in a header.",
        "Check the base URL, the proxy settings and that the key has no stray whitespace; the network and "
        "TLS checks (net.dns, net.tcp, net.tls) show where the connection fails.",
    ),
    Diagnosis(
        "stream_timeout", CHECK, FAIL,
        "The response headers did not arrive (or did not finish arriving) within `--timeout` of "
        "connecting, so the stream never began.",
        "Check the server is up and not overloaded; raise `--timeout` for slow local models.",
    ),
    # --- the Responses API (stream.responses) ---------------------------------------------------
    Diagnosis(
        "responses_api_unsupported", RESPONSES, FAIL,
        "The server answered 404 or 405 to `POST /responses`: it has no Responses API (many "
        "OpenAI-compatible servers implement only Chat Completions). A warning under `--api both`, "
        "where Chat Completions is proven beside it.",
        "If your app uses `client.chat.completions`, nothing is wrong: prove that path with `--api chat`. "
        "If it uses `client.responses`, point it at a server that implements `/v1/responses`.",
        also=((RESPONSES, WARN),),
    ),
    Diagnosis(
        "stream_incomplete", RESPONSES, WARN,
        "The Responses stream ended with `response.incomplete`: the answer was cut short, for the reason "
        "shown (`max_output_tokens`: the token limit; `content_filter` is `content_filtered` instead).",
        "For `max_output_tokens` raise `--max-tokens` (your app: `max_output_tokens`), for reasoning "
        "models especially; for another reason, read the server's documentation of it.",
    ),
    Diagnosis(
        "stream_sequence_gap", RESPONSES, WARN,
        "The Responses stream's `sequence_number`s skip or repeat values, so events were lost or "
        "reordered between the server and the client (a stream without any `sequence_number` is fine).",
        "Test the server directly, bypassing proxies and gateways: something between them drops or "
        "rewrites events; if the server itself skips, report it to its maintainers.",
    ),
)
