"""The mock-server scenarios that break `POST /v1/responses` (the Responses API) and leave chat alone.

Each one is a failure a Responses client meets in the wild: a server without the route, a stream
that ends without its terminal event, a generation that fails or errors mid-stream, an answer
cut at max_output_tokens or by a content filter, a terminal event without usage, and sequence numbers that skip or are missing (llama.cpp's
`llama-server` streams typed `event:` lines without `sequence_number`, shared/facts/openai-api.md).
Listed by doctor/mock/scenarios.py after the chat scenarios.
"""

from __future__ import annotations

from typing import Tuple

from doctor.mock.scenario_parts import ResponsesBehaviour, ResponsesEnding, Scenario

RESPONSES_SCENARIOS: Tuple[Scenario, ...] = (
    Scenario(
        "responses_unsupported",
        "Chat works; POST /v1/responses answers 404 'Invalid URL' (a server without the Responses API).",
        responses=ResponsesBehaviour(unsupported=404),
    ),
    Scenario(
        "responses_method_not_allowed",
        "Chat works; POST /v1/responses answers 405 Method Not Allowed (a gateway that only allows GET).",
        responses=ResponsesBehaviour(unsupported=405),
    ),
    Scenario(
        "responses_no_terminal",
        "Responses stream: all the text and its .done events, then the body ends without response.completed.",
        responses=ResponsesBehaviour(ending=ResponsesEnding.NONE),
    ),
    Scenario(
        "responses_failed",
        "Responses stream: one text delta, then response.failed (status failed, error server_error).",
        responses=ResponsesBehaviour(ending=ResponsesEnding.FAILED, content_tokens=1),
    ),
    Scenario(
        "responses_error_event",
        "Responses stream: one text delta, then an `error` event and the end of the body.",
        responses=ResponsesBehaviour(ending=ResponsesEnding.ERROR_EVENT, content_tokens=1),
    ),
    Scenario(
        "responses_incomplete",
        "Responses answers stop after 3 tokens: status incomplete, reason max_output_tokens (streamed or not).",
        responses=ResponsesBehaviour(output_cap=3),
    ),
    Scenario(
        "responses_content_filter",
        "Responses answers stop after 3 tokens: status incomplete, reason content_filter (a policy cut them).",
        responses=ResponsesBehaviour(output_cap=3, incomplete_reason="content_filter"),
    ),
    Scenario(
        "responses_no_usage",
        "Responses stream whose response.completed carries \"usage\": null (no token counts).",
        responses=ResponsesBehaviour(usage=False),
    ),
    Scenario(
        "responses_sequence_gap",
        "Responses stream whose sequence_number skips a value (6 is never sent).",
        responses=ResponsesBehaviour(skipped_sequence_number=6),
    ),
    Scenario(
        "responses_no_sequence",
        "Responses stream without sequence_number on any event (a valid dialect: llama-server's).",
        responses=ResponsesBehaviour(sequence_numbers=False),
    ),
)
