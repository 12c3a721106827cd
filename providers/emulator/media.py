"""Small real media files for the emulator (sandbox answers) and the tests.

``make_mp4`` writes a genuine H.264 (libx264, or MPEG-4 Part 2 where PyAV lacks libx264) mp4
whose frames are predictable: frame ``i`` is the flat colour ``frame_color(i)`` with a
horizontal wave sliding across it. The wave spans whole periods of the width, so it averages
to zero and the mean colour of frame ``i`` is ``frame_color(i)`` (up to compression error),
which lets a test check frame order, ``frame_step`` and ``max_frames`` from means alone.
Adjacent frames differ by at least 40 levels in green, so no two neighbours are confused.
The optional audio track is an AAC sine tone.

PyAV, numpy and Pillow are imported inside the functions: ``providers/`` must import without
them (and quickly).
"""
from __future__ import annotations

import io
import math
from pathlib import Path

WAVE_AMPLITUDE = 24          # levels; keeps every pixel inside 8..247 with the colours below
TONE_HZ = 440.0
TONE_AMPLITUDE = 0.25


def frame_color(index: int) -> tuple[int, int, int]:
    """The mean RGB colour (0..255) of frame ``index`` of a ``make_mp4`` video.

    Red ramps slowly (period 48 frames), green jumps by 40 levels per frame (period 24),
    blue by 16 (period 12): (red, green, blue) is unique over 48 frames (two seconds at 24 fps)
    and no two adjacent frames are close.
    """
    return (32 + (4 * index) % 192, 32 + (40 * index) % 192, 64 + (16 * index) % 128)


def _frame_rgb(index: int, width: int, height: int, texture=None):
    import numpy as np

    x = np.arange(width, dtype=np.float32)
    # Two whole periods across the width (zero mean), moving 1/24 of a period per frame.
    wave = WAVE_AMPLITUDE * np.sin(2 * np.pi * (2 * x / width - index / 24.0))
    row = np.asarray(frame_color(index), dtype=np.float32)[None, :] + wave[:, None]   # [W,3]
    if texture is None:
        row = np.clip(np.rint(row), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.broadcast_to(row[None, :, :], (height, width, 3)))
    # A fixed noise pattern drifting 3 px right and 2 px down per frame: camera-like detail.
    shifted = np.roll(texture, (2 * index, 3 * index), axis=(0, 1))
    return np.clip(row[None, :, :] + shifted[:, :, None], 0, 255).astype(np.uint8)


def _texture(width: int, height: int):
    import numpy as np

    rng = np.random.default_rng(0)
    coarse = rng.normal(0.0, 14.0, ((height + 3) // 4, (width + 3) // 4)).astype(np.float32)
    fine = rng.normal(0.0, 6.0, (height, width)).astype(np.float32)
    return np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)[:height, :width] + fine


def _video_codec() -> str:
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def make_mp4(path, *, width: int, height: int, seconds: float, fps: int = 24, audio: bool,
             sample_rate: int = 44100, channels: int = 2, texture: bool = False) -> Path:
    """Write a ``width``x``height`` mp4 of ``round(seconds * fps)`` frames to ``path``.

    With ``audio`` an AAC track of ``seconds`` of a 440 Hz sine (``channels`` channels at
    ``sample_rate``) is added. The moov atom is written first (``+faststart``), as a web
    server would serve it, so a truncated copy still opens and yields its leading frames.
    ``texture`` overlays drifting noise, so the file has a camera-like bitrate (benchmarks);
    the mean colours are then only approximately ``frame_color(i)``.
    """
    import av
    import numpy as np
    from fractions import Fraction

    if width < 2 or height < 2 or width % 2 or height % 2:
        raise ValueError(f"make_mp4: width and height must be even and at least 2 "
                         f"(got {width}x{height}).")
    if seconds <= 0 or fps <= 0:
        raise ValueError(f"make_mp4: seconds and fps must be positive (got {seconds}, {fps}).")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_frames = max(1, round(seconds * fps))
    rate = Fraction(fps).limit_denominator(1001)

    codec = _video_codec()
    detail = _texture(width, height) if texture else None
    with av.open(str(path), mode="w", format="mp4",
                 options={"movflags": "+faststart"}) as container:
        video = container.add_stream(codec, rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.time_base = 1 / rate
        if codec == "libx264":
            video.codec_context.options = {"preset": "veryfast", "crf": "20"}
        else:
            video.codec_context.bit_rate = max(400_000, width * height * fps // 4)
        sound = None
        if audio:
            layout = {1: "mono", 2: "stereo"}.get(channels)
            if layout is None:
                raise ValueError(f"make_mp4: channels must be 1 or 2 (got {channels}).")
            sound = container.add_stream("aac", rate=sample_rate, layout=layout)
            sound.codec_context.bit_rate = 96_000 * channels

        for index in range(n_frames):
            pixels = _frame_rgb(index, width, height, detail)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            frame.time_base = video.codec_context.time_base
            container.mux(video.encode(frame))
        container.mux(video.encode(None))

        if sound is not None:
            total = round(seconds * sample_rate)
            chunk = 1024
            for start in range(0, total, chunk):
                count = min(chunk, total - start)
                t = (np.arange(start, start + count, dtype=np.float64)) / sample_rate
                tone = (TONE_AMPLITUDE * np.sin(2 * math.pi * TONE_HZ * t)).astype(np.float32)
                samples = np.ascontiguousarray(np.broadcast_to(tone, (channels, count)))
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
                frame.sample_rate = sample_rate
                frame.pts = start
                frame.time_base = Fraction(1, sample_rate)
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path


def make_png(width: int, height: int, color=(128, 128, 128)) -> bytes:
    """A ``width``x``height`` PNG filled with ``color`` (RGB or RGBA tuple, 0..255)."""
    from PIL import Image

    color = tuple(int(c) for c in color)
    image = Image.new("RGBA" if len(color) == 4 else "RGB", (int(width), int(height)), color)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
