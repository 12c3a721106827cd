"""Reading an LLM's storyboard answer into shot prompts: a JSON array (of strings, or of objects
with a "prompt"), numbered lines ("1. ...", "2) ...", "Shot 3: ..."), or blank-line-separated
paragraphs, tried in that order."""
from __future__ import annotations

import json
import re

from .errors import GatewayError

SHOTS_SYSTEM_PROMPT = (
    "You write storyboards for short films. Given an idea, answer with exactly {count} shots. "
    "Every shot shows the same main subject, described the same way each time (look, clothes, "
    "colours), in one consistent visual style, lighting and setting, so the shots cut together "
    "as one film. Each shot is one self-contained video prompt of one to three sentences: the "
    "subject, the action, the camera (framing and movement) and the style. Answer with a JSON "
    "array of {count} strings and nothing else, for example [\"shot one\", \"shot two\"].")

_NUMBERED = re.compile(r"^\s*(?:shot\s*)?(\d+)\s*[.):\-]\s*(.+)$", re.IGNORECASE)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*?)\n```\s*$", re.DOTALL)


def _from_json(text: str) -> list[str] | None:
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end <= start:
        return None
    try:
        items = json.loads(text[start:end + 1])
    except ValueError:
        return None
    if not isinstance(items, list):
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


def parse_shots(answer: str, count: int) -> list[str]:
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
        raise GatewayError("Shots", "The LLM's answer holds no shots (it is empty); expected a "
                           "JSON array of prompts, numbered lines or blank-line-separated "
                           "paragraphs.")
    if len(shots) < count:
        preview = text if len(text) <= 200 else text[:200] + "..."
        raise GatewayError("Shots", f"Asked for {count} shots, the LLM's answer holds "
                           f"{len(shots)} (read as {form}): {preview!r}.")
    return shots[:count]
