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
    family: str | None = None  # sampling family (SAMPLING); None: told by the id's prefix


@dataclass(frozen=True)
class Sampling:
    """Which sampling fields a model family takes; the node's others are not sent. `either`
    (field, neutral, other): the family takes `field` or `other`, not both, so `field` is sent
    only when set away from its neutral value, and then `other` is left out; otherwise `field`
    is left out. The node's default settings thus succeed with every family."""
    family: str
    sent: tuple[str, ...]
    either: tuple[str, float, str] | None = None
    why: str = ""


SAMPLING_FIELDS = ("temperature", "top_p", "seed")
SAMPLING = {s.family: s for s in (
    Sampling("generic", SAMPLING_FIELDS),
    # Anthropic: "temperature and top_p cannot both be specified" for Claude Sonnet 4.5, Opus
    # 4.1, Haiku 4.5 and later, whatever protocol the gateway is spoken to in; and no seed.
    Sampling("anthropic", ("temperature", "top_p"), either=("top_p", 1.0, "temperature"),
             why="Anthropic's newer models take temperature or top_p, not both"),
)}
# A model the catalog does not list (a custom id, one from a live list) by its id's start.
FAMILY_PREFIXES = (("claude-", "anthropic"), ("anthropic/", "anthropic"))


CHAT_MODELS: tuple[ChatModel, ...] = (
    # SeaCloud routes one catalogue of vendor models through all three protocols.
    ChatModel("seacloud", "gpt-4.1", vision=True),
    ChatModel("seacloud", "gpt-4.1-mini", vision=True),
    ChatModel("seacloud", "gpt-4o-mini", vision=True),
    ChatModel("seacloud", "claude-sonnet-4-5", vision=True, family="anthropic"),
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

# The three chat protocols (dialects.DIALECTS); SeaCloud and CloudBase speak all three.
CHAT_PROTOCOLS = ("chat_completions", "anthropic_messages", "responses")
SEACLOUD_PROTOCOLS = CHAT_PROTOCOLS  # the older name



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


def chat_family(gateway: str, model_id: str) -> str:
    known = chat_model(gateway, model_id)
    if known is not None and known.family:
        return known.family
    lowered = model_id.strip().lower()
    return next((family for prefix, family in FAMILY_PREFIXES if lowered.startswith(prefix)),
                "generic")


def sampling(gateway: str, model_id: str) -> Sampling:
    return SAMPLING[chat_family(gateway, model_id)]


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
    # multimodal/submit's own example sends wan26_i2v its first frame as img_url
    QueueModel("wan26_i2v", "video", "img_url", image_list=False, max_images=1,
               requires_image=True, seed_field="seed"),
)


def queue_model(model_id: str) -> QueueModel | None:
    return next((m for m in SEACLOUD_QUEUE_MODELS if m.id == model_id), None)


SEEDREAM3_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
SEEDREAM4_SIZES = ("1K", "2K", "3K", "4K")
SEEDREAM4_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
SEEDREAM4_MAX_IMAGES = 10
MAX_JOBS_PER_NODE = 8


@dataclass(frozen=True)
class MediaModel:
    """A model of GPTunnel's asynchronous create endpoint (POST /v1/media/create, polled at
    /v1/media/result), as its docs.gptunnel.ru creative-lab page lists its fields: `ar` (one of
    `ratios`) and `images` (reference URLs; for video the first frame)."""
    id: str
    kind: str                       # "image" or "video"
    ratios: tuple[str, ...]
    max_images: int                 # 0: the page lists no images field
    ratio_with_images: bool = True  # False: the gateway ignores ar when images are given
    estimate: float = 60.0          # typical seconds to make, for the progress line
    confirmed: bool = True          # False: the page's field values were not all readable


GPTUNNEL_MEDIA_MODELS: tuple[MediaModel, ...] = (
    MediaModel("seedream-3", "image", SEEDREAM3_RATIOS, 1, ratio_with_images=False,
               estimate=30.0),
    MediaModel("gpt-image-1-high", "image", SEEDREAM3_RATIOS, SEEDREAM4_MAX_IMAGES,
               estimate=90.0),
    MediaModel("gpt-image-1-low", "image", SEEDREAM3_RATIOS, SEEDREAM4_MAX_IMAGES,
               estimate=45.0),
    MediaModel("google-imagen-3", "image", SEEDREAM4_RATIOS, 0, estimate=30.0),
    MediaModel("seedance-1-lite-480P-5s", "video", ("1:1", "16:9", "9:16"), 1,
               estimate=90.0),
    # The pro and Veo pages' ar values lie past what could be read: the lite page's are offered.
    MediaModel("seedance-1-pro-1080P-5s", "video", ("1:1", "16:9", "9:16"), 1,
               estimate=150.0, confirmed=False),
    MediaModel("glabs-veo-3-1-fast", "video", ("16:9", "9:16"), 1, estimate=120.0,
               confirmed=False),
    MediaModel("glabs-veo-3", "video", ("16:9", "9:16"), 1, estimate=240.0, confirmed=False),
)


def media_model(model_id: str) -> MediaModel | None:
    return next((m for m in GPTUNNEL_MEDIA_MODELS if m.id == model_id), None)


# -- OpenComputing video: one row per (operation, model), with the page's llmid and fields ----

DEFAULT = "default"  # the combo value that takes the model's own default

SEEDANCE2_RATIOS = ("adaptive", "16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
SEEDANCE15_RATIOS = ("adaptive", "keep_ratio", "16:9", "4:3", "1:1", "3:4", "9:16", "9:21", "21:9")
SEEDANCE2_REF_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "9:21", "21:9")
VIDU_RATIOS = ("16:9", "9:16", "4:3", "3:4", "1:1")
WAN_SIZES = ("832*480", "480*832", "624*624", "1280*720", "720*1280", "960*960", "1088*832",
             "832*1088", "1920*1080", "1080*1920", "1440*1440", "1632*1248", "1248*1632")


@dataclass(frozen=True)
class VideoModel:
    name: str                          # what the node's model combo shows
    operation: str                     # "t2v", "i2v" or "r2v"
    llmid: str                         # OpenComputing's id for this model and operation
    model: str | None                  # the "model" field, where the page has one
    durations: tuple[int, ...]
    duration: int                      # the page's default
    resolutions: tuple[str, ...] = ()
    resolution: str | None = None
    ratios: tuple[str, ...] = ()
    ratio: str | None = None
    ratio_fields: tuple[str, ...] = ("ratio",)
    sizes: tuple[str, ...] = ()
    size: str | None = None
    negative_prompt: bool = False
    off_peak: bool = False
    frame_fields: tuple[str, str] = ("image_file1", "image_file2")
    frame_limits: ImageLimits = GENERIC_UPLOAD_LIMITS
    max_images: int = 0                # reference images (r2v)
    max_videos: int = 0
    max_audios: int = 0
    max_reference_seconds: float = 15.0
    estimate: float = 180.0            # typical seconds to make, for the progress line
    audio: bool = False                # the video comes with a soundtrack
    listed: str | None = None          # its name in OpenComputing's tables and model list
    # A model from OpenComputing's live list the catalog does not know: what the user sets is
    # sent as it is and the gateway has the word ("default" and duration 0 send nothing).
    generic: bool = False

    @property
    def parameters(self) -> tuple[str, ...]:
        """The node inputs this model takes (the others are not sent)."""
        if self.generic:
            return VIDEO_PARAMETERS
        flags = {"duration": True, "resolution": bool(self.resolutions),
                 "ratio": bool(self.ratios), "size": bool(self.sizes),
                 "negative_prompt": self.negative_prompt, "off_peak": self.off_peak}
        return tuple(name for name, taken in flags.items() if taken)

    @property
    def listed_name(self) -> str:
        return self.model or self.listed or self.name


# The video nodes' operations and the catalog id OpenComputing lists (and prices) their models
# under.
OPERATION_CATALOGS = {"t2v": "t2v", "i2v": "i2v", "r2v": "ref2v"}


def price_key(catelogid: str, model: str) -> str:
    """What OpenComputing's published price of a model is kept under (published_prices.py):
    one model name can be listed, and priced, under several catalog ids."""
    return f"{catelogid}/{model}"

VIDEO_PARAMETERS = ("duration", "resolution", "ratio", "size", "negative_prompt", "off_peak")


def _seedance2(name, operation, llmid, model, fast=False):
    reference = operation == "r2v"
    return VideoModel(
        name, operation, llmid, model, durations=tuple(range(4, 16)),
        duration=12 if reference else 5,
        resolutions=("480p", "720p") if fast else ("480p", "720p", "1080p"),
        resolution="720p" if fast or not reference else "1080p",
        ratios=SEEDANCE2_REF_RATIOS if reference else SEEDANCE2_RATIOS,
        ratio=None if reference else "adaptive",
        frame_fields=("image1_file", "image2_file"), frame_limits=SEEDANCE_LIMITS,
        max_images=9 if reference else 0, max_videos=3 if reference else 0,
        max_audios=3 if reference else 0, estimate=120.0 if fast else 180.0, audio=True)


def _seedance2_pair(operation, doubao_llmid, wetoken_llmid):
    return (
        _seedance2("Seedance 2.0 (Doubao)", operation, doubao_llmid, "doubao-seedance-2-0-260128"),
        _seedance2("Seedance 2.0 fast (Doubao)", operation, doubao_llmid,
                   "doubao-seedance-2-0-fast-260128", fast=True),
        _seedance2("Seedance 2.0 (WeToken)", operation, wetoken_llmid, "dreamina-seedance-2-0-260128"),
        _seedance2("Seedance 2.0 fast (WeToken)", operation, wetoken_llmid,
                   "dreamina-seedance-2-0-fast-260128", fast=True),
    )


def _seedance15(operation, llmid):
    # The page's field table spells the ratio "radio" while its example sends "ratio": both go.
    return VideoModel("Seedance 1.5 pro", operation, llmid, None, durations=tuple(range(4, 13)),
                      duration=12, resolutions=("480p", "720p", "1080p"), resolution="1080p",
                      ratios=SEEDANCE15_RATIOS, ratio=None, ratio_fields=("radio", "ratio"),
                      frame_limits=SEEDANCE_LIMITS, listed="doubao-seedance-1-5-pro-251215")


def _wan(name, operation, llmid, listed):
    return VideoModel(name, operation, llmid, None, durations=(5, 10, 15), duration=15,
                      sizes=WAN_SIZES, size="1920*1080", negative_prompt=True, estimate=240.0,
                      listed=listed)


def _vidu(name, operation, llmid, model):
    return VideoModel(name, operation, llmid, model, durations=tuple(range(1, 17)), duration=10,
                      resolutions=("540p", "720p", "1080p"), resolution="1080p",
                      ratios=VIDU_RATIOS, ratio="16:9", off_peak=True, estimate=240.0,
                      listed="viduq3-pro")


VIDEO_MODELS: tuple[VideoModel, ...] = (
    *_seedance2_pair("t2v", "YjjGgxO_Xma8PWsMjJvps", "TWay-xd0p0pkEX-_Kuhto"),
    _seedance15("t2v", "CrEMkFQfRCmbmopZsCqLj"),
    _wan("Wan 2.6 t2v", "t2v", "u9HZyfDoqU6uKI6M1BTks", "wan2.6-t2v"),
    _vidu("Vidu q3 pro", "t2v", "r0ill7L0s6PtBS8mkmg-7", None),
    *_seedance2_pair("i2v", "UeYax4591ytnPcr9eumry", "tb0VSY6WeyGbzaolU1_qE"),
    _seedance15("i2v", "7RTOJD6K8A7RXCMG4GnQ9"),
    _vidu("Vidu q3 pro", "i2v", "FK_h7FLYnosv2TkMN4ATC", "viduq3-pro"),
    _vidu("Vidu q2 turbo", "i2v", "FK_h7FLYnosv2TkMN4ATC", "viduq2-turbo"),
    _wan("Wan 2.6 r2v", "i2v", "x4HksKp9mXR1Yv60mw6Py", "wan2.6-r2v"),
    *_seedance2_pair("r2v", "dmPXF65TD1riKj9KaxLmg", "nVbH7lEO51soqTbLGIHE_"),
)


def video_models(operation: str) -> list[VideoModel]:
    return [m for m in VIDEO_MODELS if m.operation == operation]


def video_model(operation: str, name: str) -> VideoModel | None:
    return next((m for m in video_models(operation) if m.name == name), None)


def video_model_listed(operation: str, llmid: str | None, name: str) -> VideoModel | None:
    """The catalog row of a model as OpenComputing's list names it (its llmid, its model
    name), so that a listed model the catalog knows keeps the catalog's rules."""
    rows = [m for m in video_models(operation) if m.llmid == llmid or llmid is None]
    return next((m for m in rows if name in (m.model, m.listed)), None) or (
        rows[0] if llmid is not None and len(rows) == 1 and rows[0].model is None else None)


def generic_video_model(operation: str, name: str, llmid: str) -> VideoModel:
    """A listed model the catalog does not know: generic rules (its first/last frame fields
    are the page's usual ones, its reference limits Seedance 2.0's, the only r2v family)."""
    reference = operation == "r2v"
    return VideoModel(name, operation, llmid, name, durations=(), duration=0, negative_prompt=True,
                      max_images=9 if reference else 0, max_videos=3 if reference else 0,
                      max_audios=3 if reference else 0, generic=True)


def video_durations() -> tuple[int, int]:
    """The shortest and the longest duration any catalog video model takes."""
    durations = [d for m in VIDEO_MODELS for d in m.durations]
    return min(durations), max(durations)


def reference_limits() -> tuple[int, int, int]:
    """The most reference images, videos and audios any reference model takes."""
    rows = video_models("r2v")
    return (max(m.max_images for m in rows), max(m.max_videos for m in rows),
            max(m.max_audios for m in rows))


def as_json() -> dict:
    """The catalog as the web extension reads it (GET /model_gateway/catalog). It names no node
    class: the route adds which node makes which operation ("video_nodes"), since providers/
    does not know nodes/."""
    from dataclasses import asdict

    from .dialects import DIALECTS

    video = {}
    for model in VIDEO_MODELS:
        row = asdict(model)
        row.pop("frame_limits")
        row["parameters"] = list(model.parameters)
        video.setdefault(model.operation, []).append(row)
    gateways = ("seacloud", "cloudbase", "opencomputing")
    return {
        "chat": {gateway: [{"id": m.id, "vision": m.vision,
                            "family": chat_family(gateway, m.id)} for m in CHAT_MODELS
                           if m.gateway == gateway] for gateway in gateways},
        "chat_protocols": {"seacloud": list(CHAT_PROTOCOLS), "cloudbase": list(CHAT_PROTOCOLS),
                           "opencomputing": ["chat_completions"]},
        "protocols": {name: {"temperature_max": d.temperature_max} for name, d in DIALECTS.items()},
        "sampling": {name: {"sent": list(rule.sent),
                            "either": list(rule.either) if rule.either else None}
                     for name, rule in SAMPLING.items()},
        "queue": [{"id": m.id, "kind": m.kind, "image_field": m.image_field,
                   "max_images": m.max_images, "requires_image": m.requires_image}
                  for m in SEACLOUD_QUEUE_MODELS],
        "video": video,
        "video_parameters": list(VIDEO_PARAMETERS),
        "gptunnel_media": [{"id": m.id, "kind": m.kind, "ratios": list(m.ratios),
                            "max_images": m.max_images,
                            "ratio_with_images": m.ratio_with_images}
                           for m in GPTUNNEL_MEDIA_MODELS],
        "seedream": {"seedream3_ratios": list(SEEDREAM3_RATIOS),
                     "seedream4_sizes": list(SEEDREAM4_SIZES),
                     "seedream4_ratios": list(SEEDREAM4_RATIOS)},
    }
