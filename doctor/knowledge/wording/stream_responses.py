"""What `stream.responses` (the smoke test over the Responses API) says beyond what `stream.chat`
says (doctor.knowledge.wording.stream): its own verdicts, fixes and the comparison's labels.

The rules that pick them live in doctor.stream.responses_verdicts; the codes' meanings in
doctor/knowledge/codes/stream.py.
"""

from __future__ import annotations

import shlex
from typing import Optional, Sequence, Tuple

from doctor.model import Fix


def live_label(index: int, runs: int) -> str:
    """What precedes a Responses run's streamed reply on the screen (beside chat's "reply")."""
    return "responses reply" if runs == 1 else f"responses run {index + 1}/{runs}"


# --- a server without the Responses API ---------------------------------------------------------


def unsupported(status: Optional[int], message: str) -> str:
    said = f": {message}" if message else ""
    return f"POST /responses answered HTTP {status}{said}; this server has no Responses API"


ONLY_CHAT = "many OpenAI-compatible servers implement only Chat Completions (/chat/completions)"
CHAT_STANDS = "under --api both this is a warning: the Chat Completions verdict (stream.chat) stands"

_USE_CHAT = Fix("If your app calls client.chat.completions, nothing is wrong: prove that path alone",
                "chat-doctor smoke --api chat")
_KIND = {
    "openai": Fix("OpenAI serves the Responses API at https://api.openai.com/v1/responses: check that the base "
                  "URL ends in /v1 and that no gateway in between blocks the path"),
    "azure": Fix("Azure OpenAI serves the Responses API only under its v1 API (base URL "
                 "https://RESOURCE.openai.azure.com/openai/v1/) and for the models and regions it lists"),
    "compatible": Fix("If your app calls client.responses, point it at a server that implements /v1/responses, "
                      "or switch the app to client.chat.completions"),
}


def unsupported_fixes(kind: str) -> Tuple[Fix, ...]:
    """Fixes that fit the endpoint: on OpenAI itself a 404 there means a wrong path, elsewhere the
    server most likely has only Chat Completions."""
    return (_USE_CHAT, _KIND.get(kind, _KIND["compatible"]))


NO_CLIENT_RESPONSES = "has no client.responses"  # the target runner's words for an openai before 1.66
OPENAI_WITH_RESPONSES = "1.66"  # the first openai with client.responses


def no_responses_fixes(python: str) -> Tuple[Fix, ...]:
    """An openai too old for the Responses API, in the interpreter the smoke test ran in."""
    return (Fix(f"Upgrade openai in the target: client.responses came with openai {OPENAI_WITH_RESPONSES}",
                f"{shlex.quote(python)} -m pip install -U {shlex.quote('openai>=' + OPENAI_WITH_RESPONSES)}"),
            _USE_CHAT)


# --- the stream's ending ------------------------------------------------------------------------


def no_terminal(content_chunks: int) -> str:
    return (f"the Responses stream ended without response.completed (or .incomplete/.failed) "
            f"after {content_chunks} text deltas")


NO_TERMINAL_DETAIL = ("the body ended cleanly but the server never sent the terminal event, which carries the "
                      "final status and usage: a client waiting for it hangs or fails")


def events_seen(types: Sequence[Optional[str]]) -> str:
    """The last few event types, so what did come is on record (at most 5 names)."""
    shown = [str(kind) for kind in types[-5:]]
    return "last events: " + (", ".join(shown) if shown else "none")


ERROR_EVENTS = ("response.failed", "error")  # the events that carry the server's failure


def error_event(event: str, content_chunks: int, message: str) -> str:
    said = f": {message}" if message else " (no message)"
    return f"the server sent {event} after {content_chunks} text deltas{said}"


def incomplete(prefix: str, reason: Optional[str]) -> str:
    return f"{prefix}the answer was cut short: response.incomplete (reason: {reason or 'not given'})"


def incomplete_detail(reason: Optional[str]) -> str:
    if reason == "max_output_tokens":
        return "the model reached max_output_tokens (--max-tokens) before it finished"
    if reason == "content_filter":
        return "a content filter stopped the answer"
    return "the server gave no reason chat-doctor knows (incomplete_details.reason)"


def filtered(prefix: str, deltas: int) -> str:
    return (f"{prefix}the provider's content filter stopped the answer after {deltas} text deltas "
            "(response.incomplete, reason: content_filter)")


FILTER_DETAIL = ("the answer is incomplete: a content policy flagged the input or the answer "
                 "(incomplete_details.reason content_filter), not a fault on the path")

FILTER_FIXES: Tuple[Fix, ...] = (
    Fix("Check the content filter settings of the deployment (on Azure, its content filter policy) or rephrase the "
        "input; treat status 'incomplete' with reason 'content_filter' in your code as an incomplete answer."),
)


def no_usage(runs: int, of: int) -> str:
    which = "the terminal event" if of == 1 else f"the terminal event of {runs} of {of} runs"
    return f"{which} (response.completed / .incomplete) carried no usage: token and cost accounting reads zero"


NO_USAGE_DETAIL = ("the Responses API reports usage (input_tokens, output_tokens) in the response of its terminal "
                   "event, without being asked; here it was null or missing")

USAGE_FIXES: Tuple[Fix, ...] = (
    Fix("Update the server or gateway to a version whose Responses API fills response.usage in its terminal event, "
        "or count tokens on the client side."),
)


def sequence_gap(prefix: str, gaps: Sequence[Tuple[int, int]]) -> str:
    expected, got = gaps[0]
    more = f" ({len(gaps)} places)" if len(gaps) > 1 else ""
    return f"{prefix}sequence_number skipped or repeated: expected {expected}, got {got}{more}"


def in_runs(count: int, runs: int) -> str:
    """How many runs a warning was seen in, when it was more than the one named."""
    return f" (in {count} of {runs} runs)" if count > 1 else ""


SEQUENCE_DETAIL = "every event of a Responses stream is numbered; a gap means events were lost or reordered on the way"


# --- the side-by-side comparison (doctor.render.smoke_compare) --------------------------------

COMPARE_TITLE = "Chat Completions vs Responses (same endpoint, one after the other):"
COMPARE_HEADINGS = ("", "TTFT", "total", "tokens", "tok/s", "verdict")
COMPARE_ROWS = ("chat", "responses")
