"""config.api_key: the key the openai SDK will send, as it will read it (no network).

It follows the client's own rules (OpenAI() or AzureOpenAI(), see doctor.credentials): which
variable is read, what an empty one means, a key that is only in .env, a variable the client
ignores. A key that is found is inspected for what breaks its header (doctor.checks.key_shape),
and so are OPENAI_ORG_ID / OPENAI_PROJECT_ID, sent beside it (not to Azure). Several problems
are all listed, the most severe first (doctor.checks.findings).

The key never enters the result: only `key_shape()`, its length, prefix kind, variable name
and the positions/names of bad characters do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple

from doctor.checks.findings import Finding, combine
from doctor.checks.key_shape import ID_HEADER_VARS, inspect_id_headers, inspect_key, key_prefix_kind
from doctor.credentials import (
    AZURE_KEY_VAR,
    AZURE_TOKEN_VAR,
    OPENAI_KEY_VAR,
    Credential,
    CredentialLookup,
    find_credential,
)
from doctor.endpoint import EndpointConfig
from doctor.knowledge.wording import config_api_key as words
from doctor.model import CheckResult
from doctor.runner import Check, Context, FactProvider

ID, TITLE = "config.api_key", "API key"


@dataclass(frozen=True)
class ApiKeyFacts:
    lookup: CredentialLookup  # what the SDK's client will read, and what else is lying around
    endpoint: EndpointConfig  # its kind decides the client (OpenAI or AzureOpenAI) and the key rules
    # OPENAI_ORG_ID and OPENAI_PROJECT_ID as set, which the SDK sends beside the key (not to Azure).
    id_headers: Mapping[str, str] = field(default_factory=dict)


def gather(ctx: Context) -> ApiKeyFacts:
    endpoint = ctx.plan.endpoint
    env = ctx.settings.env
    lookup = find_credential(env, endpoint.kind, base_url=endpoint.base_url, cwd=ctx.settings.cwd)  # reads ./.env
    return ApiKeyFacts(lookup, endpoint, {name: env[name] for name in ID_HEADER_VARS if name in env})


def judge(facts: ApiKeyFacts) -> CheckResult:
    """config.api_key from what the SDK will read (pure)."""
    lookup, endpoint = facts.lookup, facts.endpoint
    credential = lookup.credential
    data: Dict[str, Any] = {"client": lookup.client, "reads": list(lookup.expected), "kind": endpoint.kind}
    details: List[str] = []
    if lookup.dotenv_error:
        details.append(words.dotenv_error(lookup.dotenv_error))

    if credential is None:
        return _judge_missing_key(lookup, endpoint, data, details)

    data.update(_key_data(credential))
    findings = inspect_key(credential.value, name=credential.name, header=credential.header, kind=endpoint.kind)
    if endpoint.kind != "azure":
        findings += inspect_id_headers(facts.id_headers)
    if lookup.dotenv is not None and lookup.dotenv.name == credential.name and lookup.dotenv.value != credential.value:
        details.append(words.dotenv_differs(lookup.dotenv_path, credential.name, lookup.dotenv.shape))
    for name in lookup.shadowed:
        details.append(words.shadowed(name, lookup.client, credential.name))
    prefix = key_prefix_kind(credential.value) if credential.name == OPENAI_KEY_VAR and endpoint.kind == "openai" else None
    return combine(ID, findings, words.key_summary(credential.source, credential.shape, prefix), details=details, data=data)


def _key_data(credential: Credential) -> Dict[str, Any]:
    return {
        "source": credential.name,
        "origin": credential.origin,
        "shape": credential.shape,
        "length": len(credential.value),
        "prefix": key_prefix_kind(credential.value),
        "header": credential.header,
    }


def _judge_missing_key(
    lookup: CredentialLookup, endpoint: EndpointConfig, data: Dict[str, Any], details: List[str]
) -> CheckResult:
    wanted = lookup.expected[-1] if lookup.client == "AzureOpenAI" else OPENAI_KEY_VAR
    data.update({"source": None, "shape": None, "length": 0, "prefix": None})

    if lookup.dotenv is not None:
        dotenv = lookup.dotenv
        data.update(_key_data(dotenv))
        problems = inspect_key(dotenv.value, name=f"{dotenv.name} in .env", header=dotenv.header, kind=endpoint.kind)
        finding = Finding("api_key_in_dotenv_only", *words.key_in_dotenv_only(
            dotenv.name, dotenv.source, dotenv.shape, dotenv.origin,
            exported_empty=dotenv.name in lookup.empty, problems=[(p.code, p.summary) for p in problems],
        ))
        return combine(ID, [finding], "", details=details, data=data)

    if lookup.client == "AzureOpenAI":
        if AZURE_TOKEN_VAR in lookup.empty:
            return combine(ID, [Finding("api_key_missing", *words.AZURE_TOKEN_EMPTY)], "", details=details, data=data)
        missing = words.azure_key_missing(key_empty=AZURE_KEY_VAR in lookup.empty, openai_key_set=OPENAI_KEY_VAR in lookup.others)
    else:
        missing = words.openai_key_missing(
            wanted, empty=wanted in lookup.empty, admin_key_set=lookup.admin_key_set, kind=endpoint.kind,
            local=endpoint.is_loopback, azure_key_set=AZURE_KEY_VAR in lookup.others,
        )
    lacks = (words.dotenv_lacks(lookup.dotenv_path, wanted),) if lookup.dotenv_path and lookup.dotenv is None else ()
    finding = Finding("api_key_missing", missing.summary, missing.details + lacks, missing.fixes)
    return combine(ID, [finding], "", details=details, data=data)


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge),)
FACTS: Dict[str, FactProvider] = {}
