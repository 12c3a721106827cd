"""The three LLM nodes driven through real HTTP against the emulator."""
from __future__ import annotations

import base64
import io
import json

import pytest
import torch
from PIL import Image

from conftest import KEYS, PACK, NODES

nodes = NODES

BASE = dict(system_prompt="Answer briefly.", temperature=0.5, top_p=0.9, max_tokens=200, seed=42)


def run(node_id, **inputs):
    values = {"prompt": "a lighthouse in a storm", **BASE, "stream": False, **inputs}
    if node_id == "SeaCloudLLM":
        values.setdefault("protocol", "chat_completions")
        values.setdefault("model", "gpt-4.1")
    elif node_id == "CloudBaseLLM":
        values.setdefault("provider", "cloudbase")
        values.setdefault("model", "hy3-preview")
    else:
        values.setdefault("model", "qwen3-max")
    output = nodes[node_id]().chat(**values)
    assert output["ui"]["usage"] == [output["result"][1]]  # shown on the node
    return output["result"]


def decode_data_url(url: str) -> Image.Image:
    head, _, data = url.partition(",")
    assert head.startswith("data:image/") and head.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(data)))


@pytest.mark.parametrize("stream", [False, True])
def test_seacloud_chat_completions(emulator, stream):
    text, usage, history = run("SeaCloudLLM", stream=stream)
    assert text == ("[sandbox SeaCloud gpt-4.1] A cinematic, detailed scene of a lighthouse in a "
                    "storm, soft golden light, shallow depth of field.")
    (call,) = emulator.calls("seacloud")
    assert call.method == "POST" and call.path == "/llm/v1/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEYS['seacloud']}"
    body = call.json
    assert body["model"] == "gpt-4.1" and body["stream"] is stream
    assert body["messages"] == [{"role": "system", "content": "Answer briefly."},
                                {"role": "user", "content": "a lighthouse in a storm"}]
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"]) == (0.5, 0.9, 200, 42)
    if stream:
        assert call.headers["accept"] == "text/event-stream"
        assert body["stream_options"] == {"include_usage": True}
    usage = json.loads(usage)
    assert usage["request_id"] == call.headers["x-request-id"]
    assert usage["gateway"] == "seacloud" and usage["model"] == "gpt-4.1"
    assert usage["prompt_tokens"] == 5 and usage["completion_tokens"] == 20
    assert usage["total_tokens"] == 25
    assert history == [{"role": "user", "text": "a lighthouse in a storm", "images": []},
                       {"role": "assistant", "text": text, "images": []}]


@pytest.mark.parametrize("stream", [False, True])
def test_seacloud_anthropic_messages(emulator, stream):
    text, usage, _ = run("SeaCloudLLM", protocol="anthropic_messages", model="claude-sonnet-4-5",
                         stream=stream)
    assert text.startswith("[sandbox SeaCloud claude-sonnet-4-5] A cinematic")
    (call,) = emulator.calls("seacloud")
    assert call.path == "/llm/v1/messages"
    assert call.headers["authorization"] == f"Bearer {KEYS['seacloud']}"
    assert call.headers["anthropic-version"] == "2023-06-01"
    body = call.json
    assert body["system"] == "Answer briefly." and body["max_tokens"] == 200
    assert body["messages"] == [{"role": "user", "content": "a lighthouse in a storm"}]
    assert "seed" not in body and body["stream"] is stream
    usage = json.loads(usage)
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (5, 20, 25)


@pytest.mark.parametrize("stream", [False, True])
def test_seacloud_responses(emulator, stream):
    text, usage, _ = run("SeaCloudLLM", protocol="responses", stream=stream)
    assert text.startswith("[sandbox SeaCloud gpt-4.1] A cinematic")
    (call,) = emulator.calls("seacloud")
    assert call.path == "/llm/openai/v1/responses"
    body = call.json
    assert body["instructions"] == "Answer briefly." and body["max_output_tokens"] == 200
    assert body["input"] == [{"role": "user", "content": "a lighthouse in a storm"}]
    assert json.loads(usage)["total_tokens"] == 25


@pytest.mark.parametrize("stream", [False, True])
def test_cloudbase(emulator, stream):
    text, usage, _ = run("CloudBaseLLM", stream=stream)
    assert text.startswith("[sandbox CloudBase hy3-preview] A cinematic")
    (call,) = emulator.calls("cloudbase")
    assert call.raw_path == "/cloudbase/env-test-123/v1/ai/cloudbase/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEYS['cloudbase']}"
    # only the documented fields: a seed would be refused as AI_MODEL_PARAM_INVALID
    assert set(call.json) == {"model", "messages", "stream", "temperature", "top_p", "max_tokens"}
    assert json.loads(usage)["gateway"] == "cloudbase"


def test_cloudbase_provider_goes_into_the_path(emulator):
    run("CloudBaseLLM", provider="hunyuan-exp")
    assert emulator.calls("cloudbase")[0].path == "/v1/ai/hunyuan-exp/chat/completions"


@pytest.mark.parametrize("stream", [False, True])
def test_opencomputing(emulator, stream):
    text, usage, _ = run("OpenComputingLLM", stream=stream)
    # every delta is sent twice (choices and top-level content): it must be read once
    assert text == ("[sandbox OpenComputing qwen3-max] A cinematic, detailed scene of a "
                    "lighthouse in a storm, soft golden light, shallow depth of field.")
    (call,) = emulator.calls("opencomputing")
    assert call.path == "/llmage/v1/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEYS['opencomputing']}"
    body = call.json
    assert body["prompt"] == "a lighthouse in a storm" and body["sys_prompt"] == "Answer briefly."
    assert body["messages"][-1] == {"role": "user", "content": "a lighthouse in a storm"}
    usage = json.loads(usage)
    assert usage["total_tokens"] == 25  # from the final usage-only chunk when streamed


def test_seacloud_images_in_each_protocol(emulator):
    images = torch.rand(2, 64, 96, 3)
    for protocol in ("chat_completions", "anthropic_messages", "responses"):
        text, _, history = run("SeaCloudLLM", protocol=protocol, images=images,
                               prompt="describe these")
        assert "I see 2 images." in text
        assert len(history[0]["images"]) == 2
    chat, anthropic, responses = (c.json["messages" if "messages" in c.json else "input"][-1]
                                  for c in emulator.calls("seacloud"))
    assert chat["content"][0] == {"type": "text", "text": "describe these"}
    url = chat["content"][1]["image_url"]["url"]
    image = decode_data_url(url)
    assert image.format == "PNG" and image.size == (96, 64)
    # lossless: the pixels sent are the tensor's
    sent = torch.from_numpy(__import__("numpy").array(image)).float() / 255
    assert torch.allclose(sent, images[0], atol=1 / 255 + 1e-6)
    assert anthropic["content"][0]["type"] == "image"
    assert anthropic["content"][0]["source"]["media_type"] == "image/png"
    assert anthropic["content"][-1] == {"type": "text", "text": "describe these"}
    assert responses["content"][1]["type"] == "input_image"
    assert responses["content"][1]["image_url"] == url


def test_large_image_is_downscaled_for_chat(emulator):
    run("CloudBaseLLM", model="glm-5v-turbo", images=torch.zeros(1, 1500, 3000, 3))
    url = emulator.calls("cloudbase")[0].json["messages"][-1]["content"][1]["image_url"]["url"]
    assert decode_data_url(url).size == (2048, 1024)


def test_image_over_the_byte_limit_is_refused_before_sending(emulator, monkeypatch):
    catalog = __import__(f"{PACK.__name__}.providers.catalog", fromlist=["x"])
    monkeypatch.setitem(catalog.GATEWAY_IMAGE_BYTES, "cloudbase", 2048)
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=r"CloudBase LLM: images is over the gateway's limit"):
        run("CloudBaseLLM", model="glm-5v-turbo", images=torch.rand(1, 512, 512, 3))
    assert emulator.calls() == []


def test_history_chains_two_nodes(emulator):
    first, _, history = run("SeaCloudLLM", prompt="name a colour")
    second, _, history2 = run("SeaCloudLLM", prompt="now a shape", history=history)
    assert "(turn 2)" in second
    sent = emulator.calls("seacloud")[1].json["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == first and sent[3]["content"] == "now a shape"
    assert len(history2) == 4 and history2[-1]["text"] == second


def test_history_crosses_gateways_and_protocols(emulator):
    _, _, history = run("OpenComputingLLM", prompt="name a colour")
    text, _, _ = run("SeaCloudLLM", protocol="anthropic_messages", prompt="and a shape",
                     history=history)
    assert "(turn 2)" in text
    messages = emulator.calls("seacloud")[0].json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]


def test_streamed_text_is_shown_on_the_node_as_it_arrives(emulator, fake_comfy):
    emulator.stream_delay = 0.03
    text, _, _ = run("SeaCloudLLM", stream=True, unique_id="17")
    shown = [t for node, t in fake_comfy.texts if node == "17"]
    assert len(shown) >= 4, shown
    assert all(text.startswith(partial) for partial in shown)
    assert len(set(shown)) >= 3 and shown[-1] == text
