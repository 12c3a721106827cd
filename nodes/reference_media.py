"""ComfyUI VIDEO and AUDIO inputs to the files a gateway takes: mp4 (the file itself where there
is one, no re-encode) and 16-bit WAV."""
from __future__ import annotations

import io
import tempfile
import wave
from pathlib import Path

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v")


def video_file(video, *, node: str, field: str) -> tuple[bytes, float]:
    """(mp4 bytes, seconds) of a ComfyUI VIDEO (VideoInput: get_stream_source, save_to,
    get_duration)."""
    if not all(hasattr(video, name) for name in ("get_duration", "save_to")):
        raise ValueError(f"{node}: {field} must be a VIDEO (from Load Video or a video node).")
    source = video.get_stream_source() if hasattr(video, "get_stream_source") else None
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() in VIDEO_SUFFIXES:
        data = Path(source).read_bytes()
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "reference.mp4"
            video.save_to(str(path))
            data = path.read_bytes()
    return data, float(video.get_duration())


def audio_file(audio, *, node: str, field: str) -> tuple[bytes, float]:
    """(WAV bytes, seconds) of a ComfyUI AUDIO {"waveform": [B, C, T], "sample_rate"}."""
    try:
        waveform, rate = audio["waveform"], int(audio["sample_rate"])
    except (TypeError, KeyError):
        raise ValueError(f"{node}: {field} must be an AUDIO (from Load Audio or an audio node)."
                         ) from None
    samples = waveform[0].detach().cpu().float().clamp(-1, 1)  # [C, T]
    if samples.shape[-1] == 0:
        raise ValueError(f"{node}: {field} is empty.")
    pcm = (samples.T.contiguous() * 32767).round().short().numpy().tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(samples.shape[0])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue(), samples.shape[-1] / rate
