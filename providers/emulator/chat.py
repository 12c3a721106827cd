"""Chat on the emulator: OpenAI Chat Completions (SeaCloud, CloudBase, OpenComputing flavours),
Anthropic Messages and OpenAI Responses, plain and streamed, with each gateway's refusals."""
from __future__ import annotations

import json
import re
import time

from .routing import Recorded, Reply, route

TITLES = {"seacloud": "SeaCloud", "cloudbase": "CloudBase", "opencomputing": "OpenComputing"}


def _cloudbase_fields() -> set[str]:
    from ..cloudbase import CHAT_COMPLETIONS_FIELDS
    return set(CHAT_COMPLETIONS_FIELDS)


def _text_only(gateway: str, model: str) -> bool:
    """The catalog's word: a listed model without vision refuses images."""
    from ..catalog import chat_model
    known = chat_model(gateway, model)
    return known is not None and not known.vision


_SHOTS_ASKED = re.compile(r"exactly (\d+) shots")
_CAMERA = ("wide establishing shot, slow push in", "medium shot, handheld, following",
           "close-up, shallow depth of field", "low angle, slow pan left",
           "over-the-shoulder shot, gentle dolly", "aerial view, drifting upward",
           "tracking shot alongside", "final wide shot, slow pull back")


def storyboard(gateway: str, model: str, prompt: str, system: str) -> str | None:
    """A storyboard of the shots the system prompt asks for (the pack's shots system prompt),
    as the JSON array it asks for, or None when no shots were asked."""
    asked = _SHOTS_ASKED.search(system or "")
    if not asked:
        return None
    idea = prompt.strip().rstrip(".!?。") or "a quiet morning"
    shots = [f"Shot {i + 1}: {idea}, {_CAMERA[i % len(_CAMERA)]}, the same subject and "
             f"warm film look throughout" for i in range(int(asked.group(1)))]
    return f"[sandbox {TITLES[gateway]} {model}] " + json.dumps(shots, ensure_ascii=False)


def compose(gateway: str, model: str, prompt: str, images: int, turns: int,
            system: str = "") -> str:
    """The sandbox's answer: says where it comes from and what it received, and reads as a
    usable image prompt for the rest of a graph (or a storyboard, when shots are asked)."""
    shots = storyboard(gateway, model, prompt, system)
    if shots is not None:
        return shots
    seen = f" I see {images} image{'s' if images != 1 else ''}." if images else ""
    turn = f" (turn {turns})" if turns > 1 else ""
    return (f"[sandbox {TITLES[gateway]} {model}]{turn}{seen} A cinematic, detailed scene of "
            f"{prompt.strip().rstrip('.!?。')}, soft golden light, shallow depth of field.")


BOTH_SAMPLING = ("`temperature` and `top_p` cannot both be specified for this model. Please use "
                 "only one.")


def _sampling_refused(gateway: str, body: dict) -> bool:
    """Anthropic's newer models refuse temperature and top_p together, in any protocol: the
    family comes from the pack's catalog, the one place that knows it."""
    from ..catalog import chat_family
    return (chat_family(gateway, str(body.get("model", ""))) == "anthropic"
            and "temperature" in body and "top_p" in body)


def _words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [p + (" " if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)]


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _parts(content) -> tuple[str, list]:
    """(text, image parts) of one message's content, in any of the three protocols."""
    if isinstance(content, str):
        return content, []
    texts, images = [], []
    for part in content or []:
        kind = part.get("type")
        if kind in ("text", "input_text"):
            texts.append(part.get("text", ""))
        elif kind in ("image_url", "input_image", "image"):
            images.append(part)
    return " ".join(texts), images


def _bad_image(part) -> bool:
    if part.get("type") == "image":
        source = part.get("source") or {}
        return source.get("type") != "base64" or not source.get("data")
    url = part.get("image_url")
    url = url.get("url") if isinstance(url, dict) else url
    return not (isinstance(url, str) and url.startswith("data:image/") and ";base64," in url)


# -- OpenAI Chat Completions ---------------------------------------------------------------

def _openai_refusal(gateway: str, status: int, code: str, message: str) -> Reply:
    if gateway == "cloudbase":
        return Reply(status, json={"code": code, "message": message})
    if gateway == "opencomputing":
        return Reply(status, json={"error": message})
    return Reply(status, json={"error": {"message": message, "type": "invalid_request_error",
                                         "param": None, "code": code}})


def chat_completions(gateway: str):
    def handle(emulator, request: Recorded) -> Reply:
        body = request.json
        if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
            return _openai_refusal(gateway, 400, "AI_MODEL_PARAM_REQUIRED",
                                   "Missing required parameter: model and messages")
        if gateway == "opencomputing" and not body.get("prompt"):
            return _openai_refusal(gateway, 400, "missing_parameter",
                                   "Missing required parameter: prompt")
        if _sampling_refused(gateway, body):
            return _openai_refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", BOTH_SAMPLING)
        if gateway == "cloudbase" and set(body) - _cloudbase_fields():
            unknown = ", ".join(sorted(set(body) - _cloudbase_fields()))
            return _openai_refusal(gateway, 400, "AI_MODEL_PARAM_INVALID",
                                   f"unknown parameter: {unknown}")
        users = [m for m in body["messages"] if m.get("role") == "user"]
        prompt, images = _parts(users[-1]["content"]) if users else ("", [])
        if any(_bad_image(p) for p in images):
            return _openai_refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", "invalid image_url")
        model = body["model"]
        if images and gateway == "cloudbase" and _text_only(gateway, model):
            return _openai_refusal(gateway, 400, "AI_MODEL_NOT_SUPPORTED",
                                   f"model {model} does not support image input")
        system = " ".join(_parts(m.get("content"))[0] for m in body["messages"]
                          if m.get("role") == "system")
        text = compose(gateway, model, prompt, len(images), len(users),
                       system or str(body.get("sys_prompt") or ""))
        usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(text)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        reply_id = f"chatcmpl-emu{len(emulator.requests)}"
        if body.get("stream"):
            return Reply(events=_openai_events(gateway, body, reply_id, model, text, usage),
                         event_delay=emulator.stream_delay)
        payload = {"id": reply_id, "object": "chat.completion", "created": int(time.time()),
                   "model": model, "usage": usage,
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text}}]}
        if gateway == "opencomputing":
            payload.update(content=text, reasoning_content=None, finish="1",
                           llmusageid="emu-usage-1")
        return Reply(json=payload)
    return handle


def _openai_events(gateway, body, reply_id, model, text, usage):
    extra = ({"reasoning_content": None, "finish": "0", "llmusageid": "emu-usage-1"}
             if gateway == "opencomputing" else {})
    for piece in _words(text):
        chunk = {"id": reply_id, "object": "chat.completion.chunk", "model": model,
                 "choices": [{"index": 0, "delta": {"content": piece}}]}
        if gateway == "opencomputing":
            chunk.update(extra, content=piece)
        yield None, json.dumps(chunk, ensure_ascii=False)
    yield None, json.dumps({"id": reply_id, "model": model, "choices": [
        {"index": 0, "delta": {}, "finish_reason": "stop"}], **extra})
    if gateway == "opencomputing" or (body.get("stream_options") or {}).get("include_usage"):
        final = {"id": reply_id, "model": model, "choices": [], "usage": usage}
        if gateway == "opencomputing":
            final.update(finish="1", llmusageid="emu-usage-1")
        yield None, json.dumps(final)
    yield None, "[DONE]"


# -- Anthropic Messages --------------------------------------------------------------------

def _refusal(gateway: str, status: int, code: str, message: str, kind: str) -> Reply:
    """A protocol-level refusal (Anthropic, Responses) in the gateway's own error shape."""
    if gateway == "cloudbase":
        return Reply(status, json={"code": code, "message": message})
    if kind == "anthropic":
        return Reply(status, json={"type": "error", "error": {"type": "invalid_request_error",
                                                             "message": message}})
    return Reply(status, json={"error": {"message": message, "type": "invalid_request_error",
                                         "code": None}})


def _cloudbase_unknown_field(gateway: str, body: dict) -> Reply | None:
    # CloudBase refuses parameters it does not document, whatever the protocol (the seed).
    if gateway == "cloudbase" and "seed" in body:
        return _refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", "unknown parameter: seed",
                        "anthropic")
    return None


def anthropic_messages(gateway: str = "seacloud"):
    def handle(emulator, request: Recorded) -> Reply:
        body = request.json
        if not isinstance(body, dict) or "max_tokens" not in body or not body.get("messages"):
            return _refusal(gateway, 400, "AI_MODEL_PARAM_REQUIRED", "max_tokens: Field required",
                            "anthropic")
        refused = _cloudbase_unknown_field(gateway, body)
        if refused:
            return refused
        if _sampling_refused(gateway, body):
            return _refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", BOTH_SAMPLING, "anthropic")
        users = [m for m in body["messages"] if m.get("role") == "user"]
        prompt, images = _parts(users[-1]["content"])
        if any(_bad_image(p) for p in images):
            return _refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", "image source must be base64",
                            "anthropic")
        model = body.get("model", "")
        system = body.get("system")
        system = system if isinstance(system, str) else _parts(system)[0]
        text = compose(gateway, model, prompt, len(images), len(users), system)
        usage = {"input_tokens": _tokens(prompt), "output_tokens": _tokens(text)}
        if body.get("stream"):
            return Reply(events=_anthropic_events(model, text, usage),
                         event_delay=emulator.stream_delay)
        return Reply(json={"id": "msg_emu", "type": "message", "role": "assistant",
                           "model": model, "content": [{"type": "text", "text": text}],
                           "stop_reason": "end_turn", "usage": usage})
    return handle


def _anthropic_events(model, text, usage):
    def event(name, data):
        return name, json.dumps({"type": name, **data})
    yield event("message_start", {"message": {"id": "msg_emu", "model": model, "content": [],
                                              "usage": {"input_tokens": usage["input_tokens"],
                                                        "output_tokens": 1}}})
    yield event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
    for piece in _words(text):
        yield event("content_block_delta", {"index": 0, "delta": {"type": "text_delta",
                                                                  "text": piece}})
    yield event("content_block_stop", {"index": 0})
    yield event("message_delta", {"delta": {"stop_reason": "end_turn"},
                                  "usage": {"output_tokens": usage["output_tokens"]}})
    yield event("message_stop", {})


# -- OpenAI Responses ----------------------------------------------------------------------

def responses(gateway: str = "seacloud"):
    def handle(emulator, request: Recorded) -> Reply:
        body = request.json
        if not isinstance(body, dict) or not body.get("input"):
            return _refusal(gateway, 400, "AI_MODEL_PARAM_REQUIRED",
                            "Missing required parameter: 'input'.", "responses")
        refused = _cloudbase_unknown_field(gateway, body)
        if refused:
            return refused
        if _sampling_refused(gateway, body):
            return _refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", BOTH_SAMPLING, "responses")
        items = body["input"]
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
        users = [i for i in items if i.get("role") == "user"]
        prompt, images = _parts(users[-1]["content"])
        if any(_bad_image(p) for p in images):
            return _refusal(gateway, 400, "AI_MODEL_PARAM_INVALID", "Invalid image_url",
                            "responses")
        model = body.get("model", "")
        system = str(body.get("instructions") or "") + " ".join(
            _parts(i.get("content"))[0] for i in items if i.get("role") in ("system", "developer"))
        text = compose(gateway, model, prompt, len(images), len(users), system)
        usage = {"input_tokens": _tokens(prompt), "output_tokens": _tokens(text)}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        response = {"id": "resp_emu", "object": "response", "model": model,
                    "status": "completed",
                    "output": [{"type": "message", "role": "assistant", "content": [
                        {"type": "output_text", "text": text, "annotations": []}]}],
                    "usage": usage}
        if body.get("stream"):
            return Reply(events=_responses_events(response, text),
                         event_delay=emulator.stream_delay)
        return Reply(json=response)
    return handle


def _responses_events(response, text):
    def event(name, data):
        return name, json.dumps({"type": name, **data})
    yield event("response.created", {"response": {**response, "status": "in_progress",
                                                  "output": [], "usage": None}})
    for piece in _words(text):
        yield event("response.output_text.delta", {"item_id": "msg_emu", "output_index": 0,
                                                   "content_index": 0, "delta": piece})
    yield event("response.output_text.done", {"text": text})
    yield event("response.completed", {"response": response})


def models(emulator, request: Recorded) -> Reply:
    from ..catalog import CHAT_MODELS
    return Reply(json={"object": "list", "data": [
        {"id": m.id, "object": "model", "owned_by": "sandbox"} for m in CHAT_MODELS
        if m.gateway == "seacloud"]})


ROUTES = [
    route("seacloud", "GET", r"/llm/v1/models", models),
    route("seacloud", "POST", r"/llm/v1/chat/completions", chat_completions("seacloud")),
    route("seacloud", "POST", r"/llm(/anthropic)?/v1/messages", anthropic_messages("seacloud")),
    route("seacloud", "POST", r"/llm(/openai)?/v1/responses", responses("seacloud")),
    # CloudBase: one base URL per provider, /v1/ai/PROVIDER, with each SDK's own path under it
    # (the OpenAI SDK adds /chat/completions and /responses, the Anthropic SDK /v1/messages).
    route("cloudbase", "POST", r"/v1/ai/[^/]+(/v1)?/chat/completions",
          chat_completions("cloudbase")),
    route("cloudbase", "POST", r"/v1/ai/[^/]+/v1/messages", anthropic_messages("cloudbase")),
    route("cloudbase", "POST", r"/v1/ai/[^/]+(/v1)?/responses", responses("cloudbase")),
    route("opencomputing", "POST", r"/llmage/v1/chat/completions",
          chat_completions("opencomputing")),
]
