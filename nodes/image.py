"""Image nodes: SeaCloud's queue (any model id), GPTunnel Seedream 3 (async) and 4 (sync), and
GPTunnel Media Submit for every model of GPTunnel's create endpoint (images and video)."""
from __future__ import annotations

import base64
import binascii
import time

from ..providers import catalog
from . import comfy
from .costs import BUDGET_HIDDEN, billed
from .tasks import (TaskNode, count_input, seed_input, shot_seed, start_jobs, start_task,
                    usage_json)

PROMPT = ("STRING", {"multiline": True, "default": "", "tooltip":
                     "What to generate. Connect an LLM node's text here to have it written."})


class SeaCloudSubmit(TaskNode):
    NODE_NAME = "SeaCloud Submit"
    DESCRIPTION = ("Starts a job on SeaCloud's model queue (images or video) and returns at once "
                   "with a task for Gateway Await Images / Video. The same inputs and seed reuse "
                   "the journalled job instead of paying again.")
    FUNCTION = "submit"

    @classmethod
    def INPUT_TYPES(cls):
        models = [m.id for m in catalog.SEACLOUD_QUEUE_MODELS]
        return {"required": {
            "model_id": (models, {"default": models[0], "tooltip":
                         "SeaCloud model id (the endpoint). For one not listed, type it into "
                         "custom_model_id."}),
            "prompt": PROMPT,
            "params_json": ("STRING", {"multiline": True, "default": "{}", "tooltip":
                            "Any further model parameters as a JSON object, sent as they are, "
                            'e.g. {"aspect_ratio": "16:9"}.'}),
            "seed": seed_input("result"),
            "count": count_input(),
        }, "optional": {
            "custom_model_id": ("STRING", {"default": "", "tooltip":
                                "A model id not in the list; when set it replaces model_id."}),
            "images": ("IMAGE", {"tooltip": "Input images (e.g. to edit, or a first frame), sent "
                                            "as PNG data URLs in the model's image field."}),
            "image_field": ("STRING", {"default": "", "tooltip":
                            "Body field for the images, for a model not in the list (e.g. "
                            "image_urls for a list, image_url for one image)."}),
        }, "hidden": {"unique_id": "UNIQUE_ID", **BUDGET_HIDDEN}}

    @billed
    async def submit(self, model_id, prompt, params_json, seed, count, custom_model_id="", images=None,
               image_field="", unique_id=None):
        from ..providers import seacloud, validation
        from . import media

        node = self.NODE_NAME
        validation.check_widgets(node, self.INPUT_TYPES(), locals())
        seed = shot_seed(seed, unique_id)  # each shot of a list its own request
        validation.check_model_id(node, "custom_model_id", custom_model_id or "")
        model_id = (custom_model_id or "").strip() or model_id
        known = catalog.queue_model(model_id)
        validation.check_prompt(node, prompt)
        validation.check_count(node, count)
        seed_field = known.seed_field if known else None
        params = validation.parse_params_json(node, params_json,
                                              reserved=("prompt",) + ((seed_field,) if seed_field else ()))
        field = (image_field or "").strip() or (known.image_field if known else "")
        image_count = media.check_batch(images, node, "images")
        if image_count:
            validation.check_not_in_params(node, params, field, "images")
        if known and known.requires_image and not image_count:
            validation.fail(node, "images", f"is required: {model_id} makes a video from an image.")
        if image_count and not field:
            validation.fail(node, "image_field", f"is needed to send images to {model_id}, which "
                                                 f"this pack does not know: name its image field.")
        if known and image_count:
            validation.check_image_count(node, "images", image_count, known.max_images, model_id)
        limits = known.limits if known else catalog.GENERIC_UPLOAD_LIMITS
        encoded = await media.encode_images_in_thread(images, limits, node=node, field="images") \
            if image_count else []
        single = (not known.image_list) if known else field.endswith("_url")
        if single and len(encoded) > 1:
            validation.fail(node, "images", f"holds {len(encoded)} images; {field} takes one.")
        body = {**params, "prompt": prompt}
        if encoded:
            body[field] = encoded[0].data_url if single else [e.data_url for e in encoded]
        create = seacloud.queue_create(
            comfy.key_store(), model_id=model_id, kind=known.kind if known else "any", body=body,
            seed=seed, seed_field=seed_field,
            identity={"params": params, "prompt": prompt, "images": [e.sha256 for e in encoded],
                      "image_field": field})
        return (await start_task(create, count, unique_id),)


class GPTunnelSeedream3Submit(TaskNode):
    NODE_NAME = "GPTunnel Seedream 3 Submit"
    DESCRIPTION = ("Starts Seedream 3 on GPTunnel (asynchronous) and returns a task for Gateway "
                   "Await Images. GPTunnel takes a reference image only as a URL: a connected "
                   "IMAGE is sent as a data URL, which GPTunnel may refuse.")
    CATEGORY = "model_gateway/image"
    FUNCTION = "submit"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "prompt": PROMPT,
            "ar": (list(catalog.SEEDREAM3_RATIOS), {"default": "1:1", "tooltip":
                   "Aspect ratio. Ignored by the gateway when a reference image is given."}),
            "seed": seed_input("image"),
            "count": count_input(),
        }, "optional": {
            "image": ("IMAGE", {"tooltip": "A reference image to change (one). Sent as a data URL; "
                                           "prefer image_url where you have one."}),
            "image_url": ("STRING", {"default": "", "tooltip":
                          "A public URL of a reference image to change (one)."}),
        }, "hidden": {"unique_id": "UNIQUE_ID", **BUDGET_HIDDEN}}

    @billed
    async def submit(self, prompt, ar, seed, count, image=None, image_url="", unique_id=None):
        from ..providers import gptunnel, validation
        from . import media

        node = self.NODE_NAME
        validation.check_widgets(node, self.INPUT_TYPES(), locals())
        seed = shot_seed(seed, unique_id)  # each shot of a list its own request
        validation.check_prompt(node, prompt)
        validation.check_choice(node, "ar", ar, catalog.SEEDREAM3_RATIOS)
        validation.check_count(node, count)
        image_url = (image_url or "").strip()
        image_count = media.check_batch(image, node, "image")
        if image_count and image_url:
            validation.fail(node, "image", "and image_url are both set: Seedream 3 takes one "
                                           "reference image. Disconnect one.")
        validation.check_image_count(node, "image", image_count, 1, "Seedream 3")
        if image_url and not image_url.startswith(("http://", "https://", "data:image/")):
            validation.fail(node, "image_url", f"must be an http(s) URL (got {image_url[:60]!r}).")
        reference = image_url
        identity_image = image_url
        if image_count:
            encoded = (await media.encode_images_in_thread(image, catalog.SEEDREAM_LIMITS, node=node,
                                                           field="image"))[0]
            reference, identity_image = encoded.data_url, encoded.sha256
        body = {"model": "seedream-3", "prompt": prompt}
        if reference:
            body["images"] = [reference]
        else:
            body["ar"] = ar
        create = gptunnel.seedream3_create(
            comfy.key_store(), body=body,
            identity={"model": "seedream-3", "prompt": prompt, "ar": None if reference else ar,
                      "image": identity_image, "seed": seed})
        return (await start_task(create, count, unique_id),)


DEFAULT_RATIO = "default"  # not sent: the model's own default


def _media_ratios() -> list[str]:
    ratios: list[str] = []
    for model in catalog.GPTUNNEL_MEDIA_MODELS:
        ratios += [r for r in model.ratios if r not in ratios]
    return [DEFAULT_RATIO] + ratios


class GPTunnelMediaSubmit(TaskNode):
    NODE_NAME = "GPTunnel Media Submit"
    DESCRIPTION = ("Starts any model of GPTunnel's create endpoint (Seedream 3, GPT Image, "
                   "Imagen 3, Seedance, Veo) and returns a task: connect image models to Gateway "
                   "Await Images, video models to Gateway Await Video. The same inputs and seed "
                   "reuse the journalled job instead of paying again.")
    FUNCTION = "submit"
    MODEL_TABLE = "gptunnel_media"  # the catalog's table the page reads this node's models from

    @classmethod
    def INPUT_TYPES(cls):
        models = [m.id for m in catalog.GPTUNNEL_MEDIA_MODELS]
        return {"required": {
            "model": (models, {"default": models[0], "tooltip":
                      "GPTunnel model: image models (seedream-3, gpt-image-1-*, google-imagen-3) "
                      "or video models (seedance-1-*, glabs-veo-*)."}),
            "prompt": PROMPT,
            "ar": (_media_ratios(), {"default": DEFAULT_RATIO, "tooltip":
                   "Aspect ratio; 'default' sends none (the model's own). Each model takes its "
                   "own set (Seedance 1:1, 16:9, 9:16; Imagen also 21:9 and 9:21)."}),
            "seed": seed_input("result"),
            "count": count_input(),
        }, "optional": {
            "image": ("IMAGE", {"tooltip": "A reference image (the first frame for video "
                                           "models), sent as a data URL; prefer image_url."}),
            "image_url": ("STRING", {"default": "", "tooltip":
                          "A public URL of a reference image (the first frame for video)."}),
        }, "hidden": {"unique_id": "UNIQUE_ID", **BUDGET_HIDDEN}}

    @billed
    async def submit(self, model, prompt, ar, seed, count, image=None, image_url="",
                     unique_id=None):
        from ..providers import gptunnel, validation
        from . import media

        node = self.NODE_NAME
        validation.check_widgets(node, self.INPUT_TYPES(), locals())
        seed = shot_seed(seed, unique_id)  # each shot of a list its own request
        chosen = catalog.media_model(model)
        validation.check_prompt(node, prompt)
        validation.check_count(node, count)
        if ar != DEFAULT_RATIO:
            validation.check_choice(node, "ar", ar, chosen.ratios)
        image_url = (image_url or "").strip()
        image_count = media.check_batch(image, node, "image")
        if image_count and image_url:
            validation.fail(node, "image", "and image_url are both set: GPTunnel takes one "
                                           "reference image here. Disconnect one.")
        if image_url and not image_url.startswith(("http://", "https://", "data:image/")):
            validation.fail(node, "image_url", f"must be an http(s) URL (got {image_url[:60]!r}).")
        given = image_count + (1 if image_url else 0)
        if given and not chosen.max_images:
            validation.fail(node, "image", f"cannot go to {model}, which takes no reference "
                                           f"image. Disconnect it, or pick another model.")
        validation.check_image_count(node, "image", image_count, chosen.max_images, model)
        reference, identity_image = image_url, image_url
        if image_count:
            encoded = await media.encode_images_in_thread(image, catalog.SEEDREAM_LIMITS,
                                                          node=node, field="image")
            reference, identity_image = encoded[0].data_url, encoded[0].sha256
            if len(encoded) > 1:
                reference = [e.data_url for e in encoded]
                identity_image = [e.sha256 for e in encoded]
        body = {"model": model, "prompt": prompt}
        if reference:
            body["images"] = reference if isinstance(reference, list) else [reference]
        sent_ar = ar if ar != DEFAULT_RATIO and (chosen.ratio_with_images or not reference) \
            else None
        if sent_ar:
            body["ar"] = sent_ar
        # the same identity as GPTunnel Seedream 3 Submit's, so one request is one job
        create = gptunnel.media_create(
            comfy.key_store(), body=body, kind=chosen.kind, estimate=chosen.estimate,
            identity={"model": model, "prompt": prompt, "ar": sent_ar, "image": identity_image,
                      "seed": seed})
        return (await start_task(create, count, unique_id),)


class GPTunnelSeedream4:
    NODE_NAME = "GPTunnel Seedream 4"
    DESCRIPTION = ("Makes images with Seedream 4 on GPTunnel in one call, asking for base64 so "
                   "there is no expiring link to chase. Each result is journalled: the same "
                   "inputs and seed reuse it, and a result that arrives after you pressed Cancel "
                   "is kept for the next run.")
    CATEGORY = "model_gateway/image"
    RETURN_TYPES = ("IMAGE", "STRING")
    RETURN_NAMES = ("images", "usage")
    OUTPUT_TOOLTIPS = ("The generated images as one batch.",
                       "JSON: task ids and the cost GPTunnel reports.")
    FUNCTION = "generate"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "prompt": PROMPT,
            "size": (list(catalog.SEEDREAM4_SIZES), {"default": "2K", "tooltip":
                     "Resolution class of the result, 1K to 4K."}),
            "aspect_ratio": (list(catalog.SEEDREAM4_RATIOS), {"default": "1:1", "tooltip":
                             "Aspect ratio of the result."}),
            "seed": seed_input("image"),
            "count": count_input(),
        }, "optional": {
            "images": ("IMAGE", {"tooltip": f"Up to {catalog.SEEDREAM4_MAX_IMAGES} reference "
                                            f"images (a batch), sent as data URLs."}),
        }, "hidden": {"unique_id": "UNIQUE_ID", **BUDGET_HIDDEN}}

    @billed
    async def generate(self, prompt, size, aspect_ratio, seed, count, images=None, unique_id=None):
        from ..providers import gptunnel, progress, validation, waiting
        from . import media

        node = self.NODE_NAME
        validation.check_widgets(node, self.INPUT_TYPES(), locals())
        seed = shot_seed(seed, unique_id)  # each shot of a list its own request
        validation.check_prompt(node, prompt)
        validation.check_choice(node, "size", size, catalog.SEEDREAM4_SIZES)
        validation.check_choice(node, "aspect_ratio", aspect_ratio, catalog.SEEDREAM4_RATIOS)
        validation.check_count(node, count)
        image_count = media.check_batch(images, node, "images")
        validation.check_image_count(node, "images", image_count, catalog.SEEDREAM4_MAX_IMAGES,
                                     "Seedream 4")
        encoded = await media.encode_images_in_thread(images, catalog.SEEDREAM_LIMITS, node=node,
                                                      field="images") if image_count else []
        body = {"model": "seedream-4", "prompt": prompt, "size": size,
                "aspect_ratio": aspect_ratio, "response_format": "base64"}
        if encoded:
            body["images"] = [e.data_url for e in encoded]
        store, files_dir = comfy.key_store(), comfy.files_directory()
        create = gptunnel.seedream4_create(
            store, body=body,
            identity={"model": "seedream-4", "prompt": prompt, "size": size,
                      "aspect_ratio": aspect_ratio, "images": [e.sha256 for e in encoded],
                      "seed": seed},
            keep=lambda reply, fp: _finished_job(reply, fp, store, files_dir))
        comfy.Progress(unique_id)(f"GPTunnel seedream-4: generating {count} image(s)", 0.1)
        # Each call runs to its end in a worker that journals its result: pressing Cancel stops
        # the wait here at once, while a result still arriving is kept for the next run.
        asked_at = time.time()
        jobs = await start_jobs(create, count, unique_id)
        # reused from the journal: made on another worker, or deleted since
        await waiting.in_thread(lambda: [_here(job, store, files_dir) for job in jobs])
        paths = [p for job in jobs for p in job.files]
        result = await waiting.in_thread(lambda: media.load_images(paths, node=node))
        comfy.Progress(unique_id).done(progress.summarize(jobs, 0)[0])
        usage = usage_json(jobs, asked_at)
        return {"ui": {"images": comfy.preview_entries(paths), "usage": [usage]},
                "result": (result, usage)}


def _here(job, store, files_dir) -> None:
    from ..providers import poller
    if not poller.files_present(job, files_dir):
        comfy.journal().save(poller.files_here(job, "image", store, files_dir))


def _finished_job(reply: dict, fp: str, store, files_dir):
    """A journal job for a synchronous Seedream 4 answer, its image saved to files_dir."""
    from ..providers import download, journal, poller
    from ..providers.errors import GatewayError
    from ..providers.tasks import Job, State

    task_id = str(reply.get("id") or fp[:24])
    result = reply["result"]
    job = Job("gptunnel", "seedream4", task_id, fp, "seedream-4", "image", state=State.SUCCEEDED,
              usage={k: reply[k] for k in ("cost",) if k in reply})
    if not isinstance(result, str):
        raise GatewayError("GPTunnel", "sent a result that is neither a URL nor base64",
                           raw=str(result)[:200])
    if result.startswith(("http://", "https://")):
        job.result_urls = [result]
        return poller.files_here(job, "image", store, files_dir)
    try:
        data = base64.b64decode(result.split(",", 1)[-1], validate=False)
    except (binascii.Error, ValueError):
        raise GatewayError("GPTunnel", "sent a result that is neither a URL nor base64",
                           raw=result[:200]) from None
    kind = ".png" if data.startswith(b"\x89PNG") else ".webp" if data[8:12] == b"WEBP" else ".jpg"
    # the id names the file: only safe characters, so it cannot point outside files_dir
    dest = files_dir / f"gptunnel_{poller._safe(task_id)}_0{kind}"
    download.save_bytes(data, dest, title="GPTunnel", max_bytes=poller.download_limit("image"),
                        limit_hint=poller.limit_hint("image"))
    job.files, job.files_host = [str(dest)], journal.host_name()
    return job


NODES = (SeaCloudSubmit, GPTunnelSeedream3Submit, GPTunnelSeedream4, GPTunnelMediaSubmit)
