"""The words of the smoke test's dialect section and TTFT ladder (doctor.stream.dialect,
doctor.render.smoke_ladder). Names and values quoted here came from a server: the renderers make
them inert."""

from __future__ import annotations

from typing import Optional, Sequence

# Where usage arrives (Dialect.usage).
USAGE_CHUNK = "a usage chunk"  # OpenAI's: one chunk with choices: [] just before [DONE]
USAGE_ON_LAST = "the last chunk"  # usage beside the finish chunk's choices (llama.cpp)
USAGE_EVERY = "every chunk"  # vLLM's continuous_usage_stats and the like
USAGE_VENDOR = "a vendor field"  # llama.cpp's `timings` without usage
USAGE_NOWHERE = "nowhere"
USAGE_NOT_ASKED = "not asked for"  # stream_options was refused, so usage was not requested
USAGE_TERMINAL = "the terminal event"  # the Responses API's: response.completed carries response.usage

UNKNOWN_FAMILY = "an OpenAI-compatible server (family not recognised)"

# Evidence, one phrase per clue (doctor.stream.dialect's rules).
def field_in_chunks(name: str) -> str:
    return f"`{name}` field in the chunks"


def field_in_choices(name: str) -> str:
    return f"`{name}` in the choices"


def fingerprint(value: str) -> str:
    return f"system_fingerprint {value}"


def header(name: str, value: Optional[str] = None) -> str:
    return f"{name}: {value} header" if value is not None else f"{name} header"


def comment(text: str) -> str:
    return f"SSE comment ': {text}'"


def id_prefix(prefix: str) -> str:
    return f"ids start {prefix}"


def looks_like(family: Optional[str], evidence: Sequence[str]) -> str:
    if family is None:
        return "dialect: " + UNKNOWN_FAMILY
    return f"dialect: looks like {family} ({', '.join(evidence)})" if evidence else f"dialect: looks like {family}"


def usage_line(where: str, reasoning: Optional[str]) -> str:
    return f"  usage arrives in {where}; reasoning in {f'`{reasoning}`' if reasoning else 'none seen'}"


def first_chunk_line(empty_choices: bool, role_only: bool) -> str:
    if empty_choices:
        return "  first chunk has choices: [] (code reading choices[0] breaks on it)"
    if role_only:
        return "  first chunk is role-only (no token: counts as TTFT for vLLM's benchmark only)"
    return "  first chunk already carries a token"


def extras_line(comments: int, first_comment: Optional[str], obfuscation: bool) -> Optional[str]:
    parts = []
    if comments:
        parts.append(f"{comments} SSE comment line(s), first ': {first_comment or ''}' (the SDK skips them)")
    if obfuscation:
        parts.append("`obfuscation` padding on chunks (stream_options.include_obfuscation: false drops it)")
    return "  " + "; ".join(parts) if parts else None


def held_line(headers_ms: float, first_token_ms: float) -> str:
    return (f"  response headers held until the first token (headers {headers_ms:.0f} ms, first token "
            f"{first_token_ms:.0f} ms): something in front waits for its upstream before answering")


def server_line(server: str) -> str:
    return f"  server: {server}"


LADDER_TITLE = "TTFT ladder, run {run} (from the request being sent):"
# (data key, column label, the name under the drawing): the rungs, in the order they happen.
LADDER_RUNGS = (
    ("headers_ms", "Headers", "headers"),
    ("first_byte_ms", "First Byte", "first_byte"),
    ("first_chunk_ms", "First Chunk", "first_chunk"),
    ("first_token_any_ms", "First Token", "first_token_any"),
    ("ttft_ms", "First Content", "ttft"),
    ("total_ms", "Total", "total"),
)
# The net checks' phases drawn before the rungs: (timings_ms key, label, cumulative name).
NET_PHASES = (("dns", "DNS*", "namelookup"), ("connect", "TCP*", "connect"), ("tls", "TLS*", "pretransfer"))
NET_NOTE = ("* measured by the net checks on their own connection; the rungs are this request's own "
            "(its connect: {connect})")
PEERS = ("TTFT by peer: vLLM bench = first_chunk; GuideLLM, AIPerf = first_token_any; llmperf, GenAI-Perf, "
         "chat-doctor = ttft; httpstat's starttransfer ~ first_byte")
