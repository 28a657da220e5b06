"""Where the API credential comes from: the environment as the openai SDK reads it, and `.env`.

The SDK reads only the environment (never a `.env` file):

- `OpenAI()` takes `OPENAI_API_KEY`; an empty value counts as missing, and `OPENAI_ADMIN_KEY`
  alone lets the client be created but chat requests then raise `TypeError: Could not
  resolve authentication method` (verified with openai 3.57.0).
- `AzureOpenAI()` takes `AZURE_OPENAI_AD_TOKEN` when it is set (even empty), else
  `AZURE_OPENAI_API_KEY` (openai/lib/azure.py `_resolve_azure_auth`); it ignores
  `OPENAI_API_KEY`. Azure's OpenAI-compatible `/openai/v1` URL is used with the plain
  `OpenAI()` client instead, which reads `OPENAI_API_KEY`.

`.env` files are parsed only to explain a missing key ("it is in ./.env, but nothing loads
it"). The parser is small and tolerant, like python-dotenv: `export KEY=...`, quotes,
comments, blank lines; it never raises on a malformed line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Mapping, Optional, Tuple

from doctor.endpoint import azure_v1_api
from doctor.redact import key_shape

if TYPE_CHECKING:
    from doctor.redact import Redactor

OPENAI_KEY_VAR = "OPENAI_API_KEY"
OPENAI_ADMIN_VAR = "OPENAI_ADMIN_KEY"
AZURE_KEY_VAR = "AZURE_OPENAI_API_KEY"
AZURE_TOKEN_VAR = "AZURE_OPENAI_AD_TOKEN"  # noqa: S105  # the variable's name, not a token

DOTENV_NAME = ".env"
_DOTENV_MAX_BYTES = 1 << 20  # a .env larger than 1 MiB is not a .env


@dataclass(frozen=True)
class Credential:
    """The secret the SDK will send, where it came from, and how it is sent."""

    name: str  # the variable: "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"
    value: str = field(repr=False)  # the secret itself: never print, log or put in a result
    origin: str = "environment"  # "environment" or the path of the .env file that defines it
    header: str = "Authorization: Bearer"  # how the SDK sends it ("api-key" for Azure keys)

    @property
    def shape(self) -> str:
        return key_shape(self.value)

    @property
    def source(self) -> str:
        """Where to look for it, for people: `OPENAI_API_KEY` or `OPENAI_API_KEY in /x/.env`."""
        return self.name if self.origin == "environment" else f"{self.name} in {self.origin}"


@dataclass(frozen=True)
class CredentialLookup:
    """What the SDK will use, and what else is lying around that explains a mistake."""

    client: str  # "OpenAI" or "AzureOpenAI": the client whose rules were applied
    expected: Tuple[str, ...]  # the variables that client reads, in precedence order
    credential: Optional[Credential]  # what the SDK will send; None when nothing usable is set
    empty: Tuple[str, ...] = ()  # expected variables that are exported but empty
    dotenv_path: Optional[str] = None  # ./.env when it exists
    dotenv: Optional[Credential] = None  # the first expected variable that .env defines (non-empty)
    dotenv_error: Optional[str] = None  # why .env could not be read
    others: Tuple[str, ...] = ()  # set variables the client does NOT read (e.g. OPENAI_API_KEY for Azure)
    shadowed: Tuple[str, ...] = ()  # set variables the client reads but that lose to `credential`
    admin_key_set: bool = False  # OPENAI_ADMIN_KEY is set (not a chat credential)


def sdk_credential(env: Mapping[str, str], kind: str, base_url: str = "") -> Optional[Credential]:
    """The credential the SDK sends for an endpoint of `kind` (the reusable part for api.* checks)."""
    return find_credential(env, kind, base_url=base_url).credential


def find_credential(
    env: Mapping[str, str], kind: str, *, base_url: str = "", cwd: Optional[Path] = None
) -> CredentialLookup:
    """Apply the SDK's rules for the endpoint `kind`; with `cwd`, also look at `cwd/.env`."""
    azure_client = kind == "azure" and not azure_v1_api(base_url)
    expected: Tuple[str, ...]
    if azure_client:
        client, expected = "AzureOpenAI", (AZURE_TOKEN_VAR, AZURE_KEY_VAR)
    else:
        client, expected = "OpenAI", (OPENAI_KEY_VAR,)

    credential = None
    if azure_client and AZURE_TOKEN_VAR in env:
        # openai/lib/azure.py: `os.environ.get("AZURE_OPENAI_AD_TOKEN")` is tested against None,
        # so an exported empty token still wins over the API key (and then fails at the server).
        if env[AZURE_TOKEN_VAR]:
            credential = Credential(AZURE_TOKEN_VAR, env[AZURE_TOKEN_VAR])
    else:
        for name in expected:
            if env.get(name):
                header = "api-key" if name == AZURE_KEY_VAR else "Authorization: Bearer"
                credential = Credential(name, env[name], header=header)
                break
    empty = tuple(name for name in expected if name in env and not env[name])
    shadowed = tuple(name for name in expected if env.get(name) and credential is not None and name != credential.name)
    others_pool = (OPENAI_KEY_VAR,) if azure_client else (AZURE_KEY_VAR, AZURE_TOKEN_VAR)
    others = tuple(name for name in others_pool if env.get(name))

    dotenv_path = dotenv_error = None
    dotenv = None
    if cwd is not None:
        path = Path(cwd) / DOTENV_NAME
        if path.is_file():
            dotenv_path = str(path)
            values, dotenv_error = read_dotenv(path)
            for name in expected:
                if values.get(name):
                    header = "api-key" if name == AZURE_KEY_VAR else "Authorization: Bearer"
                    dotenv = Credential(name, values[name], origin=dotenv_path, header=header)
                    break
    return CredentialLookup(
        client=client,
        expected=expected,
        credential=credential,
        empty=empty,
        dotenv_path=dotenv_path,
        dotenv=dotenv,
        dotenv_error=dotenv_error,
        others=others,
        shadowed=shadowed,
        admin_key_set=bool(env.get(OPENAI_ADMIN_VAR)),
    )


# --------------------------------------------------------------------------------------------
# .env parsing
# --------------------------------------------------------------------------------------------

_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(?P<rest>.*)$", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "'": "'"}


def read_dotenv(path: Path) -> Tuple[Dict[str, str], Optional[str]]:
    """Parse a .env file; returns (values, error). Never raises: a broken file is a finding."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_DOTENV_MAX_BYTES + 1)
    except OSError as exc:
        return {}, f"cannot read {path}: {exc.strerror or exc}"
    if len(raw) > _DOTENV_MAX_BYTES:
        return {}, f"{path} is larger than 1 MiB; not read"
    text = raw.decode("utf-8", errors="replace")
    return parse_dotenv(text), None


def parse_dotenv(text: str) -> Dict[str, str]:
    """`KEY=value` lines, as python-dotenv reads them (the subset people actually write).

    - blank lines and `# comments` are skipped, `export ` is allowed, spaces around `=` too;
    - `'single quoted'` values are literal; `"double quoted"` ones understand `\\n`, `\\"`
      and may span lines;
    - unquoted values end at ` #` (an inline comment) and are stripped;
    - a line that is not `KEY=value` is ignored. A later definition wins.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM from Windows editors
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    values: Dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        match = _LINE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        key, rest = match.group("key"), match.group("rest").lstrip()
        if rest[:1] in ("'", '"'):
            quote_char = rest[0]
            # A quoted value may continue on the following lines until its closing quote. Each
            # line is searched once (an escape never reaches past a line end), so a stray quote
            # at the top of a large file costs one pass, not one per line.
            body = [rest[1:]]
            end = _closing_quote(body[0], quote_char)
            following = index
            while end < 0 and following < len(lines):
                body.append(lines[following])
                following += 1
                end = _closing_quote(body[-1], quote_char)
            if end < 0:
                # Unterminated: keep it literally, and read the lines after it as lines of their
                # own (as python-dotenv does), so a key defined below still counts.
                values[key] = rest.strip()
                continue
            index = following
            inner = "\n".join(body[:-1] + [body[-1][:end]])
            values[key] = _unescape(inner) if quote_char == '"' else inner
        else:
            comment = re.search(r"\s#", rest)
            values[key] = (rest[: comment.start()] if comment else rest).strip()
    return values


def _closing_quote(body: str, quote_char: str) -> int:
    escaped = False
    for position, char in enumerate(body):
        if escaped:
            escaped = False
        elif char == "\\" and quote_char == '"':
            escaped = True
        elif char == quote_char:
            return position
    return -1


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), value, flags=re.DOTALL)


# --------------------------------------------------------------------------------------------
# Every secret a run could leak, for the Redactor
# --------------------------------------------------------------------------------------------

_URL_VARS = (
    "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)
_URL_PASSWORD = re.compile(r"://[^/?#@:]*:([^/?#]*)@")


def secrets_in(env: Mapping[str, str], cwd: Optional[Path] = None, extra_urls: Tuple[str, ...] = ()) -> Tuple[str, ...]:
    """Keys and tokens from the environment and `cwd/.env`, and the secrets inside URLs
    (`url_secrets`).

    The runner scrubs all of them from every result, whichever check could have echoed them.
    """
    from doctor.redact import SECRET_ENV_VARS

    found = [env.get(name, "") for name in SECRET_ENV_VARS]
    if cwd is not None:
        path = Path(cwd) / DOTENV_NAME
        if path.is_file():
            values, _ = read_dotenv(path)
            found += [values.get(name, "") for name in SECRET_ENV_VARS]
    found += url_secrets(env, extra_urls)
    return tuple(value for value in found if value)


def redactor_for(env: Mapping[str, str], cwd: Optional[Path] = None, extra_urls: Tuple[str, ...] = ()) -> Redactor:
    """The Redactor of a run: every secret `secrets_in` finds, URL passwords whatever their length."""
    from doctor.redact import Redactor

    return Redactor(secrets_in(env, cwd, extra_urls), passwords=url_secrets(env, extra_urls))


def url_secrets(env: Mapping[str, str], extra_urls: Tuple[str, ...] = ()) -> Tuple[str, ...]:
    """Passwords inside proxy and base URLs, and credential-looking query values (`?api-key=...`),
    as written and percent-decoded."""
    from doctor.redact import url_credentials

    found = []
    for url in (*(env.get(name, "") for name in _URL_VARS), *extra_urls):
        match = _URL_PASSWORD.search(url or "")
        values = ([match.group(1)] if match else []) + list(url_credentials(url or ""))
        for value in values:
            found += [value, unquote_safely(value)]
    return tuple(value for value in found if value)


def unquote_safely(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)
