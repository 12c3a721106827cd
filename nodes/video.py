"""Video nodes: OpenComputing text / first-last frame / reference to video, and the one await
node that turns any gateway's video task into frames, audio, fps and ComfyUI's native VIDEO."""
from __future__ import annotations

import json

from ..providers import catalog
from ..providers.catalog import DEFAULT
from . import comfy
from .image import PROMPT
from .costs import BUDGET_HIDDEN, billed
from .tasks import TaskNode, await_task, seed_input, shot_seed, start_task, usage_json

VIDEO_TIMEOUT = 1800
# How many reference videos and audios the reference node offers: the catalog's most.
_, MAX_REFERENCE_VIDEOS, MAX_REFERENCE_AUDIOS = catalog.reference_limits()


def _union(attribute: str) -> list[str]:
    values: list[str] = []
    for model in catalog.VIDEO_MODELS:
        values += [v for v in getattr(model, attribute) if v not in values]
    return [DEFAULT] + values


def _span(values) -> str:
    values = sorted(values)
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return "/".join(map(str, values))


def _families(attribute: str) -> str:
    """'Seedance 2.0: 4-15, Seedance 1.5 pro: 4-12, Wan: 5/10/15, Vidu: 1-16': each model
    family's values, from the catalog (a family named by its first word where all its models
    agree, else by the first model's name for each set of values)."""
    groups: dict[str, dict[tuple, str]] = {}
    for model in catalog.VIDEO_MODELS:
        values = tuple(getattr(model, attribute))
        if values:
            base = model.name.split(" (")[0]
            groups.setdefault(base.split()[0], {}).setdefault(values, base)
    shown = []
    for family, variants in groups.items():
        for values, base in variants.items():
            text = _span(values) if attribute == "durations" else ", ".join(values)
            shown.append(f"{family if len(variants) == 1 else base}: {text}")
    return "; ".join(shown)


def _parameter_inputs() -> dict:
    shortest, longest = catalog.video_durations()
    return {
        "duration": ("INT", {"default": 0, "min": 0, "max": longest, "tooltip":
                     f"Length in seconds; 0 takes the model's default. "
                     f"{_families('durations')}."}),
        "resolution": (_union("resolutions"), {"default": DEFAULT, "tooltip":
                       f"'default' takes the model's. {_families('resolutions')}."}),
        "ratio": (_union("ratios"), {"default": DEFAULT, "tooltip":
                  "Aspect ratio, Seedance and Vidu; 'default' takes the model's."}),
        "size": (_union("sizes"), {"default": DEFAULT, "tooltip":
                 f"Width*height, Wan only; 'default' takes "
                 f"{next(m.size for m in catalog.VIDEO_MODELS if m.sizes)}."}),
        "negative_prompt": ("STRING", {"default": "", "tooltip":
                            "What to avoid in the video (Wan only)."}),
        "off_peak": ("BOOLEAN", {"default": False, "tooltip":
                     "Vidu only: run in off-peak hours, cheaper but it can take many hours. "
                     "Fetch it later with Gateway Task From Id."}),
        "seed": seed_input("video"),
    }


CUSTOM_MODEL = ("STRING", {"default": "", "tooltip":
                "A model from OpenComputing's live model list, by its name or llmid, used "
                "instead of model: one added after this release works too. A model the pack "
                "knows keeps its rules; another gets what you set, and OpenComputing decides."})


class _OpenComputingVideo(TaskNode):
    OPERATION = ""
    FUNCTION = "submit"
    CATEGORY = "model_gateway/video"

    @classmethod
    def INPUT_TYPES(cls):
        names = [m.name for m in catalog.video_models(cls.OPERATION)]
        # custom_model goes last: a widget before the saved ones would shift their values
        return {"required": {
            "model": (names, {"default": names[0], "tooltip":
                      "The model; its OpenComputing llmid is looked up by the pack."}),
            "prompt": PROMPT, **cls.media_inputs(), **_parameter_inputs(),
        }, "optional": {**cls.optional_inputs(), "custom_model": CUSTOM_MODEL},
            "hidden": {"unique_id": "UNIQUE_ID", **BUDGET_HIDDEN}}

    @classmethod
    def media_inputs(cls) -> dict:
        return {}

    @classmethod
    def optional_inputs(cls) -> dict:
        return {}

    def uploads(self, model, **media) -> list:
        return []

    @billed
    async def submit(self, model, prompt, duration, resolution, ratio, size, negative_prompt,
                     off_peak, seed, unique_id=None, custom_model="", **media):
        from ..providers import model_lists, opencomputing, validation, waiting

        node = self.NODE_NAME
        validation.check_widgets(node, self.INPUT_TYPES(), {**locals(), **media})
        seed = shot_seed(seed, unique_id)  # each shot of a list its own request
        custom = (custom_model or "").strip()
        if custom:  # may fetch OpenComputing's model list: not on the event loop; Cancel stops it
            chosen = await waiting.in_thread_until_done(lambda: model_lists.video_model(
                comfy.key_store(), comfy.data_directory(), self.OPERATION, custom, node=node),
                comfy.check_interrupted)
        else:
            chosen = catalog.video_model(self.OPERATION, model)
        if chosen is None:
            validation.check_choice(node, "model", model,
                                    [m.name for m in catalog.video_models(self.OPERATION)])
        validation.check_prompt(node, prompt)
        settings = validation.video_settings(node, chosen, duration=duration,
                                             resolution=resolution, ratio=ratio, size=size,
                                             negative_prompt=negative_prompt, off_peak=off_peak)
        # encoding frames (and re-encoding reference videos) takes a thread, not the event loop
        uploads = await waiting.in_thread_until_done(lambda: self.uploads(chosen, **media),
                                                     comfy.check_interrupted)
        fields = opencomputing.video_fields(chosen, prompt=prompt, **settings)
        create = opencomputing.video_create(comfy.key_store(), operation=self.OPERATION,
                                            model=chosen, fields=fields, uploads=uploads,
                                            seed=seed)
        return (await start_task(create, 1, unique_id),)


def _image_uploads(images, field: str, stem: str, limits, node: str, input_name: str) -> list:
    from ..providers.opencomputing import Upload
    from . import media

    encoded = media.encode_images(images, limits, node=node, field=input_name)
    return [Upload(field, f"{stem}{i + 1 if len(encoded) > 1 else ''}{e.extension}", e.data, e.mime)
            for i, e in enumerate(encoded)]


class OpenComputingTextToVideo(_OpenComputingVideo):
    NODE_NAME = "OpenComputing Text to Video"
    DESCRIPTION = ("Starts a text-to-video job on OpenComputing (Seedance 2.0 / 1.5, Wan 2.6, "
                   "Vidu) and returns a task for Gateway Await Video. Only the parameters the "
                   "chosen model takes are sent.")
    OPERATION = "t2v"


class OpenComputingImageToVideo(_OpenComputingVideo):
    NODE_NAME = "OpenComputing Image to Video"
    DESCRIPTION = ("Starts an image-to-video job on OpenComputing from a first frame and an "
                   "optional last frame (sent as files under each model's field names).")
    OPERATION = "i2v"

    @classmethod
    def media_inputs(cls):
        limits = catalog.SEEDANCE_LIMITS
        low, high = limits.aspect_range
        return {"first_frame": ("IMAGE", {"tooltip": f"The video's first frame (one image). "
                                                     f"Seedance: {limits.min_side}-"
                                                     f"{limits.max_side} px a side, aspect "
                                                     f"{low:g}-{high:g}; larger images are "
                                                     f"downscaled."})}

    @classmethod
    def optional_inputs(cls):
        return {"last_frame": ("IMAGE", {"tooltip": "The video's last frame (one image)."})}

    def uploads(self, model, first_frame, last_frame=None):
        from ..providers import validation
        from . import media

        node = self.NODE_NAME
        media.check_batch(first_frame, node, "first_frame", required=True)
        for name, frame in (("first_frame", first_frame), ("last_frame", last_frame)):
            validation.check_image_count(node, name, media.check_batch(frame, node, name), 1,
                                         model.name)
        first_field, last_field = model.frame_fields
        uploads = _image_uploads(first_frame, first_field, "first_frame", model.frame_limits,
                                 node, "first_frame")
        if last_frame is not None:
            uploads += _image_uploads(last_frame, last_field, "last_frame", model.frame_limits,
                                      node, "last_frame")
        return uploads


class OpenComputingReferenceToVideo(_OpenComputingVideo):
    NODE_NAME = "OpenComputing Reference to Video"
    _IMAGES, _VIDEOS, _AUDIOS = catalog.reference_limits()
    DESCRIPTION = (f"Starts a reference-to-video job on OpenComputing (Seedance 2.0): up to "
                   f"{_IMAGES} images, {_VIDEOS} videos and {_AUDIOS} audios (videos and audios "
                   f"{catalog.video_models('r2v')[0].max_reference_seconds:g} s at most in all; audio "
                   "only with an image or a video).")
    OPERATION = "r2v"

    @classmethod
    def optional_inputs(cls):
        inputs = {"images": ("IMAGE", {"tooltip": f"Reference images (a batch, up to "
                                                  f"{cls._IMAGES})."})}
        for i in range(1, MAX_REFERENCE_VIDEOS + 1):
            inputs[f"video_{i}"] = ("VIDEO", {"tooltip": "A reference video, sent as mp4."})
        for i in range(1, MAX_REFERENCE_AUDIOS + 1):
            inputs[f"audio_{i}"] = ("AUDIO", {"tooltip": "A reference audio, sent as WAV."})
        return inputs

    def uploads(self, model, images=None, **media_inputs):
        from ..providers import validation
        from ..providers.opencomputing import Upload
        from . import media, reference_media

        node = self.NODE_NAME
        media.check_audio_inputs(node, media_inputs)
        videos = [(k, v) for k, v in sorted(media_inputs.items()) if k.startswith("video_") and v is not None]
        audios = [(k, v) for k, v in sorted(media_inputs.items()) if k.startswith("audio_") and v is not None]
        video_files = [reference_media.video_file(v, node=node, field=k) for k, v in videos]
        audio_files = [reference_media.audio_file(a, node=node, field=k) for k, a in audios]
        validation.check_references(node, model, images=media.check_batch(images, node, "images"),
                                    video_seconds=[s for _, s in video_files],
                                    audio_seconds=[s for _, s in audio_files])
        uploads = [] if images is None else _image_uploads(images, "image_files", "image_",
                                                           model.frame_limits, node, "images")
        uploads += [Upload("video_files", f"video_{i + 1}.mp4", data, "video/mp4")
                    for i, (data, _) in enumerate(video_files)]
        uploads += [Upload("audio_files", f"audio_{i + 1}.wav", data, "audio/wav")
                    for i, (data, _) in enumerate(audio_files)]
        return uploads


def _decode_kept(job, *, node: str, progress, **options):
    """(decoded video, cover) of a finished job; a damaged file is a media.DamagedResult."""
    from . import media, video_decode

    path = job.files[0]
    try:
        decoded = video_decode.decode_video(path, memory_budget_bytes=media.memory_budget(),
                                            node=node, progress=progress, **options)
    except ValueError as error:
        # The decoder names the file exactly when the file itself is at fault (cannot be
        # opened, holds no frame); budget and option errors do not name it.
        if str(path) in str(error):
            raise media.DamagedResult(str(error), path) from None
        raise
    if decoded.truncated:  # a damaged result is an error, not a quietly shorter video
        raise media.DamagedResult(decoded.warning, path)
    cover = (media.load_images([job.cover_file], node=node) if job.cover_file
             else decoded.frames[:1].clone())
    return decoded, cover


class GatewayAwaitVideo:
    NODE_NAME = "Gateway Await Video"
    DESCRIPTION = ("Waits for a video task from any gateway (minutes, with elapsed time and an "
                   "estimate on the node), downloads the mp4 at once and keeps it, and decodes "
                   "it once into frames, audio and fps. Interrupting never loses the task.")
    CATEGORY = "model_gateway/video"
    RETURN_TYPES = ("IMAGE", "AUDIO", "FLOAT", "VIDEO", "STRING", "STRING", "IMAGE")
    RETURN_NAMES = ("frames", "audio", "fps", "video", "path", "usage", "cover")
    OUTPUT_TOOLTIPS = (
        "The video's frames [N,H,W,3] (after max_frames, frame_step, max_side).",
        "The soundtrack (silent audio of the same length when the video has none).",
        "Frames per second of the frames output (source fps / frame_step).",
        "ComfyUI's native VIDEO of the kept file: Save Video writes it without re-encoding.",
        "Where the mp4 is kept (one a line if the task made several).",
        "JSON: gateway, task ids, and credits/usage where the gateway says.",
        "The gateway's cover image, or the first frame where it sends none.")
    FUNCTION = "wait"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "task": ("GATEWAY_TASK", {"tooltip": "A video task from a submit node or Gateway "
                                                 "Task From Id."}),
            "timeout": ("INT", {"default": VIDEO_TIMEOUT, "min": 10, "max": 7 * 86400,
                                "step": 10, "tooltip":
                                "Seconds to wait (default 30 min). The task is kept: run again "
                                "to keep waiting, or fetch it later with Gateway Task From Id."}),
            "max_frames": ("INT", {"default": 0, "min": 0, "max": 100000, "tooltip":
                                   "Decode at most this many frames (0: all)."}),
            "frame_step": ("INT", {"default": 1, "min": 1, "max": 100, "tooltip":
                                   "Keep every n-th frame (fps is divided by n)."}),
            "max_side": ("INT", {"default": 1024, "min": 0, "max": 8192, "step": 8, "tooltip":
                                 "Resize while decoding so the longer side is at most this (0: "
                                 "full size). Keeps a 1080p 15 s video at about 2.5 GB."}),
        }, "hidden": {"unique_id": "UNIQUE_ID"}}

    async def wait(self, task, timeout, max_frames, frame_step, max_side, unique_id=None):
        from ..providers import validation, waiting
        from . import media

        node = self.NODE_NAME
        validation.check_widgets(node, self.INPUT_TYPES(), locals(), low={"timeout": 1})
        jobs = await await_task(task, node=node, expect="video", timeout=timeout,
                                unique_id=unique_id)
        path = jobs[0].files[0]
        show = comfy.Progress(unique_id)

        def decoding(kept, planned):
            comfy.check_interrupted()
            if kept % 12 == 0 or kept == planned:
                show(f"decoding: {kept} of {planned} frames", kept / max(planned, 1))

        # Decoding takes a thread (and checks Cancel per frame), never the event loop.
        try:
            decoded, cover = await waiting.in_thread(lambda: media.load_results(
                jobs, "video", lambda: _decode_kept(jobs[0], node=node, progress=decoding,
                                                    max_frames=max_frames, frame_step=frame_step,
                                                    max_side=max_side), node=node))
        except Exception as error:  # a shot whose file is damaged fails alone, counted so
            show.clear(failed=not comfy.is_interrupt(error))
            raise
        paths = "\n".join(p for job in jobs for p in job.files)
        usage = json.loads(usage_json(jobs, task.asked_at))
        if decoded.warning:
            usage["warning"] = decoded.warning
        show.done(f"{decoded.frames.shape[0]} frames at {decoded.fps:g} fps"
                  + (f" · {decoded.warning}" if decoded.warning else ""))
        usage = json.dumps(usage, ensure_ascii=False)
        return {"ui": {"images": comfy.preview_entries([path]), "animated": (True,),
                       "usage": [usage]},
                "result": (decoded.frames, decoded.audio, float(decoded.fps),
                           comfy.video_from_file(path), paths, usage, cover)}


NODES = (OpenComputingTextToVideo, OpenComputingImageToVideo, OpenComputingReferenceToVideo,
         GatewayAwaitVideo)
