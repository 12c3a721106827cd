"""Clips (video files) joined in order into one mp4, one packet or one frame at a time.

Video: where every clip has the same codec, size, pixel format, codec setup (extradata) and frame
rate, its packets are copied without decoding, their timestamps moved to follow the clip before
(``remux``). Otherwise every frame is decoded, letterboxed into the first clip's size where its
own differs, resampled to the output frame rate (nearest frame) and encoded as H.264
(``re-encode``). Either way at most a few frames are held at once, whatever the number of clips.

Audio is always decoded and encoded again as AAC: it is cheap next to the pictures, and it is
how each clip's sound is cut or padded with silence to exactly its pictures' length, so the
sound stays in step at every seam (copied AAC packets come in 21 ms steps, each clip with its
encoder delay). The output has an audio track when any clip has one; clips without get silence.

PyAV and numpy are imported inside the functions (the pack imports without them).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Union

log = logging.getLogger("model_gateway")

Source = Union[str, Path, io.BytesIO, Callable[[], io.BytesIO]]

MODES = ("auto", "remux", "re-encode")
# Codecs an mp4 holds as they are (so packets can be copied into the output).
MP4_CODECS = frozenset({"h264", "hevc", "av1", "vp9", "mpeg4"})
ENCODER_OPTIONS = {"preset": "veryfast", "crf": "18"}
AUDIO_BIT_RATE = {1: 96_000, 2: 192_000}


@dataclass(frozen=True)
class Clip:
    """What the join needs to know of one clip, read without decoding a frame."""
    number: int                 # 1-based shot number, for messages
    source: Source
    codec: str
    width: int
    height: int
    pix_fmt: str
    extradata: bytes
    fps: Fraction
    time_base: Fraction
    start: int                  # first video timestamp, in time_base
    end: int                    # end of the last video frame, relative to start, in time_base
    frames: int                 # video packets
    audio_rate: int = 0         # 0: no audio stream
    audio_channels: int = 0

    @property
    def seconds(self) -> Fraction:
        return self.end * self.time_base


@dataclass(frozen=True)
class Joined:
    path: Path
    method: str                 # "remux" or "re-encode"
    frames: int
    seconds: float
    fps: float
    width: int
    height: int
    audio: bool


class ClipError(ValueError):
    """A clip that cannot be joined; the message names the node, the shot and what to do."""


def _open(source: Source):
    import av

    if callable(source):
        source = source()
    if isinstance(source, io.BytesIO):
        source.seek(0)
        return av.open(source, mode="r")
    return av.open(str(source), mode="r")


def probe(source: Source, number: int, *, node: str) -> Clip:
    """Read a clip's streams and its video packets' timestamps (no decoding)."""
    import av

    redo = "re-run that shot, or check the clip feeding this node"
    try:
        container = _open(source)
    except (av.FFmpegError, OSError) as error:
        raise ClipError(f"{node}: shot {number} cannot be read as a video ({error}); "
                        f"{redo}.") from None
    with container:
        if not container.streams.video:
            raise ClipError(f"{node}: shot {number} has no video stream (only "
                            f"{'audio' if container.streams.audio else 'nothing'} in it); "
                            f"connect a clip with pictures, or {redo}.")
        stream = container.streams.video[0]
        context = stream.codec_context
        if not context.width or not context.height:
            raise ClipError(f"{node}: shot {number}'s video stream has no frame size (the file "
                            f"is damaged); {redo}.")
        fps = _frame_rate(stream)
        time_base = Fraction(stream.time_base)
        frame_ticks = max(1, round(1 / (fps * time_base)))
        first = last_end = None
        frames = 0
        try:
            for packet in container.demux(stream):
                if packet.pts is None or not packet.size:
                    continue
                frames += 1
                first = packet.pts if first is None else min(first, packet.pts)
                end = packet.pts + (packet.duration or frame_ticks)
                last_end = end if last_end is None else max(last_end, end)
        except av.FFmpegError as error:
            raise ClipError(f"{node}: shot {number} is damaged: reading it stopped after "
                            f"{frames} frames ({error}); {redo}.") from None
        if not frames:
            raise ClipError(f"{node}: shot {number} holds no video frame; {redo}.")
        audio_rate = audio_channels = 0
        if container.streams.audio:
            sound = container.streams.audio[0].codec_context
            audio_rate = int(sound.sample_rate or 0)
            audio_channels = max(1, min(2, sound.layout.nb_channels if sound.layout else 1))
        return Clip(number=number, source=source, codec=context.name, width=context.width,
                    height=context.height, pix_fmt=context.pix_fmt or "",
                    extradata=bytes(context.extradata or b""), fps=fps, time_base=time_base,
                    start=first, end=last_end - first, frames=frames,
                    audio_rate=audio_rate if audio_rate > 0 else 0,
                    audio_channels=audio_channels if audio_rate > 0 else 0)


def _frame_rate(stream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0:
            return Fraction(rate).limit_denominator(100_000)
    return Fraction(24)


def output_fps(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def mismatch(first: Clip, clip: Clip, fps: Fraction | None) -> str:
    """Why clip's packets cannot follow first's in one stream ('' when they can)."""
    if first.codec not in MP4_CODECS:
        return f"its codec {first.codec} is not one an mp4 holds as it is"
    for what, mine, theirs in (
            ("codec", clip.codec, first.codec),
            ("size", f"{clip.width}x{clip.height}", f"{first.width}x{first.height}"),
            ("pixel format", clip.pix_fmt, first.pix_fmt),
            ("frame rate", f"{float(clip.fps):g} fps", f"{float(first.fps):g} fps")):
        if mine != theirs:
            return f"its {what} is {mine}, not {theirs}"
    if clip.extradata != first.extradata:
        return "it was encoded with other settings (codec parameters differ)"
    if fps is not None and clip.fps != fps:
        return f"its frame rate is {float(clip.fps):g} fps, not the {float(fps):g} asked for"
    return ""


def choose_method(clips: list[Clip], mode: str, fps: Fraction | None, *, node: str) -> str:
    """'remux' or 're-encode' for these clips; mode 'remux' on clips that differ is an error."""
    if mode == "re-encode":
        return "re-encode"
    for clip in clips:
        why = mismatch(clips[0], clip, fps)
        if why:
            if mode == "remux":
                raise ClipError(f"{node}: mode is remux, but shot {clip.number} cannot be copied "
                                f"after shot 1: {why}. Choose mode auto or re-encode.")
            return "re-encode"
    return "remux"


def join(clips: list[Clip], destination: Path, *, mode: str = "auto", fps: float = 0,
         node: str, progress: Callable[[int, int], None] | None = None) -> Joined:
    """Write clips, in order, into the mp4 ``destination``. ``progress(done, total)`` is called
    per frame (raise in it to stop: the partial file is removed)."""
    if not clips:
        raise ClipError(f"{node}: no clips to join.")
    if mode not in MODES:
        raise ClipError(f"{node}: mode must be one of {', '.join(MODES)} (got {mode!r}).")
    asked = output_fps(fps) if fps else None
    method = choose_method(clips, mode, asked, node=node)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.stem}.partial.mp4")
    try:
        if method == "remux":
            try:
                joined = _write(clips, partial, _Remux(clips), node=node, progress=progress)
            except _CannotCopy as why:
                if mode == "remux":
                    raise ClipError(f"{node}: mode is remux, but {why}. Choose mode auto or "
                                    f"re-encode.") from None
                log.info("%s: %s; re-encoding instead", node, why)
                method = "re-encode"
        if method == "re-encode":
            joined = _write(clips, partial, _Reencode(clips, asked or clips[0].fps), node=node,
                            progress=progress)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return Joined(path=destination, method=method, **joined)


class _CannotCopy(Exception):
    """The clips looked alike but their packets cannot follow each other (timestamps)."""


def _write(clips, path: Path, video, *, node: str, progress) -> dict:
    import av

    audio_clips = [c for c in clips if c.audio_rate]
    with av.open(str(path), mode="w", format="mp4",
                 options={"movflags": "+faststart"}) as output:
        video.add_stream(output)
        sound = None
        if audio_clips:
            channels = max(c.audio_channels for c in audio_clips)
            sound = _AudioTrack(output, audio_clips[0].audio_rate, channels)
        output.start_encoding()
        total = video.planned
        done = 0
        for clip in clips:
            def tick(count=1):
                nonlocal done
                done += count
                if progress is not None:
                    progress(min(done, total), total)

            try:
                container = _open(clip.source)
            except (av.FFmpegError, OSError) as error:
                raise ClipError(f"{node}: shot {clip.number} cannot be read any more ({error});"
                                f" re-run that shot.") from None
            with container:
                streams = [container.streams.video[0]]
                end = video.begin(clip, streams[0])       # the clip's end on the timeline
                decoder = None
                if sound is not None and clip.audio_rate:
                    streams.append(container.streams.audio[0])
                    decoder = sound.clip_decoder(clip, container.streams.audio[0], end)
                try:
                    for packet in container.demux(*streams):
                        if packet.stream.type == "video":
                            video.packet(packet, tick)
                        elif decoder is not None:
                            decoder.packet(packet, node=node)
                    video.end_clip(tick)
                except av.FFmpegError as error:
                    raise ClipError(f"{node}: shot {clip.number} could not be read to its end "
                                    f"({error}); the file may be damaged: re-run that shot."
                                    ) from None
                if sound is not None:
                    if decoder is not None:
                        decoder.flush(node=node)
                    sound.pad_to(end)
        video.finish()
        if sound is not None:
            sound.finish()
        summary = video.summary()
    return {**summary, "audio": sound is not None}


class _Remux:
    """Video packets copied: each clip's timestamps moved to start where the previous ended."""

    def __init__(self, clips):
        self.first = clips[0]
        self.offset = Fraction(0)          # seconds where the current clip starts
        self.last_dts = None
        self.frames = 0
        self.planned = sum(c.frames for c in clips)

    def add_stream(self, output):
        with _open(self.first.source) as container:
            self.stream = output.add_stream_from_template(container.streams.video[0],
                                                          opaque=True)

    def begin(self, clip, stream) -> Fraction:
        self.clip = clip
        self.time_base = Fraction(self.stream.time_base)
        return self.offset + clip.seconds

    def _moved(self, ticks):
        seconds = self.offset + (ticks - self.clip.start) * self.clip.time_base
        return round(seconds / self.time_base)

    def packet(self, packet, tick):
        if packet.pts is None or packet.dts is None or not packet.size:
            return
        pts, dts = self._moved(packet.pts), self._moved(packet.dts)
        if self.last_dts is not None and dts <= self.last_dts:
            raise _CannotCopy(f"shot {self.clip.number}'s timestamps would overlap the shot "
                              f"before (its frames are ordered differently)")
        self.last_dts = dts
        duration = packet.duration
        packet.stream = self.stream
        packet.pts, packet.dts = pts, dts
        packet.time_base = self.stream.time_base
        if duration:
            packet.duration = round(duration * self.clip.time_base / self.time_base)
        self.stream.container.mux(packet)
        self.frames += 1
        tick()

    def end_clip(self, tick):
        self.offset += self.clip.seconds

    def finish(self):
        pass

    def summary(self):
        first = self.first
        return {"frames": self.frames, "seconds": float(self.offset), "fps": float(first.fps),
                "width": first.width, "height": first.height}


class _Reencode:
    """Every frame decoded, fitted into the output size and encoded at the output fps."""

    def __init__(self, clips, fps: Fraction):
        first = clips[0]
        self.fps = fps
        self.width, self.height = first.width - first.width % 2, first.height - first.height % 2
        self.slots = 0                     # output frames written
        self.ends = Fraction(0)            # seconds of input clips consumed
        self.planned = round(sum(c.seconds for c in clips) * fps)

    def add_stream(self, output):
        self.output = output
        stream = output.add_stream("libx264", rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.codec_context.time_base = 1 / self.fps
        stream.codec_context.options = dict(ENCODER_OPTIONS)
        self.stream = stream

    def begin(self, clip, stream) -> Fraction:
        from av.video.reformatter import VideoReformatter

        self.clip = clip
        stream.thread_type = "AUTO"
        self.decoder = stream
        self.reformatter = VideoReformatter()
        self.start_slot = self.slots
        self.ends += clip.seconds
        # Output frames this clip fills: up to the clip's end on the joined timeline, so the
        # rounding of one clip never accumulates into the next.
        self.end_slot = round(self.ends * self.fps)
        self.pending = None
        self.canvas = None
        self.fit = _fit(clip.width, clip.height, self.width, self.height)
        return Fraction(self.end_slot) / self.fps

    def packet(self, packet, tick):
        for frame in packet.decode():      # the empty packet at the end flushes the decoder
            if frame.pts is None:
                continue
            when = (frame.pts - self.clip.start) * self.clip.time_base
            if self.pending is not None:
                # the held frame fills every slot whose time is nearer to it than to this one
                self._emit_until(when, tick)
            self.pending = self._fitted(frame)

    def end_clip(self, tick):
        # (the demuxer's empty packet at the end of the stream has flushed the decoder)
        if self.pending is not None:
            self._emit_until(None, tick)
        self.pending = None

    def _emit_until(self, when, tick):
        """Write the held frame into the slots before ``when`` (clip seconds; None: to the
        clip's last slot)."""
        while self.slots < self.end_slot:
            slot_time = Fraction(self.slots - self.start_slot) / self.fps
            if when is not None and slot_time + 1 / (2 * self.fps) >= when:
                break
            frame = self.pending
            frame.pts = self.slots
            frame.time_base = self.stream.codec_context.time_base
            for out in self.stream.encode(frame):
                self.output.mux(out)
            self.slots += 1
            tick()

    def _fitted(self, frame):
        """The frame in the output size and yuv420p: scaled where the shape matches, else
        scaled to fit and letterboxed (black bars), never stretched or cropped."""
        width, height = self.fit
        if (width, height) == (self.width, self.height):
            if (frame.width, frame.height, frame.format.name) == (self.width, self.height,
                                                                   "yuv420p"):
                return frame
            return self.reformatter.reformat(frame, width=width, height=height,
                                             format="yuv420p", interpolation="AREA")
        import av
        import numpy as np

        if self.canvas is None:
            self.canvas = np.zeros((self.height, self.width, 3), dtype=np.uint8)
        picture = self.reformatter.reformat(frame, width=width, height=height, format="rgb24",
                                            interpolation="AREA").to_ndarray()
        top, left = (self.height - height) // 2, (self.width - width) // 2
        self.canvas[top:top + height, left:left + width] = picture
        boxed = av.VideoFrame.from_ndarray(self.canvas, format="rgb24")
        return boxed.reformat(format="yuv420p")

    def finish(self):
        for out in self.stream.encode(None):
            self.output.mux(out)

    def summary(self):
        return {"frames": self.slots, "seconds": self.slots / float(self.fps), "fps": float(self.fps),
                "width": self.width, "height": self.height}


def _fit(width: int, height: int, out_width: int, out_height: int) -> tuple[int, int]:
    """The largest even size with the clip's aspect that fits in the output frame."""
    if (width, height) == (out_width, out_height):
        return width, height
    scale = min(out_width / width, out_height / height)
    fitted_w = min(out_width, max(2, round(width * scale / 2) * 2))
    fitted_h = min(out_height, max(2, round(height * scale / 2) * 2))
    # within 2 px of the frame on a side: fill it (no bar of one or two pixels)
    if out_width - fitted_w <= 2:
        fitted_w = out_width
    if out_height - fitted_h <= 2:
        fitted_h = out_height
    return fitted_w, fitted_h


class _AudioTrack:
    """The output's AAC track; each clip's sound goes in at its clip's place on the timeline."""

    def __init__(self, output, rate: int, channels: int):
        self.output = output
        self.rate = rate
        self.channels = channels
        self.layout = "stereo" if channels == 2 else "mono"
        self.stream = output.add_stream("aac", rate=rate, layout=self.layout)
        self.stream.codec_context.bit_rate = AUDIO_BIT_RATE[channels]
        self.written = 0                   # samples

    def write(self, samples) -> None:
        """samples: float32 [channels, n]."""
        import av
        import numpy as np

        if samples.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.float32),
                                           format="fltp", layout=self.layout)
        frame.sample_rate = self.rate
        frame.pts = self.written
        frame.time_base = Fraction(1, self.rate)
        for packet in self.stream.encode(frame):
            self.output.mux(packet)
        self.written += samples.shape[1]

    def silence(self, count: int) -> None:
        import numpy as np

        while count > 0:
            step = min(count, 8192)
            self.write(np.zeros((self.channels, step), dtype=np.float32))
            count -= step

    def pad_to(self, seconds: Fraction) -> None:
        """Silence up to ``seconds`` on the joined timeline (the end of the clip just written)."""
        self.silence(round(seconds * self.rate) - self.written)

    def clip_decoder(self, clip, stream, end: Fraction) -> "_ClipSound":
        return _ClipSound(self, clip, stream, end)

    def finish(self):
        for packet in self.stream.encode(None):
            self.output.mux(packet)


class _ClipSound:
    """One clip's audio, decoded, resampled to the track's format and placed from the clip's
    first video frame to its end on the joined timeline (cut where it runs longer, silence
    where it starts later or stops earlier)."""

    def __init__(self, track: _AudioTrack, clip: Clip, stream, end: Fraction):
        import av

        self.track = track
        self.clip = clip
        self.limit = round(end * track.rate)   # the clip's last sample on the timeline
        self.video_start = clip.start * clip.time_base
        self.resampler = av.AudioResampler(format="fltp", layout=track.layout, rate=track.rate)
        self.failed = False
        self.skip = None                   # samples to drop before the first video frame

    def packet(self, packet, *, node: str) -> None:
        """Decode one packet (the demuxer's empty last packet flushes the decoder)."""
        import av

        if self.failed:
            return
        try:
            for frame in packet.decode():
                if self.skip is None:
                    self._align(frame)
                for chunk in self.resampler.resample(frame):
                    self._place(chunk)
        except av.FFmpegError as error:
            self.failed = True
            log.warning("%s: the audio of shot %d could not be decoded to the end (%s); the "
                        "rest of it is silent.", node, self.clip.number, error)

    def flush(self, *, node: str) -> None:
        import av

        if self.failed:
            return
        try:
            for chunk in self.resampler.resample(None):
                self._place(chunk)
        except av.FFmpegError as error:
            log.warning("%s: the end of shot %d's audio could not be decoded (%s).", node,
                        self.clip.number, error)

    def _align(self, frame) -> None:
        """Sound that starts after the first frame gets silence before it; sound from before
        the first frame is dropped."""
        self.skip = 0
        if frame.pts is None or frame.time_base is None:
            return
        offset = round((frame.pts * Fraction(frame.time_base) - self.video_start)
                       * self.track.rate)
        if offset > 0:
            self.track.silence(min(offset, self.limit - self.track.written))
        else:
            self.skip = -offset

    def _place(self, chunk) -> None:
        track = self.track
        samples = chunk.to_ndarray()
        if samples.ndim == 1:
            samples = samples.reshape(track.channels, -1)
        if self.skip:
            dropped = min(self.skip, samples.shape[1])
            samples, self.skip = samples[:, dropped:], self.skip - dropped
        room = self.limit - track.written
        if room > 0:
            track.write(samples[:, :room])
