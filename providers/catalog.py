"""Every model the pack knows, and what each takes. This one table drives validation, the node
widgets and (later) the web UI. A model not listed can still be named as free text."""
from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class ChatModel:
    gateway: str
    id: str
    vision: bool  # takes images in the user turn


CHAT_MODELS: tuple[ChatModel, ...] = (
    # SeaCloud routes one catalogue of vendor models through all three protocols.
    ChatModel("seacloud", "gpt-4.1", vision=True),
    ChatModel("seacloud", "gpt-4.1-mini", vision=True),
    ChatModel("seacloud", "gpt-4o-mini", vision=True),
    ChatModel("seacloud", "claude-sonnet-4-5", vision=True),
    ChatModel("seacloud", "gemini-2.5-flash", vision=True),
    ChatModel("seacloud", "deepseek-v3.2", vision=False),
    # CloudBase (cloudbase provider): hy3-preview is text only; the others are its vision models.
    ChatModel("cloudbase", "hy3-preview", vision=False),
    ChatModel("cloudbase", "glm-5v-turbo", vision=True),
    ChatModel("cloudbase", "qwen3.5-plus", vision=True),
    ChatModel("cloudbase", "kimi-k2.5", vision=True),
    # OpenComputing
    ChatModel("opencomputing", "qwen3-max", vision=False),
)

SEACLOUD_PROTOCOLS = ("chat_completions", "anthropic_messages", "responses")

# Chat images: downscaled to this side (vision models resize to about this anyway), then
# limited in bytes per image, by protocol and by gateway where the gateway is stricter.
CHAT_IMAGE_MAX_SIDE = 2048
CHAT_MAX_IMAGES = 16
PROTOCOL_IMAGE_BYTES = {"chat_completions": 20 * MB, "anthropic_messages": 5 * MB,
                        "responses": 20 * MB}
GATEWAY_IMAGE_BYTES = {"cloudbase": 5 * MB}


def chat_model_ids(gateway: str) -> list[str]:
    return [m.id for m in CHAT_MODELS if m.gateway == gateway]


def chat_model(gateway: str, model_id: str) -> ChatModel | None:
    return next((m for m in CHAT_MODELS if m.gateway == gateway and m.id == model_id), None)


def chat_image_bytes(gateway: str, protocol: str) -> int:
    return min(PROTOCOL_IMAGE_BYTES[protocol], GATEWAY_IMAGE_BYTES.get(gateway, PROTOCOL_IMAGE_BYTES[protocol]))
