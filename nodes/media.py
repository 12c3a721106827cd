"""IMAGE tensors ([B,H,W,C] float 0..1) to the bytes and data URLs gateways accept, and result
files back to IMAGE tensors."""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..providers.catalog import ImageLimits

log = logging.getLogger("model_gateway.media")


@dataclass(frozen=True)
class Encoded:
    data: bytes
    mime: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    @property
    def extension(self) -> str:
        return ".png" if self.mime == "image/png" else ".jpg"


IMAGE_CHANNELS = (1, 3, 4)  # grey, RGB, RGBA


def check_batch(images, node: str, field: str, *, required: bool = False) -> int:
    """How many images an IMAGE input holds (0 when it is not connected), or a ValueError saying
    what is wrong with it. float16/bfloat16/float64 are fine (encoded as float32 would be);
    integer pixels are refused, since 0-255 and 0-1 cannot be told apart; so is a 3-D tensor,
    which could as well be a MASK batch [B,H,W] as one image [H,W,C]."""
    if images is None:
        if required:
            raise ValueError(f"{node}: {field} is required: connect an IMAGE (e.g. Load Image).")
        return 0
    import torch

    if not isinstance(images, torch.Tensor):
        raise ValueError(f"{node}: {field} must be an IMAGE batch [B,H,W,C] from an image node "
                         f"(got a {type(images).__name__}).")
    if images.ndim != 4:
        raise ValueError(f"{node}: {field} must be an IMAGE batch [B,H,W,C] (got shape "
                         f"{tuple(images.shape)}). A single image [H,W,C] needs its batch "
                         f"dimension: image.unsqueeze(0).")
    batch, height, width, channels = images.shape
    if batch == 0:
        raise ValueError(f"{node}: {field} holds no images (an empty batch).")
    if height == 0 or width == 0:
        raise ValueError(f"{node}: {field} holds images of {width}x{height} pixels: empty.")
    if channels not in IMAGE_CHANNELS:
        raise ValueError(f"{node}: {field} has {channels} channels; an IMAGE has 3 (RGB), 4 (RGBA) "
                         f"or 1 (grey). Connect an image, not a latent or another tensor.")
    if not images.dtype.is_floating_point:
        raise ValueError(f"{node}: {field} holds {str(images.dtype).replace('torch.', '')} "
                         f"pixels; an IMAGE holds floats from 0 to 1 (e.g. pixels.float() / 255).")
    for index in range(batch):  # one image at a time: the check's own memory stays small
        if not bool(torch.isfinite(images[index]).all()):
            where = f" (image {index + 1})" if batch > 1 else ""
            raise ValueError(f"{node}: {field} has NaN or infinite pixels{where}; they would be "
                             f"sent as black. Fix the node that made it.")
    return int(batch)


AUDIO_RATES = (1000, 384000)  # Hz; wave's header cannot take 0, nor more than 32 bits
AUDIO_MAX_CHANNELS = 8


def check_audio_inputs(node: str, inputs: dict) -> None:
    """Each connected audio_* input of inputs is a usable AUDIO (see check_audio)."""
    for name in sorted(inputs):
        if name.startswith("audio_") and inputs[name] is not None:
            check_audio(inputs[name], node, name)


def check_audio(audio, node: str, field: str) -> None:
    """A ComfyUI AUDIO {"waveform": float tensor [1, C, T], "sample_rate": int} that can become
    a WAV file, or a ValueError saying what is wrong with it."""
    import numbers

    import torch

    if not isinstance(audio, dict) or not {"waveform", "sample_rate"} <= audio.keys():
        raise ValueError(f"{node}: {field} must be an AUDIO (from Load Audio or an audio node): "
                         f"waveform and sample_rate.")
    rate, waveform = audio["sample_rate"], audio["waveform"]
    low, high = AUDIO_RATES
    # A float rate (even 44100.0) means the node that built it is wrong: refused, not rounded.
    if isinstance(rate, bool) or not isinstance(rate, numbers.Integral) or not low <= rate <= high:
        raise ValueError(f"{node}: {field} sample_rate must be a whole number of Hz from {low} to "
                         f"{high} (got {rate!r:.40}).")
    if not isinstance(waveform, torch.Tensor) or waveform.ndim != 3:
        shape = tuple(waveform.shape) if isinstance(waveform, torch.Tensor) else (
            f"a {type(waveform).__name__}")
        raise ValueError(f"{node}: {field} waveform must be a tensor [batch, channels, samples] "
                         f"(got {shape}).")
    batch, channels, samples = waveform.shape
    if batch != 1:
        raise ValueError(f"{node}: {field} holds {batch} clips; connect one clip per audio input.")
    if not 1 <= channels <= AUDIO_MAX_CHANNELS:
        raise ValueError(f"{node}: {field} has {channels} channels; 1 to {AUDIO_MAX_CHANNELS} "
                         f"are allowed.")
    if samples == 0:
        raise ValueError(f"{node}: {field} is empty (no samples).")
    if not waveform.dtype.is_floating_point:
        kind = str(waveform.dtype).replace("torch.", "")
        raise ValueError(f"{node}: {field} waveform holds {kind} samples; an AUDIO holds floats "
                         f"from -1 to 1.")
    if not bool(torch.isfinite(waveform).all()):
        raise ValueError(f"{node}: {field} has NaN or infinite samples. Fix the node that made it.")


async def encode_images_in_thread(images, limits: ImageLimits, *, node: str,
                                  field: str) -> list[Encoded]:
    """encode_images in a thread of its own: encoding a large batch would hold the event loop
    (and every other branch's wait) for hundreds of milliseconds."""
    from ..providers import waiting
    return await waiting.in_thread(lambda: encode_images(images, limits, node=node, field=field))


def encode_images(images, limits: ImageLimits, *, node: str, field: str) -> list[Encoded]:
    """Each image of the batch as PNG (JPEG only where the byte limit needs it), downscaled to
    the gateway's largest side; refused where fixing it would change the picture (aspect ratio,
    too small) or nothing fits."""
    check_batch(images, node, field)
    encoded = []
    for index in range(images.shape[0]):
        where = f"{field} image {index + 1}" if images.shape[0] > 1 else field
        image = _pil(images[index])
        _check_shape(image, limits, node, where)
        result = _encode(_fit(image, limits.max_side), limits.max_bytes)
        if result is None:
            raise ValueError(f"{node}: {where} is over the gateway's limit of "
                             f"{limits.max_bytes // 1024} KiB even as a JPEG at "
                             f"{limits.max_side} px; use a smaller or simpler image.")
        encoded.append(result)
    return encoded


def _check_shape(image, limits: ImageLimits, node: str, where: str) -> None:
    width, height = image.size
    if min(width, height) < limits.min_side:
        raise ValueError(f"{node}: {where} is {width}x{height}; this gateway needs at least "
                         f"{limits.min_side} px on each side. Upscale it first.")
    if limits.aspect_range:
        low, high = limits.aspect_range
        if not low <= width / height <= high:
            raise ValueError(f"{node}: {where} is {width}x{height} (aspect {width / height:.2f}); "
                             f"this gateway takes aspect ratios from {low:.2f} to {high:.2f}. "
                             f"Crop it first.")


def _pil(frame):
    import numpy as np
    from PIL import Image

    array = (frame.detach().cpu().float().clamp(0, 1).numpy() * 255.0 + 0.5).astype(np.uint8)
    channels = array.shape[-1]
    if channels == 1:
        return Image.fromarray(array[..., 0], "L")
    # Alpha is kept where PNG carries it; a JPEG fallback flattens it onto white (see _encode).
    return Image.fromarray(array, "RGBA" if channels == 4 else "RGB")


def _fit(image, max_side: int):
    longest = max(image.size)
    if longest <= max_side:
        return image
    from PIL import Image

    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.LANCZOS)


def _encode(image, max_bytes: int) -> Encoded | None:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    if buffer.tell() <= max_bytes:
        return Encoded(buffer.getvalue(), "image/png")
    from PIL import Image

    if image.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    for quality in (92, 85, 75, 60):
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= max_bytes:
            return Encoded(buffer.getvalue(), "image/jpeg")
    return None


class DamagedResult(ValueError):
    """A kept result file that cannot be decoded (cut short, not what it claims to be):
    downloading it again may mend it."""

    def __init__(self, message: str, path):
        super().__init__(message)
        self.path = str(path)

    def downloaded_twice(self, node: str) -> "DamagedResult":
        """The same error once a second download did not mend it (the file's place stays last
        in the message)."""
        text = str(self)
        note = "downloaded twice, damaged both times (the gateway's file itself is): "
        if text.startswith(f"{node}: "):
            return DamagedResult(f"{node}: {note}{text[len(node) + 2:]}", self.path)
        return DamagedResult(note[0].upper() + note[1:] + text, self.path)


MEMORY_VAR = "MODEL_GATEWAY_MEMORY_GB"
LEGACY_MEMORY_VAR = "MODEL_GATEWAY_VIDEO_MEMORY_GB"  # its older name, from when only video had it
DEFAULT_MEMORY_GB = 4.0
PIXELS_VAR = "MODEL_GATEWAY_MAX_IMAGE_MEGAPIXELS"
# A 4K Seedream result is about 16.8 MP; 40 MP leaves room for 8K (33 MP) and refuses the
# 8000x8000 kind of file that is 200 KiB on disk and over a gigabyte decoded.
DEFAULT_MEGAPIXELS = 40.0


def memory_budget() -> int:
    """Bytes one decoded result may take as a tensor (a video's frames, a batch of images):
    MODEL_GATEWAY_MEMORY_GB (or its older name MODEL_GATEWAY_VIDEO_MEMORY_GB), default 4."""
    return int(_setting(MEMORY_VAR, DEFAULT_MEMORY_GB, LEGACY_MEMORY_VAR) * (1 << 30))


def pixel_budget() -> int:
    """The most pixels one result image may have (its header is read before decoding)."""
    return int(_setting(PIXELS_VAR, DEFAULT_MEGAPIXELS) * 1_000_000)


def _setting(name: str, default: float, older: str | None = None) -> float:
    for variable in (name, older):
        text = os.environ.get(variable, "").strip() if variable else ""
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if not 0 < value < float("inf"):
            raise ValueError(f"{variable} must be a number above 0 (e.g. {default:g}); it is "
                             f"{text!r}.")
        return value
    return default


def load_images(paths: list[str], *, node: str):
    """Result files as one IMAGE batch. Images of other sizes are resized to the first one's
    size (as ComfyUI's Image Batch node does). Before anything is decoded, every header is read
    and refused over the pixel budget (one image) or the memory budget (the batch tensor);
    decompression bombs are refused, and a file that is not a readable image is a
    DamagedResult naming it."""
    import numpy as np
    import torch
    from PIL import Image

    if not paths:
        raise ValueError(f"{node}: the task has no result files.")
    sizes = [_image_size(path, node) for path in paths]
    _check_image_budget(paths, sizes, node)
    batch = None
    for index, path in enumerate(paths):
        with _opened(path, node) as image:
            try:
                image.load()
            except (OSError, SyntaxError, ValueError) as exc:
                raise _unreadable(node, path, exc) from None
            image = image.convert("RGB")
        if batch is None:
            batch = torch.empty((len(paths), image.height, image.width, 3), dtype=torch.float32)
        elif image.size != (batch.shape[2], batch.shape[1]):
            image = image.resize((batch.shape[2], batch.shape[1]), Image.LANCZOS)
        batch[index] = torch.from_numpy(np.array(image)).to(torch.float32).div_(255.0)
    return batch


def _opened(path: str, node: str):
    """Image.open (which reads the header only), decompression bombs refused."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"{node}: the result {Path(path).name} is too large to decode "
                         f"safely ({exc}). It is kept at {path}.") from None
    except FileNotFoundError:
        raise DamagedResult(f"{node}: the result file {path} is missing.", path) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise _unreadable(node, path, exc) from None


def _image_size(path: str, node: str) -> tuple[int, int]:
    with _opened(path, node) as image:
        return image.size


def _unreadable(node: str, path: str, exc: Exception) -> DamagedResult:
    return DamagedResult(f"{node}: the result {Path(path).name} is not a readable image "
                         f"({exc}). It is kept at {path}.", path)


def _check_image_budget(paths: list[str], sizes: list[tuple[int, int]], node: str) -> None:
    limit = pixel_budget()
    for path, (width, height) in zip(paths, sizes):
        if width * height > limit:
            raise ValueError(
                f"{node}: the result {Path(path).name} is {width}x{height} "
                f"({width * height / 1e6:.1f} megapixels), over the {limit / 1e6:g} megapixels "
                f"this pack decodes (set {PIXELS_VAR} to allow more). It is kept at {path}.")
    from .video_decode import format_bytes

    width, height = sizes[0]  # the batch takes the first image's size
    need = len(paths) * width * height * 3 * 4
    budget = memory_budget()
    if need > budget:
        raise ValueError(
            f"{node}: the {len(paths)} result image(s) would take {format_bytes(need)} as one IMAGE "
            f"batch ({width}x{height} each, float32), over the {format_bytes(budget)} budget (set "
            f"{MEMORY_VAR} to allow more). They are kept in {Path(paths[0]).parent}.")


def load_job_images(jobs, *, node: str):
    """Every file of the jobs as one IMAGE batch (see load_images), a damaged one downloaded
    again once (see load_results)."""
    return load_results(jobs, "image",
                        lambda: load_images([p for job in jobs for p in job.files], node=node),
                        node=node)


def load_results(jobs, kind: str, load, *, node: str):
    """load(), but when it finds a kept file damaged (a DamagedResult) the job that owns it is
    downloaded again, once, and load() runs again. Still damaged: the error says so and where
    the file is kept."""
    from ..providers import poller
    from ..providers.errors import GatewayError
    from . import comfy

    again: set[int] = set()
    while True:
        try:
            return load()
        except DamagedResult as damaged:
            job = next((j for j in jobs if damaged.path in (*j.files, j.cover_file)), None)
            if job is None or not job.result_urls:
                raise
            if id(job) in again:
                raise damaged.downloaded_twice(node) from None
            again.add(id(job))
            log.warning("%s; downloading task %s again", damaged, job.task_id)
            try:
                poller.refetch(job, kind, comfy.key_store(), comfy.files_directory(),
                               comfy.journal(), check_cancelled=comfy.check_interrupted)
            except GatewayError as error:
                raise GatewayError(error.gateway, f"a kept result is damaged and downloading it "
                                                  f"again failed ({error.message}): {damaged}",
                                   status=error.status, hint=error.hint) from None
