"""What chat-doctor says about how a streamed reply ended and what it carried (doctor.stream.integrity).

The codes' meanings are doctor/knowledge/codes/stream_integrity.py's.
"""

from __future__ import annotations

from typing import Tuple

from doctor.model import Fix

# --- how the reply ended ------------------------------------------------------------------------


def aborted(finish_reason: str, content_chunks: int, done: bool) -> str:
    ended = ", then [DONE]" if done else ""
    return (f"the server aborted the reply: finish_reason={finish_reason} after {content_chunks} content chunks{ended}")


ABORT_DETAIL = ("a stream that ends with [DONE] is not a success when the last finish_reason is abort or error: "
                "the server gave up on the request")


def filtered(content_chunks: int) -> str:
    return f"the provider's content filter stopped the reply after {content_chunks} content chunks (finish_reason=content_filter)"


FILTER_DETAIL = "the reply is incomplete: a content policy flagged the prompt or the reply, not a fault on the path"


def no_usage(runs: int, of: int) -> str:
    which = "the stream" if of == 1 else f"{runs} of {of} streams"
    return f"include_usage was asked for, but {which} carried no usage chunk: token and cost accounting reads zero"


NO_USAGE_DETAIL = ("the request sent stream_options: {\"include_usage\": true}; an OpenAI-compatible server answers "
                   "with one last chunk holding usage (choices: []) before [DONE]")

USAGE_FIXES: Tuple[Fix, ...] = (
    Fix("Update the server or gateway to a version that honours stream_options.include_usage "
        "(vLLM, Ollama and LiteLLM do), or count tokens on the client side."),
)
