"""A video file -> ComfyUI IMAGE frames + AUDIO + fps, decoded once into one preallocated tensor.

Memory strategy
---------------
A decoded video is big (1920x1080 float32 is 24 MiB a frame, 3 GiB for five seconds at
24 fps), so the frames are never collected in a Python list and stacked (that holds two full
copies at the peak). Instead:

1. **Plan.** The container is opened once to read the video stream's size, rate and frame
   count. Where the container gives no count (Matroska/WebM, MPEG-TS, raw streams...) the
   video packets are *counted* by demuxing alone (no decoding): cheap, and exact for every
   codec that carries one frame per packet, which is all that gateways return (H.264, HEVC,
   VP8/9, AV1). From the count, ``frame_step`` and ``max_frames`` comes N, an upper bound of
   the frames kept; ``max_side`` gives the output size (resized during decoding).
2. **Budget.** N*H*W*3*4 bytes is checked against ``memory_budget_bytes`` *before* anything is
   allocated; over it, a ValueError names the node, the size, and options that would fit.
3. **Decode in place.** ``torch.empty([N,H,W,3], float32)`` is allocated once. Each kept frame
   is converted by libswscale straight to rgb24 at the output size (one ``VideoReformatter``
   reused for every frame: ``reformat(frame, width=, height=, format="rgb24")``, the same
   conversion as ``frame.reformat``/``to_ndarray`` without a new swscale context per frame),
   and ``torch.div(uint8, 255, out=slice)`` writes it into its slice: one uint8 frame is the
   only temporary. Skipped frames
   (``frame_step``) are decoded (the codec needs them) but never converted. Decoding stops as
   soon as N frames are kept.
4. **Fewer frames than planned** (a truncated download, a container that over-announces):
   the frames decoded are returned as ``frames.narrow(0, 0, kept)`` -- a view, no copy -- and
   ``DecodedVideo.warning`` says what happened (it is also logged). A file that yields no
   frame at all is a ValueError. The view keeps the full allocation alive; that unused tail
   is the price of never copying, and it is bounded by the budget already checked.
   **More frames than planned** (a container that under-announces -- rare, e.g. packed
   B-frames in old AVI files): the tensor is not grown, because growing means a second
   full-size copy at the peak; the surplus frames are dropped and the warning says so.

Audio is decoded in a second, audio-only pass (video packets are demuxed and discarded, not
decoded) into a preallocated [1, C, T] float32 tensor whose length T matches the video
returned: ``kept * frame_step / source_fps`` seconds, so it stays in sync with the frames when
``max_frames`` cuts the video. Longer audio is cut, shorter audio is padded with silence. A
file without an audio track gets silent mono audio at 44100 Hz of the same length.

PyAV and torch are imported inside the functions: the pack imports without them.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("model_gateway.video")

SILENT_SAMPLE_RATE = 44100
_MAX_SIDE_SUGGESTIONS = (3840, 2560, 2048, 1920, 1600, 1280, 1024, 960, 768, 720, 640, 512,
                         480, 384, 320, 256, 128, 64)


@dataclass
class DecodedVideo:
    frames: Any            # torch.float32 [N, H, W, 3], 0..1 (possibly a narrow() view)
    audio: dict            # {"waveform": torch.float32 [1, C, T], "sample_rate": int}
    fps: float             # source fps / frame_step
    frame_count_source: int
    duration: float        # seconds the returned frames cover: N * frame_step / source fps
    warning: str = ""      # set when fewer (or more) frames came out than the container said
    truncated: bool = False  # fewer frames than the container said: the file is damaged


@dataclass
class _Source:
    width: int
    height: int
    fps: float
    frames: int            # announced by the container, or counted from packets
    counted: bool          # True when `frames` was counted by demuxing
    duration: float | None


# --------------------------------------------------------------------------- sizes and budget

def output_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The frame size after ``max_side``: longer side <= max_side, aspect kept, both even.
    0, or a max_side the frame already fits in, keeps the source size (no upscaling)."""
    longest = max(width, height)
    if not max_side or longest <= max_side:
        return width, height
    new_long = max(2, max_side // 2 * 2)
    new_short = max(2, 2 * round(min(width, height) * new_long / longest / 2))
    return (new_long, new_short) if width >= height else (new_short, new_long)


def planned_frames(source_frames: int, max_frames: int, frame_step: int) -> int:
    """Frames kept from ``source_frames``: every ``frame_step``-th, at most ``max_frames``."""
    kept = -(-source_frames // frame_step)
    return min(kept, max_frames) if max_frames else kept


def _frame_bytes(width: int, height: int) -> int:
    return width * height * 3 * 4


def format_bytes(size: float) -> str:
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if size >= scale:
            text = f"{size / scale:.1f}"
            return f"{text[:-2] if text.endswith('.0') else text} {unit}"
    return f"{int(size)} bytes"


def _budget_error(node: str, source: _Source, *, n: int, width: int, height: int,
                  max_frames: int, frame_step: int, budget: int) -> ValueError:
    total = n * _frame_bytes(width, height)
    hints = []
    longest = max(width, height)
    for side in _MAX_SIDE_SUGGESTIONS:
        if side >= longest:
            continue
        w, h = output_size(source.width, source.height, side)
        if n * _frame_bytes(w, h) <= budget:
            hints.append(f"max_side {side} → {format_bytes(n * _frame_bytes(w, h))}")
            break
    fit = budget // _frame_bytes(width, height)
    if 1 <= fit < n:
        hints.append(f"max_frames {fit} → {format_bytes(fit * _frame_bytes(width, height))}")
    for step in range(frame_step + 1, frame_step * 64 + 1):
        kept = planned_frames(source.frames, max_frames, step)
        if kept * _frame_bytes(width, height) <= budget:
            hints.append(f"frame_step {step} → "
                         f"{format_bytes(kept * _frame_bytes(width, height))}")
            break
    example = (f" (e.g. {', '.join(hints[:-1])} or {hints[-1]})" if len(hints) > 1
               else f" (e.g. {hints[0]})" if hints else "")
    return ValueError(
        f"{node}: the decoded video would take {format_bytes(total)} ({n} frames of "
        f"{width}x{height}), over the {format_bytes(budget)} budget; set max_frames, "
        f"frame_step or max_side{example}.")


# --------------------------------------------------------------------------- probing

def _unreadable(node: str, path: Path, what: str) -> ValueError:
    return ValueError(f"{node}: {what}; the file is kept at {path}.")


def _rate(stream) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and float(rate) > 0 and math.isfinite(float(rate)):
            return float(rate)
    return None


def _probe(av, path: Path, node: str) -> _Source:
    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise _unreadable(node, path, f"this is not a video PyAV can open ({error})") from None
    with container:
        if not container.streams.video:
            raise _unreadable(node, path, "the file has no video stream")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            raise _unreadable(node, path, "the video stream has no frame size (corrupt?)")
        duration = None
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        frames, counted = int(stream.frames or 0), False
        if frames <= 0:
            frames, counted = 0, True
            try:
                for packet in container.demux(stream):
                    if packet.size:
                        frames += 1
            except av.FFmpegError as error:     # count what could be read; decoding will tell
                log.warning("%s: counting frames of %s stopped early: %s", node, path, error)
            if frames <= 0:
                raise _unreadable(node, path, "the video stream holds no frames")
        fps = _rate(stream)
        if fps is None:
            if not duration:
                raise _unreadable(node, path, "the video stream has no frame rate")
            fps = frames / duration
        return _Source(width, height, fps, frames, counted, duration)


# --------------------------------------------------------------------------- decoding

def decode_video(path, *, max_frames: int = 0, frame_step: int = 1, max_side: int = 0,
                 memory_budget_bytes: int, node: str = "Gateway Await Video",
                 progress: Callable[[int, int], None] | None = None) -> DecodedVideo:
    """Decode ``path`` into frames [N,H,W,3] float32 0..1, audio [1,C,T] and fps.

    ``max_frames`` caps the frames kept (0: no cap); ``frame_step`` k keeps every k-th frame
    (output fps = source fps / k); ``max_side`` resizes during decoding so the longer side is
    at most that, keeping the aspect, with even dimensions (0: source size). Raises ValueError
    naming ``node`` if the result would exceed ``memory_budget_bytes`` or the file cannot be
    decoded (see the module docstring for what a truncated file gives). ``progress(kept,
    planned)``, if given, is called after each kept frame: the node's progress bar, and the
    place to raise ComfyUI's interrupt (the exception propagates, the file is closed).
    """
    for name, value, low in (("max_frames", max_frames, 0), ("frame_step", frame_step, 1),
                             ("max_side", max_side, 0), ("memory_budget_bytes",
                                                         memory_budget_bytes, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{node}: {name} must be a whole number >= {low} (got {value!r}).")
    if max_side == 1:
        raise ValueError(f"{node}: max_side must be 0 (no resize) or at least 2 (got 1).")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{node}: the video file {path} does not exist.")

    import av
    import torch

    source = _probe(av, path, node)
    width, height = output_size(source.width, source.height, max_side)
    n = planned_frames(source.frames, max_frames, frame_step)
    if n * _frame_bytes(width, height) > memory_budget_bytes:
        raise _budget_error(node, source, n=n, width=width, height=height,
                            max_frames=max_frames, frame_step=frame_step,
                            budget=memory_budget_bytes)
    capped = n < planned_frames(source.frames, 0, frame_step)
    resize = (width, height) != (source.width, source.height)

    frames = torch.empty((n, height, width, 3), dtype=torch.float32)
    kept = seen = 0
    surplus = reached_end = False
    first_time = None
    failure = None
    # One reformatter for the whole decode: it keeps its libswscale context (frame.reformat
    # builds a new one per frame, twice as slow at 1080p).
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    convert = {"width": width, "height": height, "format": "rgb24",
               "interpolation": "AREA" if resize else None}
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if seen % frame_step == 0:
                    if kept == n:               # only when the container under-announced
                        surplus = True
                        break
                    if first_time is None:
                        first_time = frame.time
                    # The frame's own range, explicitly: full-range ("JPEG") YUV read as
                    # limited would clip (PyAV 18 does this by itself; older ones may not).
                    rgb = reformatter.reformat(frame, src_color_range=frame.color_range or None,
                                               **convert)
                    pixels = torch.from_numpy(rgb.to_ndarray())      # [H, W, 3] uint8
                    torch.div(pixels, 255.0, out=frames[kept])
                    kept += 1
                    if progress is not None:
                        progress(kept, n)
                    if kept == n and capped:
                        break
                seen += 1
            else:
                reached_end = True
    except av.FFmpegError as error:
        failure = error

    if kept == 0:
        why = f" ({failure})" if failure else ""
        raise _unreadable(node, path, f"no video frame could be decoded{why}")
    warning = ""
    if kept < n:
        warning = (f"{node}: decoded {kept} of the {n} frames expected "
                   f"({source.frames} {'counted' if source.counted else 'announced'} in the "
                   f"file{f'; decoding stopped: {failure}' if failure else ''}); the file may be "
                   f"truncated. It is kept at {path}.")
        frames = frames.narrow(0, 0, kept)
    elif surplus:
        warning = (f"{node}: the file holds more frames than the {source.frames} its container "
                   f"{'had packets for' if source.counted else 'announced'}; kept the first "
                   f"{kept} (the budget was checked for that many). It is kept at {path}.")
    if warning:
        log.warning("%s", warning)

    duration = kept * frame_step / source.fps
    audio = _decode_audio(av, torch, path, duration=duration, start=first_time, node=node)
    return DecodedVideo(frames=frames, audio=audio, fps=source.fps / frame_step,
                        frame_count_source=seen if reached_end else source.frames,
                        duration=duration, warning=warning, truncated=kept < n)


def _decode_audio(av, torch, path: Path, *, duration: float, start: float | None,
                  node: str) -> dict:
    """The first audio stream as fltp [1, C, round(duration * rate)], aligned to the first
    video frame (``start`` seconds), cut or padded with silence to that length."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return {"waveform": torch.zeros((1, 1, round(duration * SILENT_SAMPLE_RATE)),
                                            dtype=torch.float32),
                    "sample_rate": SILENT_SAMPLE_RATE}
        stream = container.streams.audio[0]
        rate = stream.sample_rate or stream.codec_context.sample_rate or SILENT_SAMPLE_RATE
        channels = max(1, stream.codec_context.layout.nb_channels)
        layout = stream.codec_context.layout.name if channels == \
            stream.codec_context.layout.nb_channels else None
        total = round(duration * rate)
        waveform = torch.zeros((1, channels, total), dtype=torch.float32)
        position = None           # next sample index in `waveform`
        skip = 0                  # samples to drop (audio starting before the first frame)
        resampler = None

        def write(chunk) -> bool:
            """Copy one fltp frame in; False once the waveform is full."""
            nonlocal position, skip
            samples = chunk.to_ndarray()                 # [C, S] float32
            if position is None:
                offset = 0
                if start is not None and chunk.time is not None:
                    offset = round((chunk.time - start) * rate)
                position, skip = max(0, offset), max(0, -offset)
            if skip:
                dropped = min(skip, samples.shape[1])
                samples, skip = samples[:, dropped:], skip - dropped
            count = min(samples.shape[1], total - position)
            if count > 0:
                waveform[0, :, position:position + count] = torch.from_numpy(samples[:, :count])
                position += count
            return position < total

        try:
            for frame in container.decode(stream):
                if resampler is None and (frame.format.name != "fltp" or frame.sample_rate != rate
                                          or frame.layout.nb_channels != channels):
                    resampler = av.AudioResampler(format="fltp", layout=layout or channels,
                                                  rate=rate)
                chunks = resampler.resample(frame) if resampler else [frame]
                if not all([write(chunk) for chunk in chunks]):
                    break
            else:
                for chunk in resampler.resample(None) if resampler else []:
                    if not write(chunk):
                        break
        except av.FFmpegError as error:
            log.warning("%s: the audio of %s could not be decoded to the end (%s); the rest is "
                        "silent.", node, path, error)
        return {"waveform": waveform, "sample_rate": int(rate)}
