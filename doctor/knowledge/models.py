"""Models by name: which one the app will ask for (`model_name`, the one rule api.model and the
smoke test share), and what a model is for (data for `api.model -v`).

OpenAI's `/v1/models` says nothing about a model's task, so names decide. The first pattern
that matches wins; order matters ("gpt-4o-mini-tts" is audio, not chat). Names of local
models (llama, qwen, ...) count as chat: that is what those servers serve.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, Iterable, List, Pattern, Tuple

from doctor.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from doctor.endpoint import EndpointConfig
    from doctor.settings import Settings

def model_name(settings: Settings, endpoint: EndpointConfig) -> str:
    """The model the app will ask for: `--model`, else (Azure) the configured deployment, else the default."""
    if settings.model:
        return settings.model
    if endpoint.kind == "azure" and endpoint.deployment:
        return endpoint.deployment
    return DEFAULT_MODEL


TASKS: Tuple[str, ...] = ("chat", "legacy completions", "images", "embeddings", "audio", "moderation", "other")

TASK_PATTERNS: Tuple[Tuple[str, Pattern[str]], ...] = (
    ("legacy completions", re.compile(r"(^|/)(gpt-3\.5-turbo-instruct|davinci-002|babbage-002|text-(davinci|curie|babbage|ada)-)")),
    ("embeddings", re.compile(r"embed")),
    ("images", re.compile(r"(^|/)(dall-e|gpt-image|sora)")),
    ("audio", re.compile(r"(^|/)(whisper|tts-)|-tts\b|transcribe|-audio|-realtime|realtime-|-speech")),
    ("moderation", re.compile(r"moderation")),
    ("chat", re.compile(
        r"(^|/)(gpt-|o\d|chatgpt|codex|llama|mistral|mixtral|qwen|gemma|phi|deepseek|claude|gemini|"
        r"command|granite|yi-|vicuna|zephyr|openchat|nous|hermes|smollm|olmo|falcon)", re.IGNORECASE)),
)


def task_of(model_id: str) -> str:
    name = model_id.lower()
    for task, pattern in TASK_PATTERNS:
        if pattern.search(name):
            return task
    return "other"


def group_by_task(model_ids: Iterable[str]) -> Dict[str, List[str]]:
    """Task -> sorted model ids, tasks in `TASKS` order, empty tasks left out."""
    groups: Dict[str, List[str]] = {task: [] for task in TASKS}
    for model_id in model_ids:
        groups[task_of(model_id)].append(model_id)
    return {task: sorted(ids) for task, ids in groups.items() if ids}
