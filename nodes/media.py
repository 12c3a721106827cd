"""IMAGE tensors ([B,H,W,C] float 0..1) to the bytes and data URLs gateways accept."""
from __future__ import annotations

import base64
import io


def _pil(frame):
    import numpy as np
    from PIL import Image

    array = (frame.detach().cpu().clamp(0, 1).numpy() * 255.0 + 0.5).astype(np.uint8)
    channels = array.shape[-1]
    if channels == 1:
        return Image.fromarray(array[..., 0], "L")
    # Alpha is kept on purpose where PNG can carry it; JPEG flattens it (see _encode).
    return Image.fromarray(array[..., :4] if channels >= 4 else array[..., :3],
                           "RGBA" if channels >= 4 else "RGB")


def _fit(image, max_side: int):
    longest = max(image.size)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    from PIL import Image
    return image.resize(size, Image.LANCZOS)


def _encode(image, max_bytes: int) -> tuple[bytes, str] | None:
    """PNG when it fits (lossless), else JPEG at falling quality; None if nothing fits."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False, compress_level=6)
    if buffer.tell() <= max_bytes:
        return buffer.getvalue(), "image/png"
    if image.mode in ("RGBA", "LA"):
        from PIL import Image
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    for quality in (92, 85, 75, 60):
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue(), "image/jpeg"
    return None


def images_to_data_urls(images, *, max_side: int, max_bytes: int, node: str,
                        field: str) -> list[str]:
    """Each image of the batch as a data URL, downscaled to max_side and under max_bytes."""
    if images.ndim != 4 or images.shape[0] < 1:
        raise ValueError(f"{node}: {field} must be an IMAGE batch [B,H,W,C] (got shape "
                         f"{tuple(images.shape)}).")
    urls = []
    for index in range(images.shape[0]):
        encoded = _encode(_fit(_pil(images[index]), max_side), max_bytes)
        if encoded is None:
            raise ValueError(f"{node}: {field} image {index + 1} is over the gateway's limit of "
                             f"{max_bytes // 1024} KiB even as a JPEG at {max_side} px; use a "
                             f"smaller or simpler image.")
        data, mime = encoded
        urls.append(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")
    return urls
