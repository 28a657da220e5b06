"""The config group's shared wording: the shape of a finding's words, and the names of whitespace.

The group's text is split by check so each module stays short: config_api_key (with the key
hygiene of doctor/checks/key_shape.py), config_base_url and config_proxy, beside this module.
"""

from __future__ import annotations

from typing import NamedTuple, Tuple

from doctor.model import Fix


class Words(NamedTuple):
    """A finding's text, in `Finding`'s argument order after the code: `Finding(code, *words)`."""

    summary: str
    details: Tuple[str, ...]
    fixes: Tuple[Fix, ...]


WS_NAMES = {"\n": "newline (LF)", "\r": "carriage return (CR)", " ": "space", "\t": "tab", "\v": "vertical tab", "\f": "form feed"}
WS_PLURALS = {"\n": "newlines (LF)", "\r": "carriage returns (CR)", " ": "spaces", "\t": "tabs", "\v": "vertical tabs", "\f": "form feeds"}
