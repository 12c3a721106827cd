"""Reading an LLM's storyboard answer into shot prompts: a JSON array (of strings, or of objects
with a "prompt"), numbered lines ("1. ...", "2) ...", "Shot 3: ..."), or blank-line-separated
paragraphs, tried in that order."""
from __future__ import annotations

import hashlib
import json
import re

from .errors import GatewayError
from .tasks import SEED_MAX

SHOTS_SYSTEM_PROMPT = (
    "You write storyboards for short films. Given an idea, answer with exactly {count} shots. "
    "Every shot shows the same main subject, described the same way each time (look, clothes, "
    "colours), in one consistent visual style, lighting and setting, so the shots cut together "
    "as one film. Each shot is one self-contained video prompt of one to three sentences: the "
    "subject, the action, the camera (framing and movement) and the style. Answer with a JSON "
    "array of {count} strings and nothing else, for example [\"shot one\", \"shot two\"].")

_NUMBERED = re.compile(r"^\s*(?:shot\s*)?(\d+)\s*[.):\-]\s*(.+)$", re.IGNORECASE)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*?)\n```\s*$", re.DOTALL)


def _first_array(text: str) -> list | None:
    """The first JSON array in the text that parses: a "[note]" or "[sandbox …]" before it
    is skipped."""
    decoder = json.JSONDecoder()
    start, empty = text.find("["), None
    while start >= 0:
        try:
            items, _ = decoder.raw_decode(text, start)
        except ValueError:
            items = None
        if isinstance(items, list):
            if any(isinstance(item, (str, dict)) for item in items):
                return items
            empty = empty if empty is not None or items else items
        start = text.find("[", start + 1)
    return empty


def _from_json(text: str) -> list[str] | None:
    items = _first_array(text)
    if items is None:
        return None
    shots = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("prompt") or item.get("description") or item.get("shot")
        if isinstance(item, str) and item.strip():
            shots.append(item.strip())
    return shots


def _from_numbered(text: str) -> list[str]:
    shots: list[str] = []
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match:
            shots.append(match.group(2).strip())
        elif shots and line.strip():
            shots[-1] = f"{shots[-1]} {line.strip()}"
    return shots if len(shots) >= 2 else []


def _from_paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def parse_shots(answer: str, count: int, source: str = "Shots") -> list[str]:
    """The first `count` shots of an answer; a GatewayError naming what was found when fewer."""
    text = (answer or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    shots = _from_json(text)
    form = "a JSON array"
    if shots is None:
        shots, form = _from_numbered(text), "numbered lines"
        if not shots:
            shots, form = _from_paragraphs(text), "paragraphs"
    if not shots:
        raise GatewayError(source, "The LLM's answer holds no shots (it is empty); expected a "
                           "JSON array of prompts, numbered lines or blank-line-separated "
                           "paragraphs.")
    if len(shots) < count:
        preview = text if len(text) <= 200 else text[:200] + "..."
        raise GatewayError(source, f"Asked for {count} shots, the LLM's answer holds "
                           f"{len(shots)} (read as {form}): {preview!r}.")
    return shots[:count]


def shot_seed(seed: int, shot: int) -> int:
    """The seed shot `shot` of a list sends and is journalled under. Shot 0 keeps the node's
    seed (a single run and the first shot are one request, as before); the others get seeds
    drawn from (seed, shot), so identical prompts in one film are distinct jobs, and neither
    `count`'s seed + 1, + 2, … nor the next run's incremented seed meets another shot's."""
    if shot <= 0:
        return seed
    digest = hashlib.sha256(f"model-gateway shot {seed} {shot}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (SEED_MAX + 1)
