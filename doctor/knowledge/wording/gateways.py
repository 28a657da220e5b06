"""What chat-doctor says about a gateway whose upstream failed (doctor.knowledge.gateways): the
`upstream_error` summaries of api.auth and stream.chat, the `gateway_no_key_db` one of the stream
checks, and how an HTML error page is named in a stream check's failure.

The code's meaning and generic fix are doctor/knowledge/codes/api.py's; the gateway's own words
arrive shortened (doctor.words.shorten), are scrubbed of the key by the run's Redactor and made
inert by the renderer (doctor.render.inert), never here.
"""

from __future__ import annotations

from typing import Optional


def upstream_failed(gateway: str, status: int, message: Optional[str]) -> str:
    said = f": {message}" if message else ""
    return f"{gateway} answered {status}: the server behind it failed or could not be reached{said}"


def upstream_detail(gateway: str) -> str:
    return (f"the error comes from {gateway} in front of the model server, not from the model server itself: "
            "the path up to the gateway works")


def no_key_db(status: int, message: Optional[str]) -> str:
    said = f": {message}" if message else ""
    return (f"the LiteLLM proxy refused the key (HTTP {status}{said}): it has no database, "
            "so only its master key works")


# How a stream check names an HTML body answered instead of an API error (doctor.stream.classify;
# the target runner, doctor/stream/target_reading.py, sends HTML_PAGE alone). doctor.knowledge.gateways
# reads the title and the server back from it (page_in): keep the two in step.
HTML_PAGE = "the body is an HTML page, not an API error"


def html_page(title: Optional[str], server: Optional[str]) -> str:
    if not title:
        return HTML_PAGE
    by = f", {server}" if server else ""
    return f'the body is an HTML page ("{title}"{by}), not an API error'
