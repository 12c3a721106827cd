"""Checks of user input against the catalog, before anything is sent (nor paid for).
Every message names the node, the field, and what is allowed."""
from __future__ import annotations

import base64
import binascii
import json
import math
import re

from . import catalog
from .catalog import DEFAULT
from .dialects import DIALECTS


CLOUDBASE_PROVIDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def fail(node: str, field: str, message: str):
    raise ValueError(f"{node}: {field} {message}")


def shown(value) -> str:
    """A bad value as a message shows it: short, and by type where its text would not help."""
    if value is None or isinstance(value, (bool, int, float, str)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__}"


# -- widget values: type and range as the node declares them ------------------------------------

def check_widgets(node: str, spec: dict, values: dict, low: dict | None = None) -> None:
    """Every widget value in values against the type, range and choices that spec (the node's
    INPUT_TYPES()) declares. ComfyUI checks these only for values from its own widgets; API-format
    workflows and other nodes' outputs can send anything. An optional input given as None counts
    as not connected. low replaces a widget's minimum where a program may go below what the UI
    offers (a timeout of 1 s)."""
    for section in ("required", "optional"):
        for name, (kind, *options) in spec.get(section, {}).items():
            if name not in values or (values[name] is None and section == "optional"):
                continue
            value, options = values[name], options[0] if options else {}
            least = (low or {}).get(name, options.get("min"))
            if isinstance(kind, (list, tuple)):
                check_choice(node, name, value, kind)
            elif kind == "INT":
                check_int(node, name, value, least, options.get("max"))
            elif kind == "FLOAT":
                check_float(node, name, value, least, options.get("max"))
            elif kind == "BOOLEAN":
                check_bool(node, name, value)
            elif kind == "STRING":
                check_text(node, name, value)


def _range(low, high, between: tuple[str, str]) -> str:
    low, high = (f"{v:g}" if isinstance(v, float) else v for v in (low, high))
    if low is not None and high is not None:
        return f" {between[0]} {low} {between[1]} {high}"
    return f" at least {low}" if low is not None else (
        f" at most {high}" if high is not None else "")


def _outside(value, low, high) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def check_int(node: str, field: str, value, low=None, high=None) -> None:
    # bool is an int to Python, and 5.0 is not a whole number to a gateway that parses ints
    if isinstance(value, bool) or not isinstance(value, int):
        fail(node, field, f"must be a whole number{_range(low, high, ('from', 'to'))} "
                          f"(got {shown(value)}).")
    if _outside(value, low, high):
        fail(node, field, f"must be{_range(low, high, ('from', 'to'))} (got {value}).")


def check_float(node: str, field: str, value, low=None, high=None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(node, field, f"must be a number{_range(low, high, ('from', 'to'))} "
                          f"(got {shown(value)}).")
    if _outside(value, low, high):
        fail(node, field, f"must be{_range(low, high, ('between', 'and'))} (got {value:g}).")


def check_bool(node: str, field: str, value) -> None:
    if not isinstance(value, bool):
        fail(node, field, f"must be true or false (got {shown(value)}).")


def check_text(node: str, field: str, value) -> None:
    if not isinstance(value, str):
        fail(node, field, f"must be text (got {shown(value)}).")


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


def sampling_omitted(*, gateway: str, model: str, top_p: float) -> tuple[str, ...]:
    """The sampling fields to leave out of the body for this model's family (catalog.SAMPLING):
    those it does not take, and of a pair it takes only one of, the one not chosen (top_p moved
    away from 1 means the user chose nucleus sampling over temperature)."""
    rule = catalog.sampling(gateway, model)
    omitted = [name for name in catalog.SAMPLING_FIELDS if name not in rule.sent]
    if rule.either:
        field, neutral, other = rule.either
        omitted.append(other if {"top_p": top_p}.get(field, neutral) != neutral else field)
    return tuple(omitted)


def check_cloudbase_provider(node: str, provider: str) -> None:
    if not CLOUDBASE_PROVIDER.fullmatch(provider.strip()):
        fail(node, "provider", f"must be a provider name such as cloudbase, hunyuan-exp or "
                               f"deepseek: letters, digits, '-', '_' or '.' (got {provider!r}).")


def check_choice(node: str, field: str, value: str, allowed) -> None:
    if not isinstance(value, str) or value not in allowed:
        fail(node, field, f"must be one of {', '.join(map(str, allowed))} (got {shown(value)}).")


def check_prompt(node: str, prompt: str) -> None:
    if not prompt.strip():
        fail(node, "prompt", "is empty: describe what to generate.")


def check_count(node: str, count: int) -> None:
    if not 1 <= count <= catalog.MAX_JOBS_PER_NODE:
        fail(node, "count", f"must be from 1 to {catalog.MAX_JOBS_PER_NODE} (got {count}).")


def check_image_count(node: str, field: str, count: int, most: int, model: str) -> None:
    if count > most:
        fail(node, field, f"holds {count} images; {model} takes at most {most}.")


PARAMS_MAX_CHARS = 64 * 1024  # far beyond any model's parameters; images go on image inputs
PARAMS_MAX_DEPTH = 20  # deeper nesting is no model's parameters, and recursion hurts downstream


class _NotFinite(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotFinite(f"holds {name}, which is not a JSON number and no gateway can read")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(f"holds {text}, which is not a finite number")
    return value


def parse_params_json(node: str, text: str, reserved: tuple[str, ...]) -> dict:
    check_text(node, "params_json", text)
    text = text.strip() or "{}"
    if len(text) > PARAMS_MAX_CHARS:
        fail(node, "params_json", f"is {len(text)} characters long; at most {PARAMS_MAX_CHARS} "
                                  f"are allowed. Images go on the node's image inputs.")
    try:
        params = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotFinite as exc:
        fail(node, "params_json", f"{exc}: write a number such as 0.5.")
    except RecursionError:
        fail(node, "params_json", f"nests too deep; at most {PARAMS_MAX_DEPTH} levels are allowed.")
    except ValueError as exc:
        fail(node, "params_json", f"is not valid JSON ({exc}). Write an object such as "
                                  f'{{"aspect_ratio": "16:9"}}.')
    if not isinstance(params, dict):
        fail(node, "params_json", f"must be a JSON object of parameter names to values (got "
                                  f"{'null' if params is None else type(params).__name__}).")
    if _depth(params) > PARAMS_MAX_DEPTH:
        fail(node, "params_json", f"nests too deep; at most {PARAMS_MAX_DEPTH} levels are allowed.")
    clash = [key for key in reserved if key in params]
    if clash:
        fail(node, "params_json", f"sets {', '.join(clash)}, which this node sets from its own "
                                  f"inputs; use those inputs instead.")
    return params


def _depth(value) -> int:
    """How deep lists and objects nest in a parsed JSON value (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack += [(child, depth + 1) for child in
                      (item.values() if isinstance(item, dict) else item)]
    return deepest


def check_not_in_params(node: str, params: dict, key: str, source: str) -> None:
    if key in params:
        fail(node, "params_json", f"sets {key}, which this node fills from {source}; remove it "
                                  f"from params_json or disconnect {source}.")


# -- ids that go into URLs -------------------------------------------------------------------

# SeaCloud model ids are path segments (/v1/queue/{model_id}); the documented ones are
# snake_case (nano_banana_2). No '/', so no id can name another path.
QUEUE_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
TASK_IDS = {
    # request_id, a path segment of the status/response/cancel URLs
    "seacloud": (re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"),
                 "its request_id: letters, digits, '-', '_' or '.', up to 128"),
    # documented as 24 characters (6876a7a68cc456ab830ab9df)
    "gptunnel": (re.compile(r"[A-Za-z0-9]{1,64}"),
                 "its 24-character id, such as 6876a7a68cc456ab830ab9df: letters and digits"),
    # documented as a number (936759404378734592)
    "opencomputing": (re.compile(r"[A-Za-z0-9_-]{1,64}"),
                      "its taskid, such as 936759404378734592: letters, digits, '-' or '_'"),
}


def check_model_id(node: str, field: str, model_id: str) -> None:
    """A SeaCloud queue model id; empty is allowed (the node falls back to its list)."""
    check_text(node, field, model_id)
    if model_id.strip() and not QUEUE_MODEL_ID.fullmatch(model_id.strip()):
        fail(node, field, f"must be a SeaCloud model id such as nano_banana_2: letters, digits, "
                          f"'-', '_' or '.', up to 128, starting with a letter or digit "
                          f"(got {shown(model_id)}).")


def check_task_id(node: str, task_id: str, gateway: str) -> str:
    check_text(node, "task_id", task_id)
    pattern, shape = TASK_IDS[gateway]
    task_id = task_id.strip()
    if not pattern.fullmatch(task_id):
        fail(node, "task_id", f"must be the id {gateway} gave the task, {shape} "
                              f"(got {shown(task_id)}).")
    return task_id


# -- chat history ----------------------------------------------------------------------------

HISTORY_ROLES = ("user", "assistant")
HISTORY_KEYS = ("role", "text", "images")
DATA_URL = re.compile(r"data:image/[A-Za-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]*)")


def check_history(node: str, history) -> list[dict]:
    """A chat node's history input as turns {"role", "text", "images"}: a list from another chat
    node's history output. Anything else is refused, naming the turn and what is wrong."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        fail(node, "history", f"must be a list of turns from a chat node's history output "
                              f"(got {shown(history)}).")
    return [_check_turn(node, number, turn) for number, turn in enumerate(history, 1)]


def _check_turn(node: str, number: int, turn) -> dict:
    where = f"turn {number}"
    if not isinstance(turn, dict):
        fail(node, "history", f"{where} must be a dict with role and text (got {shown(turn)}).")
    unknown = [str(key) for key in turn if key not in HISTORY_KEYS]
    if unknown:
        fail(node, "history", f"{where} has unknown keys {', '.join(unknown)}; a turn has "
                              f"{', '.join(HISTORY_KEYS)}.")
    if turn.get("role") not in HISTORY_ROLES:
        fail(node, "history", f"{where} role must be user or assistant "
                              f"(got {shown(turn.get('role'))}).")
    if not isinstance(turn.get("text"), str):
        fail(node, "history", f"{where} text must be text (got {shown(turn.get('text'))}).")
    images = turn.get("images", [])
    if not isinstance(images, (list, tuple)):
        fail(node, "history", f"{where} images must be a list of image data URLs "
                              f"(got {shown(images)}).")
    for index, url in enumerate(images, 1):
        if not _is_image_data_url(url):
            fail(node, "history", f"{where} image {index} must be a data:image/...;base64 URL "
                                  f"(got {shown(url)[:40]}).")
    return {"role": turn["role"], "text": turn["text"], "images": list(images)}


def _is_image_data_url(url) -> bool:
    match = DATA_URL.fullmatch(url) if isinstance(url, str) else None
    if match is None:
        return False
    try:
        base64.b64decode(match.group(1), validate=False)
    except (binascii.Error, ValueError):
        return False
    return True


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

    if model.generic:  # not in the catalog: what is set goes as it is, the gateway decides
        return {"duration": duration or None,
                "resolution": None if resolution == DEFAULT else resolution,
                "ratio": None if ratio == DEFAULT else ratio,
                "size": None if size == DEFAULT else size,
                "negative_prompt": negative_prompt.strip(), "off_peak": bool(off_peak)}

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
