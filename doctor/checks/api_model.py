"""`api.model`: is the model the app will ask for among those the server lists?

Gathering: the `models` fact api.auth asked for (doctor.checks.models_fact; api.auth must pass
first, so it is never asked twice) and the model name (doctor.knowledge.models.model_name,
the rule the smoke test uses too). Judging: listed, or not, with the closest names; on OpenAI
an unlisted model fails, elsewhere it only warns (compatible servers and Azure deployments
answer to names they do not list) and the streamed smoke test decides.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Dict, Tuple

from doctor.checks.models_fact import ModelsFact
from doctor.knowledge.diagnoses import diagnose, ok
from doctor.knowledge.models import group_by_task, model_name
from doctor.knowledge.wording import api as words
from doctor.model import CheckResult
from doctor.runner import Check, Context, FactProvider

ID = "api.model"
TITLE = "model"


@dataclass(frozen=True)
class ModelFacts:
    models: ModelsFact
    model: str  # the model the app will ask for
    endpoint_kind: str  # "openai", "azure" or "compatible"


def gather(ctx: Context) -> ModelFacts:
    endpoint = ctx.plan.endpoint
    return ModelFacts(models=ctx.fact("models"), model=model_name(ctx.settings, endpoint), endpoint_kind=endpoint.kind)


def judge(facts: ModelFacts) -> CheckResult:
    fact, model = facts.models, facts.model
    if fact.models is None:
        return diagnose(ID, "model_list_unavailable", words.no_model_list(fact.status), data={"model": model})
    ids = [model_id for model_id, _owner in fact.models]
    tasks = group_by_task(ids)
    data: Dict[str, Any] = {"model": model, "model_count": len(ids), "tasks": tasks}
    if model in ids:
        return ok(ID, words.model_available(model, len(ids), tasks), data=data)
    close = difflib.get_close_matches(model, ids, n=3, cutoff=0.5)
    data["closest"] = close
    details = [words.server_lists(len(ids), tasks)]
    fixes = [words.use_listed_model(close[0])] if close else []
    chat = tasks.get("chat", [])
    if facts.endpoint_kind == "openai":
        if not close and chat:
            fixes.append(words.use_chat_model(chat[0]))
        return diagnose(ID, "model_not_found", words.model_not_found(model, close), details=details, fixes=fixes, data=data)
    if facts.endpoint_kind == "azure":
        reason = words.AZURE_UNLISTED
    elif len(ids) == 1:
        reason = words.single_model_server(ids[0])
    else:
        reason = words.COMPATIBLE_UNLISTED
    details.append(words.smoke_decides(reason))
    fixes.append(words.let_a_request_decide(model))
    return diagnose(ID, "model_unlisted", words.model_unlisted(model, close), details=details, fixes=fixes, data=data)


CHECKS: Tuple[Check, ...] = (Check(ID, TITLE, gather, judge, needs=("api.auth",), network=True),)
FACTS: Dict[str, FactProvider] = {}
