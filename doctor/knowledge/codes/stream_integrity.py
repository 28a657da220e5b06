"""Diagnosis codes for the integrity of a streamed reply: how it ended and what it carried.

The transport can be perfect and the reply still wrong: vLLM ends an aborted request with
`finish_reason: "abort"` and then a normal `[DONE]`, a provider's content filter cuts a reply
short (`content_filter`), and a server may ignore `stream_options.include_usage`, so cost and
token accounting built on the usage chunk read zero. The rules are doctor/stream/integrity.py's;
the words are doctor/knowledge/wording/stream_integrity.py's.
"""

from __future__ import annotations

from typing import Tuple

from doctor.knowledge.diagnosis import FAIL, WARN, Diagnosis

CHECK = "stream.chat"

DIAGNOSES: Tuple[Diagnosis, ...] = (
    Diagnosis(
        "stream_aborted", CHECK, FAIL,
        "The server ended the reply with `finish_reason` `abort` or `error` (vLLM, SGLang): generation was cancelled "
        "or failed on the server, even though the stream itself closed normally with `[DONE]`.",
        "Read the server's log for the request: an engine error, a request preempted or cancelled, a worker that "
        "died, or a timeout in front of the server that made it abort. Treat such a reply as failed in your code.",
    ),
    Diagnosis(
        "content_filtered", CHECK, WARN,
        "The provider's content filter stopped the reply (`finish_reason` `content_filter`): the text that arrived "
        "is incomplete, and the prompt or the reply was flagged by a policy, not cut by a bug.",
        "Check the content filter settings of the deployment (on Azure, its content filter policy) or rephrase "
        "the prompt; handle `content_filter` in your code as an incomplete reply.",
    ),
    Diagnosis(
        "stream_no_usage", CHECK, WARN,
        "The request asked for `stream_options.include_usage`, but the stream carried no usage chunk (on the "
        "Responses API: the terminal event's `usage` was null): cost and token accounting built on it (LiteLLM, "
        "Langfuse, your own) reads zero for every streamed call.",
        "Update the server or gateway to one that honours `stream_options.include_usage` (vLLM, Ollama and LiteLLM "
        "do); otherwise count tokens on the client side.",
    ),
)
