"""LLM chat nodes: SeaCloud (three protocols), CloudBase and OpenComputing."""
from __future__ import annotations

import json
import time
from dataclasses import asdict

from ..providers import catalog
from . import comfy
from .costs import BUDGET_HIDDEN, billed
from .tasks import SEED_MAX, start_jobs

HISTORY = "GATEWAY_CHAT_HISTORY"
TEXT_PUSH_INTERVAL = 0.1


def _chat_inputs(gateway: str) -> dict:
    models = catalog.chat_model_ids(gateway)
    return {
        "model": (models, {"default": models[0], "tooltip":
                  "Model to ask. For one not in the list, type its id into custom_model."}),
        "prompt": ("STRING", {"multiline": True, "default": "", "tooltip":
                   "What you ask the model (the user message)."}),
        "system_prompt": ("STRING", {"multiline": True, "default": "", "tooltip":
                          "Instructions that set the model's behaviour (the system message)."}),
        "temperature": ("FLOAT", {"default": 0.7, "min": 0.0, "max": 2.0, "step": 0.05,
                                  "tooltip": "Randomness: 0 is most predictable. The Anthropic "
                                             "protocol allows at most 1."}),
        "top_p": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.05,
                            "tooltip": "Nucleus sampling: only the most likely tokens whose "
                                       "probabilities add up to top_p are considered. Claude "
                                       "models take temperature or top_p, not both: below 1, "
                                       "top_p is sent instead of temperature."}),
        "max_tokens": ("INT", {"default": 1024, "min": 1, "max": 131072, "tooltip":
                               "Longest answer, in tokens."}),
        "seed": ("INT", {"default": 0, "min": 0, "max": SEED_MAX, "control_after_generate": True,
                         "tooltip": "Sent to gateways that take one. Changing it is how you ask "
                                    "for a new answer: with the same inputs and seed ComfyUI "
                                    "reuses the last answer instead of paying again."}),
        "stream": ("BOOLEAN", {"default": True, "tooltip":
                               "Receive the answer piece by piece and show it on the node as it "
                               "arrives."}),
    }


OPTIONAL_INPUTS = {
    "custom_model": ("STRING", {"default": "", "tooltip":
                     "A model id not in the list; when set, it is used instead of model."}),
    "images": ("IMAGE", {"tooltip": "Images sent with the prompt, for vision models. Large "
                                    "images are downscaled to 2048 px on the long side."}),
    "history": (HISTORY, {"tooltip": "The conversation so far, from another chat node's history "
                                     "output, to continue it."}),
}


class _ChatNode:
    GATEWAY = ""
    NODE_NAME = ""
    RETURN_TYPES = ("STRING", "STRING", HISTORY)
    RETURN_NAMES = ("text", "usage", "history")
    OUTPUT_TOOLTIPS = ("The model's answer.",
                       "JSON: gateway, model, request id and token counts.",
                       "The conversation including this exchange, for a following chat node.")
    FUNCTION = "chat"
    CATEGORY = "model_gateway/llm"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {**cls.extra_inputs(), **_chat_inputs(cls.GATEWAY)},
                "optional": {**OPTIONAL_INPUTS, **cls.extra_optional()},
                "hidden": {"unique_id": "UNIQUE_ID", **BUDGET_HIDDEN}}

    @classmethod
    def extra_inputs(cls) -> dict:
        return {}

    @classmethod
    def extra_optional(cls) -> dict:
        """Inputs added after the first release go last: ComfyUI saves widget values by
        position, so a widget placed before others would shift every saved workflow's values."""
        return {}

    def route(self, store, **extra):
        raise NotImplementedError

    def protocol(self, **extra) -> str:
        return "chat_completions"

    @billed
    async def chat(self, model, prompt, system_prompt, temperature, top_p, max_tokens, seed, stream,
             custom_model="", images=None, history=None, unique_id=None, **extra):
        from ..providers import validation
        from ..providers.chat_create import chat_create
        from ..providers.dialects import ChatRequest, Turn
        from . import media

        validation.check_widgets(self.NODE_NAME, self.INPUT_TYPES(), {**locals(), **extra})
        history = validation.check_history(self.NODE_NAME, history)
        started = time.time()
        model = (custom_model or "").strip() or model
        protocol = self.protocol(**extra)
        image_count = media.check_batch(images, self.NODE_NAME, "images")
        validation.check_chat(self.NODE_NAME, gateway=self.GATEWAY, protocol=protocol, model=model,
                              prompt=prompt, temperature=temperature, top_p=top_p,
                              max_tokens=max_tokens, image_count=image_count)
        self.check_extra(**extra)
        omit = validation.sampling_omitted(gateway=self.GATEWAY, model=model, top_p=top_p)
        image_urls = [] if images is None else [encoded.data_url for encoded in await
                                                 media.encode_images_in_thread(
            images, catalog.chat_image_limits(self.GATEWAY, protocol),
            node=self.NODE_NAME, field="images")]
        earlier = [Turn(**turn) for turn in history or []]
        asked = Turn("user", prompt, image_urls)
        request = ChatRequest(model=model, turns=earlier + [asked], system=system_prompt,
                              temperature=temperature, top_p=top_p, max_tokens=max_tokens,
                              seed=seed, stream=stream, omit=omit)
        route = self.route(comfy.key_store(), **extra)
        pusher = _TextPusher(unique_id)
        try:
            job = (await start_jobs(chat_create(route, request, on_text=pusher), 1, unique_id))[0]
        finally:
            pusher.stop()  # an answer still streaming after Cancel goes to the journal only
        reply_text, usage = job.text, dict(job.usage)
        if job.updated_at < started:
            usage["reused"] = True  # from the journal: not paid again
        comfy.show_text(unique_id, reply_text)
        answered = Turn("assistant", reply_text)
        conversation = [asdict(turn) for turn in earlier + [asked, answered]]
        usage = json.dumps(usage, ensure_ascii=False)
        return {"ui": {"usage": [usage]}, "result": (reply_text, usage, conversation)}

    def check_extra(self, **extra) -> None:
        pass


class _TextPusher:
    """Shows streamed text on the node, at most every TEXT_PUSH_INTERVAL seconds."""

    def __init__(self, node_id):
        self.node_id = node_id
        self.last = 0.0
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    def __call__(self, text: str) -> None:
        now = time.monotonic()
        if not self.stopped and now - self.last >= TEXT_PUSH_INTERVAL:
            self.last = now
            comfy.show_text(self.node_id, text)


def _protocol_input() -> tuple:
    return (list(catalog.CHAT_PROTOCOLS), {
        "default": "chat_completions", "tooltip":
        "Wire protocol: chat_completions (OpenAI), anthropic_messages (Anthropic) or "
        "responses (OpenAI Responses). Pick the one the model's vendor speaks natively."})


class SeaCloudLLM(_ChatNode):
    GATEWAY = "seacloud"
    NODE_NAME = "SeaCloud LLM"
    DESCRIPTION = ("Chat with an LLM on SeaCloud, in the Chat Completions, Anthropic Messages or "
                   "Responses protocol. The key comes from SEACLOUD_API_KEY or the keys file, "
                   "never from the workflow.")

    @classmethod
    def extra_inputs(cls):
        return {"protocol": _protocol_input()}

    def protocol(self, protocol):
        return protocol

    def route(self, store, protocol):
        from ..providers import seacloud
        return seacloud.chat_route(store, protocol)


class CloudBaseLLM(_ChatNode):
    GATEWAY = "cloudbase"
    NODE_NAME = "CloudBase LLM"
    DESCRIPTION = ("Chat with an LLM on Tencent CloudBase, in the Chat Completions, Anthropic "
                   "Messages or Responses protocol. The key (CLOUDBASE_API_KEY) and the "
                   "environment id (CLOUDBASE_ENV_ID) come from the environment or the keys file, "
                   "never from the workflow.")

    @classmethod
    def extra_inputs(cls):
        return {"provider": ("STRING", {"default": "cloudbase", "tooltip":
                             "CloudBase model provider in the URL (cloudbase, hunyuan-exp, "
                             "deepseek, ...)."})}

    @classmethod
    def extra_optional(cls):
        # Last, and optional: workflows saved before it existed load unchanged (chat_completions).
        return {"protocol": _protocol_input()}

    def protocol(self, provider, protocol=None):
        return protocol or "chat_completions"

    def check_extra(self, provider, protocol=None):
        from ..providers import validation
        validation.check_cloudbase_provider(self.NODE_NAME, provider)

    def route(self, store, provider, protocol=None):
        from ..providers import cloudbase
        return cloudbase.chat_route(store, provider.strip(), self.protocol(provider, protocol))


class OpenComputingLLM(_ChatNode):
    GATEWAY = "opencomputing"
    NODE_NAME = "OpenComputing LLM"
    DESCRIPTION = ("Chat with an LLM on OpenComputing (元境). The key comes from "
                   "OPENCOMPUTING_API_KEY or the keys file, never from the workflow.")

    def route(self, store):
        from ..providers import opencomputing
        return opencomputing.chat_route(store)


NODES = (SeaCloudLLM, CloudBaseLLM, OpenComputingLLM)
