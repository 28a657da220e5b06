"""Keeping secrets out of every output.

The API key must never appear whole in the console, JSON, logs or error text, even when a
server echoes it back. `Redactor` scrubs every string in a result before any renderer sees
it; `key_shape` is how a key is shown instead: its prefix, last four and length.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any, Iterable, Mapping, Tuple

# Variables whose values are secrets wherever they appear.
SECRET_ENV_VARS: Tuple[str, ...] = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "AZURE_OPENAI_AD_TOKEN")

# Long enough that a match is the key and not an everyday word; short enough to catch a
# server that echoes a truncated key ("Incorrect API key provided: sk-proj-abc...").
_MIN_FRAGMENT = 10
_TOKENISH = re.compile(r"[A-Za-z0-9_\-.+/=]{%d,}" % _MIN_FRAGMENT)
_KNOWN_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-", "sk-")


def key_shape(key: str) -> str:
    """A recognisable but useless form of a key: `sk-proj-…abcd (164 chars)`."""
    stripped = key.strip()
    prefix = next((p for p in _KNOWN_PREFIXES if stripped.startswith(p)), "")
    tail = stripped[-4:] if len(stripped) >= 12 else ""
    return f"{prefix}…{tail} ({len(key)} chars)"


class Redactor:
    """Replaces any occurrence of a secret, or a long fragment of one, with its shape."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Whitespace and quotes around a key are a common mistake; the inner part is the secret.
        cleaned = {s.strip().strip("\"'“”‘’").strip() for s in secrets if s and s.strip()}
        self._secrets = tuple(sorted((s for s in cleaned if len(s) >= 4), key=len, reverse=True))

    @classmethod
    def from_env(cls, env: Mapping[str, str], extra: Iterable[str] = ()) -> Redactor:
        values = [env.get(name, "") for name in SECRET_ENV_VARS]
        return cls([*values, *extra])

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, value: str) -> str:
        if not self._secrets or not value:
            return value
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, key_shape(secret))
        return _TOKENISH.sub(self._scrub_fragment, value)

    def _scrub_fragment(self, match: "re.Match[str]") -> str:
        token = match.group(0)
        for secret in self._secrets:
            if len(secret) >= _MIN_FRAGMENT and (token in secret or _shares_long_run(token, secret)):
                return "[redacted]"
        return token

    def scrub(self, obj: Any) -> Any:
        """Scrub strings anywhere inside dicts, lists, tuples and frozen dataclasses."""
        if not self._secrets:
            return obj
        if isinstance(obj, enum.Enum):
            return obj  # Status is a str enum: scrubbing would turn it into a plain str
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {self.scrub(k): self.scrub(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            scrubbed = [self.scrub(item) for item in obj]
            return type(obj)(scrubbed) if isinstance(obj, tuple) and not hasattr(obj, "_fields") else scrubbed
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {f.name: self.scrub(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            return dataclasses.replace(obj, **changes)
        return obj


def _shares_long_run(token: str, secret: str, run: int = 16) -> bool:
    """True when `token` contains `run` consecutive characters of `secret` (a partial echo)."""
    if len(token) < run:
        return False
    return any(token[i : i + run] in secret for i in range(0, len(token) - run + 1))


def display_url(value: str) -> str:
    """A proxy or base URL as it may be shown: credentials replaced by `***`, controls escaped.

    Works on values that do not parse, and finds the credentials the way httpx does (up to
    the *last* `@` of the authority), so a password containing `@` is hidden whole.
    """
    start = value.find("://")
    start = start + 3 if start >= 0 else 0
    end = len(value)
    for stop in "/?#":
        found = value.find(stop, start)
        if found >= 0:
            end = min(end, found)
    at = value.rfind("@", start, end)
    if at >= 0:
        value = value[:start] + "***" + value[at:]
    if any(char.isascii() and not char.isprintable() for char in value):
        value = value.encode("unicode_escape").decode("ascii")
    return value
