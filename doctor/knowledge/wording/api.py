"""What `api.auth` and `api.model` say: their summaries, detail lines and fixes.

The judges (doctor/checks/api_auth.py, api_model.py) decide which code applies; the words are
here, beside the codes' own meanings (doctor/knowledge/codes/api.py). Anything a server sent
(a message, a title, a model id) is shortened before it is quoted, and shell-quoted before it
goes into a command.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

from doctor.knowledge.wording.shell import needs_ansi_c, shell_word
from doctor.model import Fix
from doctor.words import shorten

EXCERPT = 300  # how much of a server's words a line quotes (and the models fact keeps)

# --- api.auth: context ------------------------------------------------------------------------


def context_lines(url: str, *, via_proxy: Optional[str], key_shape: Optional[str], key_source: Optional[str],
                  key_header: Optional[str], request_id: Optional[str], api_version_assumed: Optional[str]) -> List[str]:
    """What was asked, how and of whom: the first detail lines of every api.auth answer."""
    lines = [f"GET {url}" + (f" via {via_proxy}" if via_proxy else "")]
    if key_shape:
        lines.append(f"key {key_shape} from {key_source}, sent as {key_header}")
    if request_id:
        lines.append(f"request id: {request_id}")
    if api_version_assumed:
        lines.append(f"api-version {api_version_assumed} assumed (OPENAI_API_VERSION is not set)")
    return lines


def server_says(*, message: Optional[str], error_type: Optional[str], error_code: Optional[str],
                html_title: Optional[str], excerpt: str) -> List[str]:
    """The server's own words, the best of what it sent: its error message, a page title, the body's start."""
    if message:
        tags = ", ".join(f"{k}={v}" for k, v in (("type", error_type), ("code", error_code)) if v)
        return [f"server says: {shorten(message, EXCERPT)}" + (f" ({tags})" if tags else "")]
    if html_title:
        return [f"the answer is an HTML page titled {html_title!r}"]
    if excerpt:
        return [f"the answer starts: {shorten(excerpt, 160)}"]
    return []


# --- api.auth: nothing sent ---------------------------------------------------------------------

NOT_ASKED_NO_KEY = "not asked: no API key is set"


def route_untestable(proxy_scheme: Optional[str], proxy_shown: Optional[str]) -> str:
    return f"not tried: chat-doctor cannot send requests through the {proxy_scheme} proxy {proxy_shown}"


def key_withheld(reason: Optional[str]) -> str:
    return f"the key was not sent: {reason}"


KEY_WITHHELD_FIXES = (
    Fix("Use https:// for the endpoint"),
    Fix("Or accept the risk on a network you control", "chat-doctor check --allow-insecure"),
)


def http_client_unavailable(reason: Optional[str]) -> str:
    return f"chat-doctor cannot make HTTP requests itself: {reason}"


HTTP_CLIENT_DETAILS = ("this is chat-doctor's own interpreter, which may differ from the target",)


def sent_unread(url: str) -> str:
    return (f"the request to {url} had been sent already, with the key (it leaves while urllib3 loads, "
            "to save time); its answer was not read")
HTTP_CLIENT_FIXES = (
    Fix("Reinstall chat-doctor on a Python built with OpenSSL 1.1.1+",
        "pipx install --force --python python3.12 chat-doctor"),
    Fix("Or pin urllib3 1.x in chat-doctor's environment", "python -m pip install 'urllib3<2'"),
)

# --- api.auth: answers --------------------------------------------------------------------------


def redirects(url: str, status: int, location: Optional[str]) -> str:
    where = location or "(no Location header)"
    return f"{url} redirects ({status}) to {where}; not followed with the key"


REDIRECT_DETAIL = "a key must only go to the configured endpoint"
REDIRECT_FIXES = (
    Fix("If the new location is the real API, use it as the base URL"),
    Fix("If it is a login or portal page, log in to the network, then re-run"),
)


def not_a_model_list(url: str, status: int, content_type: str) -> str:
    shown = "an HTML page" if "html" in content_type else f"{content_type or 'a body'} that is not a model list"
    return f"{url} answered {status} with {shown}, not the API's model list"


NOT_A_MODEL_LIST_FIXES = (
    Fix("Open the base URL in a browser to see what answers it (a captive portal, a login page, a web UI?)"),
    Fix("Fix the base URL to point at the API root (for OpenAI: https://api.openai.com/v1)"),
)


def key_accepted(key_shape: Optional[str], count: int, took_ms: Optional[float]) -> str:
    timing = f" in {took_ms:.0f} ms" if took_ms is not None else ""
    return f"key {key_shape} accepted; {count} model{'s' if count != 1 else ''} listed{timing}"


# --- api.auth: refusals -------------------------------------------------------------------------

# One-line summaries of the simple API diagnoses ({status}: the HTTP status, {key}: the key's shape).
STATUS_SUMMARIES: Dict[str, str] = {
    "invalid_api_key": "the key {key} was rejected ({status})",
    "missing_scopes": "the key works but may not list models ({status} missing scopes); chat may still work",
    "ip_not_authorized": "this machine's IP is not on the allowlist ({status})",
    "unsupported_region": "the API is not available from this country/region ({status})",
    "overloaded": "the server is overloaded or loading ({status})",
    "server_error": "the server failed ({status})",
}


def status_line(status: int, reason: str) -> str:
    return f"{status} {reason}".strip()


def not_json(content_type: str) -> str:
    return f"the answer is {content_type}, not the API's JSON: something other than the API may be answering"


def not_found(url: str, status: int) -> str:
    return f"{url} does not exist ({status})"


def v1_works(v1_url: str, model_count: int) -> str:
    return f"GET {v1_url} works: {model_count} models listed"


def add_v1_fix(v1_base: str) -> Fix:
    return Fix(f"Add /v1 to the base URL: {v1_base}", f"export OPENAI_BASE_URL={v1_base}")


def v1_fails(v1_url: str, status: Optional[int]) -> str:
    return f"GET {v1_url} does not work either ({status})"


def rate_limited(notes: Sequence[str]) -> str:
    return "rate limited (429)" + (f": {notes[0]}" if notes else "")


def out_of_quota(error_code: Optional[str]) -> str:
    return f"out of quota (429 {error_code or 'insufficient_quota'}): retrying will not help"


def with_message(summary: str, message: str) -> str:
    """A refusal's summary followed by what the server said."""
    return summary + f": {shorten(message, 120)}"


# --- api.auth: transport failures ---------------------------------------------------------------


def too_slow(url: str, failure: Optional[str]) -> str:
    return f"{url}: {failure}"  # a trickle, not silence


def no_answer(url: str) -> str:
    return f"no answer from {url} within the timeout (connected, request sent)"


READ_TIMEOUT_FIXES = (
    Fix("Retry with a longer timeout", "chat-doctor check --timeout 30"),
    Fix("If it persists, check the server's load and any proxy in between"),
)


def response_too_long(url: str, failure: Optional[str]) -> str:
    return f"{url}: {failure}; a model list is far smaller"


RESPONSE_TOO_LONG_FIXES = (
    Fix("Check that the base URL points at the API and not at a file or a stream"),
    Fix("If a proxy sits in between, check what it sends back"),
)


def request_failed(phase: str, failure: Optional[str]) -> str:
    return f"the request failed during {phase or 'the exchange'}: {failure}"


# --- api.model ------------------------------------------------------------------------------------


def no_model_list(status: Optional[int]) -> str:
    return f"not checked: the server gave no model list ({status})"


def _models(count: int) -> str:
    return f"{count} model{'s' if count != 1 else ''}"


def _tasks(tasks: Mapping[str, Sequence[str]]) -> str:
    return ", ".join(f"{len(v)} {k}" for k, v in tasks.items())


def model_available(model: str, count: int, tasks: Mapping[str, Sequence[str]]) -> str:
    return f"{model} is available ({_models(count)}: {_tasks(tasks)})"


def server_lists(count: int, tasks: Mapping[str, Sequence[str]]) -> str:
    return f"the server lists {_models(count)}: {_tasks(tasks)}"


def _closest(close: Sequence[str]) -> str:
    return f"; closest: {', '.join(close)}" if close else ""


def use_listed_model(model: str) -> Fix:
    # Model ids come from the server: shell-quoted, so a hostile id cannot become a command, and
    # one with control characters pastes back as itself (wording.shell).
    return Fix(f"Use a listed model, e.g. {model}{_ansi_c_note(model)}", f"chat-doctor check --model {shell_word(model)}")


def use_chat_model(model: str) -> Fix:
    return Fix(f"Use a chat model the key can reach, e.g. {model}{_ansi_c_note(model)}",
               f"chat-doctor check --model {shell_word(model)}")


def _ansi_c_note(model: str) -> str:
    """Said when the command quotes the name as $'...': other shells (fish, POSIX sh) read it otherwise."""
    return " (the name holds control characters: the command quotes it for bash or zsh, $'...')" if needs_ansi_c(model) else ""


def model_not_found(model: str, close: Sequence[str]) -> str:
    return f"{model} is not available to this key{_closest(close)}"


AZURE_UNLISTED = "on Azure the model is your deployment name, which the model list does not show"
COMPATIBLE_UNLISTED = "OpenAI-compatible servers may serve names they do not list"


def single_model_server(model: str) -> str:
    return f"this server lists a single model ({model}) and such servers often answer to any name"


def smoke_decides(reason: str) -> str:
    return f"{reason}; the streamed smoke test decides"


def let_a_request_decide(model: str) -> Fix:
    return Fix(f"Let a real request decide{_ansi_c_note(model)}", f"chat-doctor smoke --model {shell_word(model)}")


def model_unlisted(model: str, close: Sequence[str]) -> str:
    return f"{model} is not in the server's list{_closest(close)}; it may still work"

