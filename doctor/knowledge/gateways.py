"""Is this 5xx a gateway saying its upstream failed? Pure: the status and what the body said.

A gateway (LiteLLM's proxy, OpenRouter, Envoy, nginx, a company's API gateway) whose model server
fails answers with its own 5xx, in its own words, naming the upstream:

- LiteLLM: `litellm.InternalServerError: InternalServerError: OpenAIException - Connection error..
  Received Model Group=x  Available Model Group Fallbacks=None` (the `<Provider>Exception - ` part
  names the upstream's client; `Model Group` is LiteLLM's routing unit);
- OpenRouter: `{"error": {"message": "Provider returned error", "metadata": {"provider_name": ...}}}`;
- Envoy (Istio, many API gateways): `upstream connect error or disconnect/reset before headers.
  reset reason: connection failure`, `no healthy upstream`, `upstream request timeout`;
- Kong: `An invalid response was received from the upstream server`;
- nginx: an HTML page titled `502 Bad Gateway` or `504 Gateway Time-out`.

api.auth reads the page's title from the body it fetched; the stream checks from how their
failure named the page (`stream_upstream_failure`: doctor.stream.classify keeps the title and the
server, the target runner keeps neither, and a 502 or 504 HTML page is then a gateway's by its status).

The fixes for that are about the upstream (is the model server up, does the gateway point at it),
not about the gateway's own status page. OpenAI's own endpoint is never treated as a gateway:
its 5xx is its own (server_error, with the status page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from doctor.words import shorten

# (who, pattern searched case-insensitively in the error message or plain-text body), in order.
_MESSAGE_RULES: Tuple[Tuple[str, str], ...] = (
    ("LiteLLM", (r"\blitellm\.\w*(?:error|exception)\b|received model group=|model group\b.{0,80}\bfailed|"
                 r"\b\w+exception - ")),
    ("OpenRouter", r"^provider returned error\b"),
    ("Envoy", r"upstream connect error or disconnect/reset before headers|\bno healthy upstream\b"),
    ("a gateway", r"\bupstream\b"),
)
# nginx's and most proxies' own error pages: the title names the failure.
_HTML_TITLE = re.compile(r"^\s*50[24]\b.*\b(?:bad gateway|gateway time-?out)\b", re.IGNORECASE)

# What doctor.knowledge.wording.gateways.html_page wrote: the page's title and "nginx", when known.
_PAGE_MESSAGE = re.compile(r'^the body is an HTML page(?: \("(?P<title>[^"]*)"(?:, (?P<server>nginx))?\))?, '
                           r'not an API error$')
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
TITLE_CHARS = 120  # of a page's title kept (as api.auth's models fact keeps it)

MESSAGE_CHARS = 200  # of the gateway's message quoted in the summary
SEARCHED_CHARS = 8000  # of the message searched for the patterns above


@dataclass(frozen=True)
class UpstreamFailure:
    """A gateway's 5xx naming the upstream that failed."""

    gateway: str  # "LiteLLM", "OpenRouter", "Envoy", "nginx" or "a gateway"
    message: Optional[str]  # what it said, on one line and shortened (scrubbed and made inert later)


def upstream_failure(status: int, message: Optional[str], *, kind: str, html_title: Optional[str] = None,
                     excerpt: Optional[str] = None, untitled_page: bool = False) -> Optional[UpstreamFailure]:
    """The gateway and its words when a 5xx answer blames the server behind it, else None.

    `message` is the error body's message (or a plain-text body), `html_title` and `excerpt`
    what an HTML page showed; `kind` is the endpoint's (doctor.endpoint): OpenAI's own is never
    a gateway. `untitled_page`: an HTML page came but its title is not known (the stream checks'
    target runner keeps none): a 502 or 504 is then a gateway's by the status alone (RFC 9110:
    both are answered "while acting as a gateway or proxy").
    """
    if not 500 <= status <= 599 or kind == "openai":
        return None
    # Bounded: a body may be megabytes; a gateway names its upstream in its first sentences.
    said = " ".join((message or "")[:SEARCHED_CHARS].split())
    for gateway, pattern in _MESSAGE_RULES:
        if said and re.search(pattern, said, re.IGNORECASE):
            return UpstreamFailure(gateway, shorten(said, MESSAGE_CHARS))
    if html_title and _HTML_TITLE.search(html_title):
        gateway = "nginx" if excerpt and "nginx" in excerpt.lower() else "a gateway"
        return UpstreamFailure(gateway, shorten(" ".join(html_title.split()), MESSAGE_CHARS))
    if untitled_page and html_title is None and status in (502, 504):
        return UpstreamFailure("a gateway", None)
    return None


def page_title(text: str) -> Optional[str]:
    """An HTML page's title, on one line, shortened and without double quotes; None without one."""
    found = _TITLE_TAG.search(text[:SEARCHED_CHARS])
    title = " ".join(found.group(1).replace('"', "").split()) if found else ""
    return shorten(title, TITLE_CHARS) if title else None


def page_server(text: str) -> Optional[str]:
    """"nginx" when its error page signs it (`<center>nginx/1.22.1</center>`), else None."""
    return "nginx" if "nginx" in text[:SEARCHED_CHARS].lower() else None


def stream_upstream_failure(status: int, message: Optional[str], *, kind: str) -> Optional[UpstreamFailure]:
    """upstream_failure for a stream check's failure message: an HTML page's title and server are
    read back from how doctor.knowledge.wording.gateways.html_page named the page."""
    page = _PAGE_MESSAGE.match(message or "")
    if page is None:
        return upstream_failure(status, message, kind=kind)
    return upstream_failure(status, None, kind=kind, html_title=page.group("title"), excerpt=page.group("server"),
                            untitled_page=True)
