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



@dataclass(frozen=True)
class ImageLimits:
    """What a gateway accepts of an input image: larger sides are downscaled to max_side;
    a smaller side or another aspect ratio (width / height) is refused, not changed."""
    max_side: int
    max_bytes: int
    min_side: int = 1
    aspect_range: tuple[float, float] | None = None


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


def chat_image_limits(gateway: str, protocol: str) -> ImageLimits:
    limit = PROTOCOL_IMAGE_BYTES[protocol]
    return ImageLimits(CHAT_IMAGE_MAX_SIDE, min(limit, GATEWAY_IMAGE_BYTES.get(gateway, limit)))


# -- image and video generation -----------------------------------------------------------

# Seedream (ByteDance) reference images: up to 10 MB, aspect 1/3..3; larger sides are shrunk.
SEEDREAM_LIMITS = ImageLimits(max_side=4096, max_bytes=10 * MB, aspect_range=(1 / 3, 3.0))
# Seedance frames: 300-6000 px a side, aspect 0.4-2.5, under 30 MB.
SEEDANCE_LIMITS = ImageLimits(max_side=6000, max_bytes=30 * MB, min_side=300,
                              aspect_range=(0.4, 2.5))
GENERIC_UPLOAD_LIMITS = ImageLimits(max_side=4096, max_bytes=10 * MB)


@dataclass(frozen=True)
class QueueModel:
    """A SeaCloud queue model: what it makes and where its input images go."""
    id: str
    kind: str                      # "image" or "video"
    image_field: str | None        # body field for input images
    image_list: bool = True        # a list of data URLs, or a single one
    max_images: int = 0
    requires_image: bool = False
    seed_field: str | None = None  # the body field that takes the seed, where there is one
    limits: ImageLimits = GENERIC_UPLOAD_LIMITS


SEACLOUD_QUEUE_MODELS: tuple[QueueModel, ...] = (
    QueueModel("nano_banana_2", "image", "image_urls", image_list=True, max_images=10,
               seed_field="seed"),
    QueueModel("seedance_2_0", "video", "image_url", image_list=False, max_images=1,
               seed_field="seed", limits=SEEDANCE_LIMITS),
    QueueModel("wan26_i2v", "video", "image_url", image_list=False, max_images=1,
               requires_image=True, seed_field="seed"),
)


def queue_model(model_id: str) -> QueueModel | None:
    return next((m for m in SEACLOUD_QUEUE_MODELS if m.id == model_id), None)


SEEDREAM3_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
SEEDREAM4_SIZES = ("1K", "2K", "3K", "4K")
SEEDREAM4_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
SEEDREAM4_MAX_IMAGES = 10
MAX_JOBS_PER_NODE = 8
