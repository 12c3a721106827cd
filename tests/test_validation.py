"""Bad input is a ValueError naming node, field and what is allowed, before any request."""
from __future__ import annotations

import pytest
import torch

from test_llm_nodes import run


@pytest.mark.parametrize("node_id, inputs, message", [
    ("SeaCloudLLM", {"prompt": "   "}, r"SeaCloud LLM: prompt is empty"),
    ("SeaCloudLLM", {"protocol": "anthropic_messages", "temperature": 1.5},
     r"SeaCloud LLM: temperature must be between 0 and 1 for the anthropic_messages protocol \(got 1.5\)"),
    ("OpenComputingLLM", {"temperature": 2.5}, r"OpenComputing LLM: temperature must be between 0 and 2"),
    ("CloudBaseLLM", {"top_p": 1.2}, r"CloudBase LLM: top_p must be between 0 and 1 \(got 1.2\)"),
    ("CloudBaseLLM", {"max_tokens": 0}, r"CloudBase LLM: max_tokens must be at least 1"),
    ("CloudBaseLLM", {"images": torch.zeros(1, 8, 8, 3)},
     r"CloudBase LLM: images cannot be sent to hy3-preview, which takes text only\. "
     r"Vision models here: glm-5v-turbo, qwen3.5-plus, kimi-k2.5"),
    ("OpenComputingLLM", {"images": torch.zeros(1, 8, 8, 3)},
     r"OpenComputing LLM: images cannot be sent to qwen3-max"),
    ("SeaCloudLLM", {"images": torch.zeros(17, 8, 8, 3)}, r"SeaCloud LLM: images holds 17 images; at most 16"),
    ("CloudBaseLLM", {"provider": "../admin"}, r"CloudBase LLM: provider must be a provider name"),
    ("SeaCloudLLM", {"images": torch.zeros(8, 8, 3)}, r"SeaCloud LLM: images must be an IMAGE batch"),
])
def test_bad_input_fails_before_any_request(emulator, node_id, inputs, message):
    with pytest.raises(ValueError, match=message):
        run(node_id, **inputs)
    assert emulator.calls() == []


def test_custom_model_overrides_the_list_and_may_take_images(emulator):
    text, _, _ = run("OpenComputingLLM", custom_model="qwen3-vl-plus",
                     images=torch.zeros(1, 8, 8, 3))
    assert emulator.calls()[0].json["model"] == "qwen3-vl-plus"
    assert "I see 1 image." in text


def test_every_input_has_a_tooltip(pack):
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        spec = cls.INPUT_TYPES()
        for section in ("required", "optional"):
            for name, (kind, *options) in spec.get(section, {}).items():
                assert options and options[0].get("tooltip"), f"{node_id}.{name} has no tooltip"
        assert cls.DESCRIPTION and cls.CATEGORY.startswith("model_gateway/")
        assert len(cls.RETURN_TYPES) == len(cls.RETURN_NAMES) == len(cls.OUTPUT_TOOLTIPS)
