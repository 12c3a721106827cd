"""Checks of user input against the catalog, before anything is sent (nor paid for).
Every message names the node, the field, and what is allowed."""
from __future__ import annotations

import json
import re

from . import catalog
from .catalog import DEFAULT
from .dialects import DIALECTS


CLOUDBASE_PROVIDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def fail(node: str, field: str, message: str):
    raise ValueError(f"{node}: {field} {message}")


def check_chat(node: str, *, gateway: str, protocol: str, model: str, prompt: str,
               temperature: float, top_p: float, max_tokens: int, image_count: int) -> None:
    if not model.strip():
        fail(node, "model", "is empty: pick one from the list or type one into custom_model.")
    if not prompt.strip():
        fail(node, "prompt", "is empty: write what the model should answer.")
    dialect = DIALECTS[protocol]
    if not 0.0 <= temperature <= dialect.temperature_max:
        fail(node, "temperature", f"must be between 0 and {dialect.temperature_max:g} for the "
                                  f"{protocol} protocol (got {temperature:g}).")
    if not 0.0 <= top_p <= 1.0:
        fail(node, "top_p", f"must be between 0 and 1 (got {top_p:g}).")
    if max_tokens < 1:
        fail(node, "max_tokens", f"must be at least 1 (got {max_tokens}).")
    if image_count:
        known = catalog.chat_model(gateway, model)
        if known is not None and not known.vision:
            vision = [m.id for m in catalog.CHAT_MODELS if m.gateway == gateway and m.vision]
            fail(node, "images", f"cannot be sent to {model}, which takes text only. Vision "
                                 f"models here: {', '.join(vision) or 'none known'}.")
        if image_count > catalog.CHAT_MAX_IMAGES:
            fail(node, "images", f"holds {image_count} images; at most "
                                 f"{catalog.CHAT_MAX_IMAGES} can go in one message.")


def check_cloudbase_provider(node: str, provider: str) -> None:
    if not CLOUDBASE_PROVIDER.fullmatch(provider.strip()):
        fail(node, "provider", f"must be a provider name such as cloudbase, hunyuan-exp or "
                               f"deepseek: letters, digits, '-', '_' or '.' (got {provider!r}).")


def check_choice(node: str, field: str, value: str, allowed) -> None:
    if value not in allowed:
        fail(node, field, f"must be one of {', '.join(map(str, allowed))} (got {value!r}).")


def check_prompt(node: str, prompt: str) -> None:
    if not prompt.strip():
        fail(node, "prompt", "is empty: describe what to generate.")


def check_count(node: str, count: int) -> None:
    if not 1 <= count <= catalog.MAX_JOBS_PER_NODE:
        fail(node, "count", f"must be from 1 to {catalog.MAX_JOBS_PER_NODE} (got {count}).")


def check_image_count(node: str, field: str, count: int, most: int, model: str) -> None:
    if count > most:
        fail(node, field, f"holds {count} images; {model} takes at most {most}.")


def parse_params_json(node: str, text: str, reserved: tuple[str, ...]) -> dict:
    text = text.strip() or "{}"
    try:
        params = json.loads(text)
    except ValueError as exc:
        fail(node, "params_json", f"is not valid JSON ({exc}). Write an object such as "
                                  f'{{"aspect_ratio": "16:9"}}.')
    if not isinstance(params, dict):
        fail(node, "params_json", f"must be a JSON object of parameter names to values (got "
                                  f"{type(params).__name__}).")
    clash = [key for key in reserved if key in params]
    if clash:
        fail(node, "params_json", f"sets {', '.join(clash)}, which this node sets from its own "
                                  f"inputs; use those inputs instead.")
    return params


def check_task_id(node: str, task_id: str) -> str:
    task_id = task_id.strip()
    if not task_id or any(c.isspace() for c in task_id) or len(task_id) > 200:
        fail(node, "task_id", f"must be the id the gateway gave the task (got {task_id!r}).")
    return task_id


def _span(values) -> str:
    values = list(values)
    if len(values) > 3 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]} to {values[-1]}"
    return ", ".join(map(str, values))


def video_settings(node: str, model, *, duration: int, resolution: str, ratio: str, size: str,
                   negative_prompt: str, off_peak: bool) -> dict:
    """The model's values for the node's inputs. "default" (duration 0) takes the page's default;
    an input the model does not take is not sent (the page hides it); a value the model does not
    allow for an input it takes is an error naming the allowed values."""

    def pick(field, value, allowed, default):
        if not allowed or value == DEFAULT:
            return default if allowed else None
        if value not in allowed:
            fail(node, field, f"must be one of {', '.join(allowed)} for {model.name} (got {value}).")
        return value

    if duration == 0:
        duration = model.duration
    elif duration not in model.durations:
        fail(node, "duration", f"must be {_span(model.durations)} seconds for {model.name} "
                               f"(got {duration}); 0 takes its default, {model.duration}.")
    return {"duration": duration,
            "resolution": pick("resolution", resolution, model.resolutions, model.resolution),
            "ratio": pick("ratio", ratio, model.ratios, model.ratio),
            "size": pick("size", size, model.sizes, model.size),
            "negative_prompt": negative_prompt.strip() if model.negative_prompt else "",
            "off_peak": bool(off_peak) and model.off_peak}


def check_references(node: str, model, *, images: int, video_seconds: list[float],
                     audio_seconds: list[float]) -> None:
    """Seedance 2.0 reference rules: images, videos of at most 15 s in all, audios likewise,
    and audio only with an image or a video."""
    check_image_count(node, "images", images, model.max_images, model.name)
    if len(video_seconds) > model.max_videos:
        fail(node, "videos", f"{len(video_seconds)} are connected; {model.name} takes at most "
                             f"{model.max_videos}.")
    if len(audio_seconds) > model.max_audios:
        fail(node, "audios", f"{len(audio_seconds)} are connected; {model.name} takes at most "
                             f"{model.max_audios}.")
    limit = model.max_reference_seconds
    if sum(video_seconds) > limit:
        fail(node, "videos", f"last {sum(video_seconds):.1f} s together; at most {limit:g} s "
                             f"are allowed. Trim them first.")
    if sum(audio_seconds) > limit:
        fail(node, "audios", f"last {sum(audio_seconds):.1f} s together; at most {limit:g} s "
                             f"are allowed. Trim them first.")
    if not images and not video_seconds:
        what = "audio alone is not allowed" if audio_seconds else "nothing is connected"
        fail(node, "images", f"or a video is needed as a reference: {what}.")
