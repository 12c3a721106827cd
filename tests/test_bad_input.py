"""Every bad input fails before any request with a ValueError naming the node and the field —
never a bare TypeError/AttributeError/KeyError/IndexError/wave.Error, and never a request.
Each node is called as ComfyUI calls it: NODE_CLASS_MAPPINGS[id]().<FUNCTION>(**inputs)."""
from __future__ import annotations

import math
from urllib.parse import urlsplit

import numpy as np
import pytest
import torch

from conftest import PACK, submodule, NODES

nodes = NODES
names = PACK.NODE_DISPLAY_NAME_MAPPINGS
SEED_MAX = submodule("nodes.tasks").SEED_MAX
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply

LLM = dict(prompt="a lighthouse", system_prompt="Be brief.", temperature=0.5, top_p=0.9,
           max_tokens=200, seed=1, stream=False)
VIDEO = dict(prompt="a paper boat", duration=0, resolution="default", ratio="default",
             size="default", negative_prompt="", off_peak=False, seed=1)
GOOD_FRAME = torch.rand(1, 320, 480, 3)
GOOD_AUDIO = {"waveform": torch.zeros(1, 1, 16000), "sample_rate": 16000}

VALID = {
    "SeaCloudLLM": dict(LLM, model="gpt-4.1", protocol="chat_completions"),
    "CloudBaseLLM": dict(LLM, model="glm-5v-turbo", provider="cloudbase"),
    "OpenComputingLLM": dict(LLM, model="qwen3-max"),
    "SeaCloudSubmit": dict(model_id="nano_banana_2", prompt="a kite", params_json="{}", seed=1,
                           count=1),
    "GPTunnelSeedream3Submit": dict(prompt="a lighthouse", ar="16:9", seed=1, count=1),
    "GPTunnelSeedream4": dict(prompt="a fox", size="2K", aspect_ratio="16:9", seed=1, count=1),
    "GPTunnelMediaSubmit": dict(model="seedance-1-lite-480P-5s", prompt="a kite", ar="16:9",
                                seed=1, count=1),
    "OpenComputingTextToVideo": dict(VIDEO, model="Seedance 2.0 (Doubao)"),
    "OpenComputingImageToVideo": dict(VIDEO, model="Seedance 2.0 (Doubao)",
                                      first_frame=GOOD_FRAME),
    "OpenComputingReferenceToVideo": dict(VIDEO, model="Seedance 2.0 (Doubao)",
                                          images=torch.rand(1, 320, 320, 3)),
    "GatewayTaskFromId": dict(gateway="gptunnel", task_id="6876a7a68cc456ab830ab9df",
                              kind="image"),
    "GatewayAwaitImages": dict(timeout=60),
    "GatewayAwaitVideo": dict(timeout=60, max_frames=0, frame_step=1, max_side=1024),
}
LLM_NODES = ("SeaCloudLLM", "CloudBaseLLM", "OpenComputingLLM")
PROMPT_NODES = (*LLM_NODES, "SeaCloudSubmit", "GPTunnelSeedream3Submit", "GPTunnelSeedream4",
                "GPTunnelMediaSubmit", "OpenComputingTextToVideo", "OpenComputingImageToVideo",
                "OpenComputingReferenceToVideo")
IMAGE_INPUTS = [("SeaCloudLLM", "images"), ("SeaCloudSubmit", "images"),
                ("GPTunnelSeedream3Submit", "image"), ("GPTunnelSeedream4", "images"),
                ("GPTunnelMediaSubmit", "image"),
                ("OpenComputingImageToVideo", "first_frame"),
                ("OpenComputingImageToVideo", "last_frame"),
                ("OpenComputingReferenceToVideo", "images")]


def call(node_id, **inputs):
    values = {**VALID[node_id], **inputs}
    if node_id.startswith("GatewayAwait"):  # a task made without any request
        kind = "video" if node_id.endswith("Video") else "image"
        values["task"] = nodes["GatewayTaskFromId"]().task("gptunnel", "6876a7a68cc456ab830ab9df",
                                                           kind)[0]
    node = nodes[node_id]
    return getattr(node(), node.FUNCTION)(**values)


def refused(emulator, node_id, field, **inputs) -> str:
    with pytest.raises(ValueError) as caught:
        call(node_id, **inputs)
    message = str(caught.value)
    assert type(caught.value) is ValueError, repr(caught.value)
    assert message.startswith(names[node_id] + ": "), message
    assert field in message, message
    assert emulator.calls() == []
    return message


def case(node_id, field, **inputs):
    return pytest.param(node_id, field, inputs, id=f"{node_id}-{field}-{'-'.join(inputs)}")


def run_cases(cases):
    return pytest.mark.parametrize("node_id, field, inputs", cases)


# -- every widget of every node -------------------------------------------------------------

WIDGET_KINDS = ("INT", "FLOAT", "BOOLEAN", "STRING")


def widgets(node_id):
    spec = nodes[node_id].INPUT_TYPES()
    for section in ("required", "optional"):
        for name, (kind, *_) in spec.get(section, {}).items():
            if isinstance(kind, (list, tuple)) or kind in WIDGET_KINDS:
                yield name


# Nodes that send nothing to a gateway; their bad input is tested with them
# (tests/test_video_join.py, tests/test_film_shots.py, tests/test_shots.py).
OFFLINE_NODES = {"GatewayJoinVideos", "GatewayShotsPrompt", "GatewayShotsFromText"}


def test_every_node_has_valid_inputs_here():
    assert set(VALID) == set(nodes) - OFFLINE_NODES


@pytest.mark.parametrize("node_id, field", [(n, f) for n in VALID for f in widgets(n)])
def test_every_widget_refuses_a_value_of_the_wrong_type(emulator, fake_comfy, node_id, field):
    """A widget value from an API-format workflow or another node is checked like one typed in
    the UI: the node declares the type, so an object() is refused with the field's name."""
    message = refused(emulator, node_id, field, **{field: object()})
    assert f": {field} must be" in message


# -- text inputs ----------------------------------------------------------------------------

@run_cases([case(n, "prompt", prompt=None) for n in PROMPT_NODES]
           + [case(n, "prompt", prompt=5) for n in PROMPT_NODES]
           + [case(n, "prompt", prompt=["a", "b"]) for n in ("SeaCloudLLM", "GPTunnelSeedream4")]
           + [case(n, "system_prompt", system_prompt=None) for n in LLM_NODES]
           + [case(n, "system_prompt", system_prompt=3.5) for n in LLM_NODES]
           + [case("SeaCloudLLM", "custom_model", custom_model=7),
              case("SeaCloudLLM", "model", model=None),
              case("SeaCloudLLM", "model", model=42),
              case("SeaCloudLLM", "protocol", protocol="grpc"),   # KeyError on main
              case("SeaCloudLLM", "protocol", protocol=None),
              case("CloudBaseLLM", "provider", provider=None),
              case("CloudBaseLLM", "provider", provider=12),
              case("SeaCloudSubmit", "image_field", image_field=3),
              case("GPTunnelSeedream3Submit", "image_url", image_url=b"http://x"),
              case("GPTunnelSeedream3Submit", "ar", ar=None),
              case("GPTunnelSeedream4", "size", size=2),
              case("OpenComputingTextToVideo", "negative_prompt", negative_prompt=None),
              case("OpenComputingTextToVideo", "model", model=None),
              case("OpenComputingTextToVideo", "resolution", resolution=720),
              case("GatewayTaskFromId", "task_id", task_id=None),
              case("GatewayTaskFromId", "task_id", task_id=123456),
              case("GatewayTaskFromId", "kind", kind="audio"),
              case("GatewayTaskFromId", "gateway", gateway=None)])
def test_text_inputs_of_the_wrong_type(emulator, fake_comfy, node_id, field, inputs):
    refused(emulator, node_id, field, **inputs)


# -- images ---------------------------------------------------------------------------------

BAD_IMAGES = {
    "a list": [[[[0.5, 0.5, 0.5]]]],
    "a numpy array": np.zeros((1, 8, 8, 3), dtype=np.float32),
    "a string": "image.png",
    "2 channels": torch.rand(1, 16, 16, 2),
    "5 channels": torch.rand(1, 16, 16, 5),
    "uint8": torch.full((1, 16, 16, 3), 200, dtype=torch.uint8),
    "int64": torch.ones(1, 16, 16, 3, dtype=torch.int64),
    "bool": torch.ones(1, 16, 16, 3, dtype=torch.bool),
    "nan": torch.full((1, 16, 16, 3), math.nan),
    "inf": torch.full((1, 16, 16, 3), math.inf),
    "3-D HWC": torch.rand(16, 16, 3),
    "2-D": torch.rand(16, 16),
    "5-D": torch.rand(1, 1, 16, 16, 3),
    "empty batch": torch.rand(0, 16, 16, 3),
    "zero height": torch.rand(1, 0, 16, 3),
}


@pytest.mark.parametrize("what", BAD_IMAGES)
@pytest.mark.parametrize("node_id, field", IMAGE_INPUTS)
def test_bad_images(emulator, fake_comfy, node_id, field, what):
    image = BAD_IMAGES[what]
    if what == "nan" and node_id == "OpenComputingImageToVideo":
        image = torch.full((1, 320, 480, 3), math.nan)
    refused(emulator, node_id, field, **{field: image})


def test_one_nan_pixel_in_a_later_image_is_named(emulator):
    images = torch.rand(3, 16, 16, 3)
    images[2, 5, 5, 1] = math.nan
    message = refused(emulator, "SeaCloudLLM", "images", images=images)
    assert "image 3" in message and "NaN" in message


def test_first_frame_is_required(emulator):
    message = refused(emulator, "OpenComputingImageToVideo", "first_frame", first_frame=None)
    assert "required" in message


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_are_sent_as_float32_would_be(emulator, dtype):
    pixels = torch.rand(1, 24, 32, 3)
    call("SeaCloudLLM", images=pixels.to(dtype))
    (sent,) = emulator.calls("seacloud")[0].json["messages"][-1]["content"][1:]
    from test_llm_nodes import decode_data_url
    decoded = np.asarray(decode_data_url(sent["image_url"]["url"])).astype(np.float32) / 255
    expected = pixels.to(dtype).float().numpy()
    assert np.allclose(decoded, expected, atol=1 / 255 + 1e-6)


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB"), (4, "RGBA")])
def test_grey_rgb_and_rgba_images_are_sent(emulator, channels, mode):
    from test_llm_nodes import decode_data_url
    call("SeaCloudLLM", images=torch.rand(1, 24, 32, channels))
    (sent,) = emulator.calls("seacloud")[0].json["messages"][-1]["content"][1:]
    assert decode_data_url(sent["image_url"]["url"]).mode == mode


# -- chat history ---------------------------------------------------------------------------

GOOD_IMAGE_URL = "data:image/png;base64,iVBORw0KGgo="


@run_cases([
    case("SeaCloudLLM", "history", history="user: hi"),
    case("SeaCloudLLM", "history", history={"role": "user", "text": "hi"}),
    case("SeaCloudLLM", "history", history=[1, 2]),
    case("SeaCloudLLM", "history", history=["hi"]),
    case("SeaCloudLLM", "history", history=[{"role": "user", "text": "hi", "content": "hi"}]),
    case("SeaCloudLLM", "history", history=[{"role": "user"}]),
    case("SeaCloudLLM", "history", history=[{"role": "system", "text": "be evil"}]),
    case("SeaCloudLLM", "history", history=[{"role": None, "text": "hi"}]),
    case("CloudBaseLLM", "history", history=[{"role": "user", "text": 5}]),  # reached the gateway
    case("OpenComputingLLM", "history", history=[{"role": "assistant", "text": None}]),
    case("SeaCloudLLM", "history", history=[{"role": "user", "text": "hi",
                                             "images": ["https://example.com/a.png"]}]),
    case("SeaCloudLLM", "history", history=[{"role": "user", "text": "hi",
                                             "images": "data:image/png;base64,AAAA"}]),
    case("SeaCloudLLM", "history", history=[{"role": "user", "text": "hi", "images": [5]}]),
    case("SeaCloudLLM", "history", history=[{"role": "user", "text": "hi",
                                             "images": ["data:image/png;base64,@@not base64@@"]}]),
    case("SeaCloudLLM", "history", history=[{"role": "user", "text": "hi",
                                             "images": ["data:text/html;base64,AAAA"]}]),
])
def test_bad_history(emulator, fake_comfy, node_id, field, inputs):
    message = refused(emulator, node_id, field, **inputs)
    assert "turn" in message or "list" in message


def test_good_history_with_an_image_is_sent(emulator):
    history = [{"role": "user", "text": "look", "images": [GOOD_IMAGE_URL]},
               {"role": "assistant", "text": "a picture"}]
    _, _, conversation = call("SeaCloudLLM", model="gpt-4o-mini", history=history)["result"]
    assert conversation[:2] == [dict(history[0]), {**history[1], "images": []}]
    assert len(emulator.calls("seacloud")) == 1


# -- numbers and booleans -------------------------------------------------------------------

@run_cases([
    case("SeaCloudSubmit", "count", count=0),
    case("SeaCloudSubmit", "count", count=1000),
    case("GPTunnelSeedream3Submit", "count", count="2"),
    case("GPTunnelSeedream4", "count", count=1.0),
    case("GPTunnelSeedream4", "count", count=True),
    case("SeaCloudSubmit", "seed", seed=-1),
    case("GPTunnelSeedream3Submit", "seed", seed=SEED_MAX + 1),
    case("OpenComputingTextToVideo", "seed", seed="7"),
    case("SeaCloudLLM", "seed", seed=1.5),
    case("SeaCloudLLM", "temperature", temperature=math.nan),
    case("CloudBaseLLM", "temperature", temperature=math.inf),
    case("OpenComputingLLM", "temperature", temperature="0.7"),
    case("SeaCloudLLM", "temperature", temperature=-0.1),
    case("SeaCloudLLM", "top_p", top_p=math.nan),
    case("SeaCloudLLM", "top_p", top_p=None),
    case("SeaCloudLLM", "max_tokens", max_tokens=0),
    case("SeaCloudLLM", "max_tokens", max_tokens="100"),
    case("CloudBaseLLM", "max_tokens", max_tokens=10**9),
    case("OpenComputingLLM", "stream", stream="yes"),
    case("OpenComputingTextToVideo", "duration", duration=-1),
    case("OpenComputingTextToVideo", "duration", duration="5"),
    case("OpenComputingTextToVideo", "duration", duration=5.0),
    case("OpenComputingImageToVideo", "duration", duration=99),
    case("OpenComputingTextToVideo", "off_peak", off_peak="no"),
    case("GatewayAwaitImages", "timeout", timeout=-5),
    case("GatewayAwaitImages", "timeout", timeout=0),
    case("GatewayAwaitImages", "timeout", timeout="60"),
    case("GatewayAwaitVideo", "timeout", timeout=-1),
    case("GatewayAwaitVideo", "frame_step", frame_step=0),
    case("GatewayAwaitVideo", "max_frames", max_frames=-1),
    case("GatewayAwaitVideo", "max_side", max_side=None),
])
def test_numbers_out_of_range_or_of_the_wrong_type(emulator, fake_comfy, node_id, field, inputs):
    message = refused(emulator, node_id, field, **inputs)
    assert "got" in message


def test_the_range_comes_from_the_widget(emulator):
    message = refused(emulator, "SeaCloudSubmit", "count", count=9)
    assert "from 1 to 8" in message


# -- params_json ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, says", [
    ('{"strength": NaN}', "NaN"),
    ('{"strength": Infinity}', "Infinity"),
    ('{"strength": -Infinity}', "Infinity"),
    ('{"strength": 1e999}', "finite"),
    ("[" * 100_000 + "]" * 100_000, "characters"),
    ("[" * 30_000 + "]" * 30_000, "deep"),
    ('{"a": ' * 40 + "1" + "}" * 40, "deep"),
    ("[1, 2]", "object"),
    ("5", "object"),
    ('"text"', "object"),
    ("null", "object"),
    ('{"prompt": "other"}', "prompt"),
    ('{"seed": 3}', "seed"),
    ('{"a": "' + "x" * 70_000 + '"}', "characters"),
    ("{'a': 1}", "not valid JSON"),
    (None, "text"),
    (5, "text"),
])
def test_bad_params_json(emulator, text, says):
    message = refused(emulator, "SeaCloudSubmit", "params_json", params_json=text)
    assert says in message


def test_params_json_may_not_set_the_image_field_the_images_fill(emulator):
    message = refused(emulator, "SeaCloudSubmit", "params_json", images=torch.rand(1, 16, 16, 3),
                      params_json='{"image_urls": ["https://example.com/a.png"]}')
    assert "image_urls" in message and "images" in message


def test_params_json_may_set_the_image_field_when_no_images_are_connected(emulator):
    call("SeaCloudSubmit", params_json='{"image_urls": ["https://example.com/a.png"]}')
    assert emulator.calls()[0].json["image_urls"] == ["https://example.com/a.png"]


def test_params_json_nested_a_little_is_fine(emulator):
    call("SeaCloudSubmit", params_json='{"a": ' * 10 + "1.5" + "}" * 10)
    assert len(emulator.calls("seacloud", "/queue/")) == 1


# -- audio ----------------------------------------------------------------------------------

def audio(waveform=None, sample_rate=16000):
    return {"waveform": torch.zeros(1, 1, 16000) if waveform is None else waveform,
            "sample_rate": sample_rate}


BAD_AUDIO = {
    "rate 0": audio(sample_rate=0),
    "rate negative": audio(sample_rate=-16000),
    "rate string": audio(sample_rate="16000"),
    "rate float": audio(sample_rate=16000.5),
    "rate integral float": audio(sample_rate=16000.0),
    "rate bool": audio(sample_rate=True),
    "rate None": audio(sample_rate=None),
    "rate huge": audio(sample_rate=2**40),
    "1-D waveform": audio(torch.zeros(16000)),
    "2-D waveform": audio(torch.zeros(1, 16000)),
    "4-D waveform": audio(torch.zeros(1, 1, 1, 16000)),
    "empty": audio(torch.zeros(1, 1, 0)),
    "no channels": audio(torch.zeros(1, 0, 16000)),
    "two clips": audio(torch.zeros(2, 1, 16000)),
    "nan": audio(torch.full((1, 1, 16000), math.nan)),
    "int16": audio(torch.zeros(1, 1, 16000, dtype=torch.int16)),
    "waveform list": audio([[[0.0] * 100]]),
    "not a dict": "song.wav",
    "a list": [GOOD_AUDIO],
    "no waveform": {"sample_rate": 16000},
    "no rate": {"waveform": torch.zeros(1, 1, 100)},
}


@pytest.mark.parametrize("what", BAD_AUDIO)
def test_bad_audio(emulator, what):
    message = refused(emulator, "OpenComputingReferenceToVideo", "audio_2",
                      audio_2=BAD_AUDIO[what])
    assert "Error" not in message  # no wave.Error / IndexError text dressed up


def test_good_audio_is_sent(emulator):
    call("OpenComputingReferenceToVideo", audio_1=GOOD_AUDIO,
         audio_2=audio(torch.zeros(1, 2, 8000, dtype=torch.float16), 8000))
    assert len(emulator.calls("opencomputing", "/llmage/video")) == 1


# -- ids that go into URLs ------------------------------------------------------------------

@run_cases([
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="../../../gptunnel/v1/media/create"),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="vendor/model"),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="model?x=1"),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="model#x"),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="model%2Fx"),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id=".."),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="a b"),
    case("SeaCloudSubmit", "custom_model_id", custom_model_id="x" * 200),
    case("SeaCloudSubmit", "model_id", model_id="../../../gptunnel/v1/media/create"),
    case("GatewayTaskFromId", "task_id", gateway="seacloud", task_id="../../../llm/v1/messages"),
    case("GatewayTaskFromId", "task_id", gateway="seacloud", task_id="req-1?x=y"),
    case("GatewayTaskFromId", "task_id", gateway="seacloud", task_id="req/1"),
    case("GatewayTaskFromId", "task_id", gateway="seacloud", task_id=".."),
    case("GatewayTaskFromId", "task_id", gateway="gptunnel", task_id="6876a7a6-8cc4"),
    case("GatewayTaskFromId", "task_id", gateway="opencomputing", task_id="9367&taskid=1"),
    case("GatewayTaskFromId", "task_id", gateway="opencomputing", task_id="9" * 100),
])
def test_ids_with_path_or_query_characters(emulator, fake_comfy, node_id, field, inputs):
    message = refused(emulator, node_id, field, **inputs)
    assert "letters" in message or "one of" in message


def queue_path(emulator, tail: str) -> str:
    """The path a request to the SeaCloud queue's base URL + tail arrives at."""
    return urlsplit(emulator.base_url("seacloud", "model")).path + tail


def test_an_odd_valid_model_id_goes_to_exactly_its_path(emulator):
    call("SeaCloudSubmit", custom_model_id="My-model.v2_beta")
    (submit,) = emulator.calls()
    assert submit.raw_path == queue_path(emulator, "/v1/queue/My-model.v2_beta")


def test_an_odd_valid_task_id_is_polled_at_exactly_its_path(emulator, fake_comfy):
    task = call("GatewayTaskFromId", gateway="seacloud", task_id="  req-Ab.9_z ")[0]
    with pytest.raises(GatewayError):  # the emulator knows no such request
        nodes["GatewayAwaitImages"]().wait(task, 10)
    assert emulator.calls()[0].raw_path == queue_path(emulator,
                                                      "/v1/queue/requests/req-Ab.9_z/status")


def test_seacloud_escapes_any_id_it_puts_in_a_path(emulator):
    """Even past validation (a gateway's own request id, a caller of the client library) an id
    cannot leave its path segment."""
    odd = "../../gptunnel/v1/media/create?x=1#y"
    segment = "..%2F..%2Fgptunnel%2Fv1%2Fmedia%2Fcreate%3Fx%3D1%23y"
    seacloud = submodule("providers.seacloud")
    store = submodule("nodes.comfy").key_store()
    with pytest.raises(GatewayError):  # no such model
        seacloud.ADAPTERS["seacloud_queue"].submit(store, model_id=odd, params={"prompt": "x"},
                                                   fingerprint="f", kind="image")
    assert emulator.calls()[0].raw_path == queue_path(emulator, f"/v1/queue/{segment}")
    job = seacloud.ADAPTERS["seacloud_queue"].task(store, odd, "image", "f")
    assert job.handles["status_url"] == (emulator.base_url("seacloud", "model")
                                         + f"/v1/queue/requests/{segment}/status")


@pytest.mark.parametrize("dots", ["", ".", ".."])
def test_seacloud_refuses_ids_that_cannot_be_one_path_segment(emulator, dots):
    seacloud = submodule("providers.seacloud")
    store = submodule("nodes.comfy").key_store()
    with pytest.raises(ValueError, match="cannot be a model or request id"):
        seacloud.ADAPTERS["seacloud_queue"].submit(store, model_id=dots, params={"prompt": "x"},
                                                   fingerprint="f", kind="image")
    with pytest.raises(ValueError, match="cannot be a model or request id"):
        seacloud.ADAPTERS["seacloud_queue"].task(store, dots, "image", "f")
    assert emulator.calls() == []


def test_a_request_id_from_the_gateway_is_escaped_in_derived_urls(emulator):
    emulator.fail("seacloud", "/queue/", Reply(200, json={"request_id": "../x?y",
                                                          "status": "queued"}))
    task = call("SeaCloudSubmit")
    assert task[0].jobs[0].handles["status_url"] == (emulator.base_url("seacloud", "model")
                                                     + "/v1/queue/nano_banana_2/requests/"
                                                       "..%2Fx%3Fy/status")
