"""GPTunnel's create endpoint serves more than Seedream 3 (docs.gptunnel.ru creative-lab pages):
GPT Image, Imagen 3, Seedance 1 lite/pro and Veo, images and video. GPTunnel Media Submit starts
any of them; the existing await nodes turn them into IMAGE / VIDEO outputs, with the cost the
gateway reports."""
from __future__ import annotations

import json

import pytest
import torch

from conftest import KEYS, PACK, submodule, NODES
from test_image_nodes import await_images, seedream3_submit
from test_video_nodes import await_video

nodes = NODES
catalog = submodule("providers.catalog")
GatewayError = submodule("providers.errors").GatewayError

IMAGE_MODELS = [m.id for m in catalog.GPTUNNEL_MEDIA_MODELS if m.kind == "image"]
VIDEO_MODELS = [m.id for m in catalog.GPTUNNEL_MEDIA_MODELS if m.kind == "video"]


def media_submit(model, **inputs):
    values = {"model": model, "prompt": "a kite over dunes", "ar": "default", "seed": 3,
              "count": 1, **inputs}
    return nodes["GPTunnelMediaSubmit"]().submit(**values)[0]


def test_the_documented_models_are_in_the_catalog():
    ids = {m.id: m.kind for m in catalog.GPTUNNEL_MEDIA_MODELS}
    assert {"seedance-1-lite-480P-5s": "video", "seedance-1-pro-1080P-5s": "video",
            "gpt-image-1-high": "image", "google-imagen-3": "image",
            "glabs-veo-3-1-fast": "video", "seedream-3": "image"}.items() <= ids.items()


@pytest.mark.parametrize("model", IMAGE_MODELS)
def test_image_models_run_through_submit_and_await_images(emulator, model):
    ar = catalog.media_model(model).ratios[1]
    task = media_submit(model, ar=ar)
    (create,) = emulator.calls("gptunnel", "/v1/media/create")
    assert create.headers["authorization"] == KEYS["gptunnel"]
    assert create.json == {"model": model, "prompt": "a kite over dunes", "ar": ar}
    assert task.jobs[0].kind == "image" and task.jobs[0].label == model
    images, urls, usage = await_images(task)
    assert images.shape[0] == 1 and images.shape[-1] == 3 and float(images.max()) > 0
    usage = json.loads(usage)
    assert usage["gateway"] == "gptunnel" and usage["tasks"][0]["total_cost"] == 0.5


@pytest.mark.parametrize("model", VIDEO_MODELS)
def test_video_models_run_through_submit_and_await_video(emulator, model):
    task = media_submit(model, ar="16:9", image_url="https://example.com/first.png")
    (create,) = emulator.calls("gptunnel", "/v1/media/create")
    assert create.json == {"model": model, "prompt": "a kite over dunes", "ar": "16:9",
                           "images": ["https://example.com/first.png"]}
    frames, audio, fps, video, path, usage, cover = await_video(task)
    assert frames.ndim == 4 and frames.shape[0] > 1 and fps > 0
    assert path.endswith(".mp4")
    assert json.loads(usage)["tasks"][0]["total_cost"] == 0.5


def test_default_ratio_is_not_sent(emulator):
    await_images(media_submit("google-imagen-3"))
    assert "ar" not in emulator.calls("gptunnel", "/v1/media/create")[0].json


def test_a_video_task_is_refused_by_await_images(emulator):
    task = media_submit("seedance-1-lite-480P-5s")
    with pytest.raises(ValueError, match="connect it to Gateway Await Video"):
        await_images(task)


@pytest.mark.parametrize("model, inputs, message", [
    ("seedance-1-lite-480P-5s", {"ar": "4:3"}, "ar must be one of 1:1, 16:9, 9:16"),
    ("google-imagen-3", {"image_url": "https://example.com/x.png"}, "takes no reference image"),
    ("seedance-1-lite-480P-5s", {"image": torch.rand(2, 16, 16, 3)}, "takes at most 1"),
    ("gpt-image-1-high", {"image": torch.rand(1, 8, 8, 3), "image_url": "https://x/y.png"},
     "both set"),
])
def test_bad_input_fails_before_any_request(emulator, model, inputs, message):
    with pytest.raises(ValueError, match=message):
        media_submit(model, **inputs)
    assert emulator.calls() == []


def test_references_of_a_model_that_takes_several(emulator):
    await_images(media_submit("gpt-image-1-high", image=torch.rand(2, 16, 16, 3)))
    images = emulator.calls("gptunnel", "/v1/media/create")[0].json["images"]
    assert len(images) == 2 and all(i.startswith("data:image/png;base64,") for i in images)


def test_one_request_from_either_node_is_one_job(emulator):
    """Seedream 3 through the media node and through its own node: the same request, journalled
    once, paid once."""
    first = seedream3_submit(ar="16:9", seed=9)
    second = media_submit("seedream-3", ar="16:9", seed=9, prompt="a lighthouse")
    assert first.jobs[0].task_id == second.jobs[0].task_id
    assert len(emulator.calls("gptunnel", "/v1/media/create")) == 1


def test_a_video_task_from_its_id(emulator):
    task = media_submit("glabs-veo-3-1-fast")
    fetched = nodes["GatewayTaskFromId"]().task("gptunnel", task.jobs[0].task_id, "video")[0]
    frames = await_video(fetched)[0]
    assert frames.shape[0] > 1
