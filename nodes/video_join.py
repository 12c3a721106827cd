"""Join Video Shots: a list of VIDEOs (one per shot, in order) into one mp4 and a native VIDEO.

The joining itself is clip_join's; this module turns ComfyUI's VIDEO inputs into files, names
the result and shows progress."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from . import comfy

NAME_VERSION = b"join-1"   # part of every film's name: a change in how films are made renames


def _first(value, default=None):
    """INPUT_IS_LIST hands every input over as a list; widgets hold one value."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else default
    return default if value is None else value


def _overrides_stream_source(video) -> bool:
    """True when the VIDEO's class has its own get_stream_source (a file or bytes: VideoFromFile).
    The abstract base's default encodes the whole video into memory, which the join avoids."""
    for klass in type(video).__mro__:
        if "get_stream_source" in vars(klass):
            return not getattr(klass, "__abstractmethods__", None)
    return False


def _hash_file(path: Path, digest) -> None:
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)


def clip_sources(videos: list, *, node: str, scratch: Path) -> tuple[list, list[Path], str]:
    """(sources for clip_join, temporary files to delete, a name for the film from what went
    in). A VIDEO made of tensors is written to a temporary mp4 first, one frame at a time by
    its own save_to; a file is read where it is; bytes are read from memory."""
    from .clip_join import ClipError

    sources, temporary = [], []
    digest = hashlib.sha256(NAME_VERSION)
    for number, video in enumerate(videos, start=1):
        if video is None or not hasattr(video, "save_to"):
            raise ClipError(f"{node}: shot {number} is not a VIDEO (got "
                            f"{type(video).__name__}); connect the video output of Gateway "
                            f"Await Video or Load Video.")
        source = video.get_stream_source() if _overrides_stream_source(video) else None
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise ClipError(f"{node}: shot {number}'s file {path} does not exist (moved or "
                                f"deleted?); re-run that shot.")
            stat = path.stat()
            digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
            sources.append(path)
        elif source is not None and hasattr(source, "getbuffer"):
            digest.update(hashlib.sha256(source.getbuffer()).digest())
            # each opening asks the VIDEO again: its get_stream_source rewinds the bytes
            sources.append(video.get_stream_source)
        else:
            scratch.mkdir(parents=True, exist_ok=True)
            path = scratch / f"shot_{number}_{uuid.uuid4().hex[:8]}.mp4"
            temporary.append(path)
            try:
                video.save_to(str(path))
            except Exception as error:  # whatever the VIDEO's own encoder raises
                raise ClipError(f"{node}: shot {number} could not be written to a file to join "
                                f"it ({type(error).__name__}: {error}); re-run that shot."
                                ) from None
            _hash_file(path, digest)
            sources.append(path)
    return sources, temporary, f"film_{digest.hexdigest()[:16]}.mp4"


class GatewayJoinVideos:
    NODE_NAME = "Join Video Shots"
    DESCRIPTION = ("Joins the shots' clips, in order, into one mp4 with their sound (silence for "
                   "a shot without). Clips from one model are copied without re-encoding; clips "
                   "that differ in codec, size or frame rate are re-encoded to the first clip's "
                   "size (letterboxed) and the output frame rate.")
    CATEGORY = "model_gateway/video"
    INPUT_IS_LIST = True
    RETURN_TYPES = ("VIDEO", "STRING")
    RETURN_NAMES = ("video", "path")
    OUTPUT_TOOLTIPS = (
        "The joined film as ComfyUI's native VIDEO: Save Video writes it without re-encoding.",
        "Where the joined mp4 is kept (output/model_gateway/joined/).")
    FUNCTION = "join"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        from .clip_join import MODES

        return {"required": {
            "videos": ("VIDEO", {"tooltip": "The shots' clips, as a list in shot order (the video "
                                            "output of Gateway Await Video fed by a list of "
                                            "shots)."}),
        }, "optional": {
            "fps": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 240.0, "step": 0.001,
                              "tooltip": "Frames per second of the film; 0 takes the first "
                                         "clip's. Clips at another rate are resampled (frames "
                                         "repeated or dropped)."}),
            "mode": (list(MODES), {"default": "auto", "tooltip":
                                   "auto: copy the clips where they match (no quality loss, "
                                   "fast), else re-encode. remux: copy or fail. re-encode: "
                                   "always re-encode (H.264)."}),
        }, "hidden": {"unique_id": "UNIQUE_ID"}}

    async def join(self, videos, fps=None, mode=None, unique_id=None):
        from ..providers import validation, waiting
        from . import clip_join

        node = self.NODE_NAME
        videos = list(videos) if isinstance(videos, (list, tuple)) else [videos]
        fps, mode = _first(fps, 0.0), _first(mode, "auto")
        unique_id = _first(unique_id)
        validation.check_widgets(node, self.INPUT_TYPES(), {"fps": fps, "mode": mode})
        if not videos:
            raise clip_join.ClipError(
                f"{node}: no clips came in (the videos list is empty). Connect the video output "
                f"of Gateway Await Video, fed by a list of shots.")
        show = comfy.Progress(unique_id)

        def joining(done, total):
            comfy.check_interrupted()
            if done % 24 == 0 or done == total:
                show(f"joining: {done} of {total} frames", done / max(total, 1))

        def work():
            sources, temporary, name = clip_sources(videos, node=node,
                                                    scratch=comfy.temp_directory())
            try:
                clips = [clip_join.probe(source, number, node=node)
                         for number, source in enumerate(sources, start=1)]
                return clip_join.join(clips, comfy.joined_directory() / name, mode=mode,
                                      fps=float(fps), node=node, progress=joining)
            finally:
                for path in temporary:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass

        try:
            joined = await waiting.in_thread(work)
        except BaseException:
            show.clear()
            raise
        path = str(joined.path)
        how = "copied" if joined.method == "remux" else "re-encoded"
        show(f"{len(videos)} shots {how}: {joined.frames} frames, {joined.seconds:.1f} s at "
             f"{joined.fps:g} fps, {joined.width}x{joined.height}"
             f"{'' if joined.audio else ', no sound'}", 1.0)
        return {"ui": {"images": comfy.preview_entries([path]), "animated": (True,)},
                "result": (comfy.video_from_file(path), path)}


NODES = (GatewayJoinVideos,)
