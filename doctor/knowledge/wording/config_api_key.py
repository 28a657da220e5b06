"""What config.api_key says: summary templates, detail lines, fix texts and fix commands.

The rules (doctor/checks/config_api_key.py, and the key hygiene of doctor/checks/key_shape.py)
decide what is wrong; this module words it, each finding as `Words` (doctor.knowledge.wording
.config), so a rule reads `Finding(code, *words.something(...))`. Every command is meant to be
pasted whole, and none prints the key: they read it from its variable.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from doctor.credentials import AZURE_KEY_VAR, AZURE_TOKEN_VAR, OPENAI_KEY_VAR
from doctor.knowledge.codes.config import WHITESPACE_CAUSES
from doctor.knowledge.wording.config import Words
from doctor.model import Fix

# =============================================================================================
# The key's hygiene (doctor/checks/key_shape.py)
# =============================================================================================

# Drops everything but printable ASCII (whitespace, smart quotes, control characters).
KEEP_PRINTABLE_ASCII = "export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\" | LC_ALL=C tr -cd '\\041-\\176')\""
STRIP_WHITESPACE = "export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\" | tr -d '[:space:]')\""
# Works before or after the whitespace fix (which would leave "Bearersk-...").
STRIP_BEARER = "export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\" | sed 's/^[[:space:]]*[Bb]earer[[:space:]]*//')\""
STRIP_QUOTES = "export OPENAI_API_KEY=\"$(printf %s \"$OPENAI_API_KEY\" | tr -d '\\042\\047')\""


def var_fix(name: str, shell: str) -> str:
    """A command written for OPENAI_API_KEY, for the variable `name` instead."""
    return shell.replace("OPENAI_API_KEY", name)


def key_non_ascii(name: str, described: str, length: int, curly_quotes: bool) -> Words:
    return Words(
        f"{name} contains {described} (of {length})",
        (
            ("The SDK encodes headers as ASCII, so every request raises a raw UnicodeEncodeError "
            "('ascii' codec can't encode character ...), not an openai exception."),
            *(("Curly quotes usually come from pasting through a word processor, chat app or web page.",)
              if curly_quotes else ()),
        ),
        (
            Fix(
                "Keep only printable ASCII (this also drops whitespace), or copy the key again as plain text",
                var_fix(name, KEEP_PRINTABLE_ASCII),
            ),
        ),
    )


def key_control_characters(name: str, described: str, length: int) -> Words:
    return Words(
        f"{name} contains {described} (of {length})",
        (
            ("The SDK's HTTP library sends it as is (it refuses only NUL, CR and LF, as "
            "`APIConnectionError: Connection error.`), so the server gets a different key and answers 401, "
            "or rejects the malformed header outright (400); a control character is never part of a real key."),
            ("Typical causes: a key pasted from a terminal or a rich-text page with escape codes, or a file "
            "written with stray bytes."),
        ),
        (Fix("Keep only printable ASCII, or copy the key again as plain text", var_fix(name, KEEP_PRINTABLE_ASCII)),),
    )


def key_whitespace(name: str, described: str, breaks_header: bool) -> Words:
    effect = (
        "The SDK then fails before sending with the misleading `APIConnectionError: Connection error.` "
        "(cause: LocalProtocolError: Illegal header value) - it looks like a network problem but it is the key."
        if breaks_header
        else "The SDK sends it as is and the server answers 401 (invalid API key)."
    )
    return Words(
        f"{name} {described}",
        (effect, WHITESPACE_CAUSES),
        (Fix("Strip all whitespace from the key", var_fix(name, STRIP_WHITESPACE)),),
    )


def key_bearer_prefix(name: str, header: str) -> Words:
    sent = "api-key: Bearer ..." if header == "api-key" else "Authorization: Bearer Bearer ..."
    return Words(
        f"{name} starts with 'Bearer '",
        (f"The SDK builds the header itself, so it sends `{sent}` and the server answers 401.",),
        (Fix("Store only the key, without the prefix", var_fix(name, STRIP_BEARER)),),
    )


def key_quoted(name: str, first: Optional[str], last: Optional[str]) -> Words:
    """`first` / `last`: the quote the value starts / ends with, None when it does not."""
    where = " and ".join(
        part for part in (f"starts with {first}" if first else "", f"ends with {last}" if last else "") if part
    )
    return Words(
        f"{name} {where}: the quotes are part of the value",
        (
            "The key is sent with its quotes and the server answers 401.",
            ("Typical causes: `docker run --env-file`, systemd `EnvironmentFile=` or a CI secret that keep quotes "
            "literally, or `export OPENAI_API_KEY='\"sk-...\"'`."),
        ),
        (Fix("Remove the quote characters", var_fix(name, STRIP_QUOTES)),),
    )


# Why a key does not look like an OpenAI key (key_shape.unusual_openai_shape).
UNUSUAL_AZURE_HEX = "32 hexadecimal characters, which looks like an Azure OpenAI key (use it with the Azure endpoint)"
UNUSUAL_NO_SK = "it does not start with sk-"
UNUSUAL_ADMIN = "it is an Admin API key (sk-admin-…), which manages the organization and cannot call chat models"
UNUSUAL_CHARACTERS = "it contains characters other than letters, digits, '-' and '_'"


def unusual_short(length: int) -> str:
    return f"it is only {length} characters long (truncated when copied?)"


def key_unusual_format(name: str, unusual: str) -> Words:
    return Words(
        f"{name} does not look like an OpenAI API key: {unusual}",
        ("OpenAI keys look like sk-proj-… (project), sk-svcacct-… (service account) or legacy sk-… (51 chars).",),
        (Fix("Create or copy a project API key at https://platform.openai.com/api-keys"),),
    )


ID_BLANKS = "blanks around the id"


def id_header_invalid(name: str, what: str) -> Words:
    """OPENAI_ORG_ID / OPENAI_PROJECT_ID that cannot go into a header as it is; `what` is wrong."""
    return Words(
        f"{name} contains {what}",
        (("The SDK sends it as a request header: a line break or NUL makes every request fail before "
         "sending (`APIConnectionError: Connection error.`), a non-ASCII character too (UnicodeEncodeError); "
         f"other characters reach the server as a wrong {'organization' if name == 'OPENAI_ORG_ID' else 'project'} "
         "(401/403)."),),
        (Fix("Keep the id's first line, printable ASCII only (or set it again from the console)",
             f"export {name}=\"$(printf '%s\\n' \"${name}\" | head -n 1 | LC_ALL=C tr -cd '\\041-\\176')\""),),
    )


# =============================================================================================
# Where the key comes from
# =============================================================================================


def key_summary(source: str, shape: str, prefix_kind: Optional[str]) -> str:
    return f"{source}: {shape}" + (f", {prefix_kind}" if prefix_kind is not None else "")


def dotenv_error(error: str) -> str:
    return f".env: {error}"


def dotenv_differs(path: Optional[str], name: str, shape: str) -> str:
    return (
        f"{path} also defines {name} ({shape}), a different value: the "
        "environment wins (python-dotenv does not override it unless load_dotenv(override=True))."
    )


def shadowed(name: str, client: str, used: str) -> str:
    return f"{name} is also set, but {client} uses {used} when both are set."


def read_key_command(variable: str) -> str:
    """Set a key by typing or pasting it at a silent prompt (bash and zsh alike): it works when
    pasted whole, and the key lands in neither the shell's history nor the screen."""
    return f"read -rs {variable} && export {variable}"


def key_in_dotenv_only(
    name: str, source: str, shape: str, origin: str, *, exported_empty: bool, problems: Sequence[Tuple[str, str]]
) -> Words:
    """The key is only in .env; `problems` are (code, summary) of what is wrong with its value there."""
    return Words(
        f"{name} is only in {origin}: the openai SDK does not read .env files",
        (
            f"{source} ({shape}), but the environment has no {name}"
            + (" (it is exported empty)" if exported_empty else "") + ".",
            ("The openai SDK reads only the environment; a .env file works only if your code calls load_dotenv() "
            "(python-dotenv) or your tool loads it (docker compose, direnv, VS Code)."),
            *(f"Also, the value in .env: {summary.split(' in .env ', 1)[-1]} [{code}]" for code, summary in problems),
        ),
        (
            Fix("Export everything in .env into this shell", "set -a; . ./.env; set +a"),
            Fix("Or load it in Python before creating the client (pip install python-dotenv)",
                "from dotenv import load_dotenv; load_dotenv()"),
        ),
    )


AZURE_TOKEN_EMPTY = Words(
    f"{AZURE_TOKEN_VAR} is exported but empty",
    (("AzureOpenAI prefers AZURE_OPENAI_AD_TOKEN whenever it is set, even empty, over AZURE_OPENAI_API_KEY; "
      "requests then fail with `APIConnectionError: Connection error.` (the header `Bearer ` is illegal)."),),
    (Fix("Unset the empty token so the API key is used", f"unset {AZURE_TOKEN_VAR}"),),
)


def azure_key_missing(*, key_empty: bool, openai_key_set: bool) -> Words:
    details = [
        ("AzureOpenAI() raises `OpenAIError: Missing credentials. Please pass one of api_key, azure_ad_token, "
         "azure_ad_token_provider, or the AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN environment variables.`")
    ]
    fixes = [Fix("Copy the key from the Azure portal (resource → Keys and Endpoint) and paste it at the silent prompt", read_key_command(AZURE_KEY_VAR))]
    if openai_key_set:
        details.append("OPENAI_API_KEY is set, but AzureOpenAI never reads it.")
        fixes.insert(0, Fix("If OPENAI_API_KEY holds your Azure key, copy it", f'export {AZURE_KEY_VAR}="$OPENAI_API_KEY"'))
    summary = f"{AZURE_KEY_VAR} is exported but empty" if key_empty else f"neither {AZURE_KEY_VAR} nor {AZURE_TOKEN_VAR} is set"
    return Words(summary, tuple(details), tuple(fixes))


def openai_key_missing(
    wanted: str, *, empty: bool, admin_key_set: bool, kind: str, local: bool, azure_key_set: bool
) -> Words:
    """No key for the OpenAI() client: `kind` is the endpoint's, `local` whether it is this machine."""
    details = [
        "OpenAI() raises `OpenAIError: Missing credentials` when it is created, before any request"
        + (" (an empty value counts as missing)." if empty else ".")
    ]
    if admin_key_set:
        details.append(
            "OPENAI_ADMIN_KEY is set: it lets the client be created, but chat and model requests then raise "
            "`TypeError: Could not resolve authentication method`; admin keys are for the Admin API only."
        )
    if kind == "openai":
        fixes = [Fix("Create a key at https://platform.openai.com/api-keys and paste it at the silent prompt", read_key_command(OPENAI_KEY_VAR))]
    else:
        details.append(
            f"The SDK needs a key even for servers that ignore it{' (this one is local)' if local else ''}: Ollama, or "
            "llama.cpp and vLLM started without --api-key, accept any non-empty value; a server started with "
            "--api-key needs exactly that value."
        )
        fixes = [
            Fix("If the server ignores keys, any placeholder works", "export OPENAI_API_KEY=placeholder"),
            Fix("If the server checks keys, paste the one it was started with at the silent prompt", read_key_command(OPENAI_KEY_VAR)),
        ]
    if azure_key_set:
        details.append(
            f"{AZURE_KEY_VAR} is set, but this endpoint is not Azure (kind {kind}), so the OpenAI() client ignores it."
        )
    summary = f"{wanted} is exported but empty" if empty else f"{wanted} is not set"
    return Words(summary, tuple(details), tuple(fixes))


def dotenv_lacks(path: str, wanted: str) -> str:
    return f"{path} exists but does not define {wanted}."
