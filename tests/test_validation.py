"""Bad input is a ValueError naming node, field and what is allowed, before any request."""
from __future__ import annotations

import pytest
import torch

from conftest import submodule
from test_llm_nodes import run


@pytest.mark.parametrize("node_id, inputs, message", [
    ("SeaCloudLLM", {"prompt": "   "}, r"SeaCloud LLM: prompt is empty"),
    ("SeaCloudLLM", {"protocol": "anthropic_messages", "temperature": 1.5},
     r"SeaCloud LLM: temperature must be between 0 and 1 for the anthropic_messages protocol \(got 1.5\)"),
    ("OpenComputingLLM", {"temperature": 2.5}, r"OpenComputing LLM: temperature must be between 0 and 2"),
    ("CloudBaseLLM", {"top_p": 1.2}, r"CloudBase LLM: top_p must be between 0 and 1 \(got 1.2\)"),
    ("CloudBaseLLM", {"max_tokens": 0},
     r"CloudBase LLM: max_tokens must be from 1 to 131072 \(got 0\)"),
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


validation = submodule("providers.validation")


def test_params_json_limits_are_exact():
    nested = lambda depth: '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)  # noqa: E731
    assert validation.parse_params_json("N", nested(validation.PARAMS_MAX_DEPTH), ())
    with pytest.raises(ValueError, match="N: params_json nests too deep; at most 20"):
        validation.parse_params_json("N", nested(validation.PARAMS_MAX_DEPTH + 1), ())
    padding = validation.PARAMS_MAX_CHARS - len('{"a": ""}')
    assert validation.parse_params_json("N", '{"a": "' + "x" * padding + '"}', ())
    with pytest.raises(ValueError, match="N: params_json is 65537 characters long"):
        validation.parse_params_json("N", '{"a": "' + "x" * (padding + 1) + '"}', ())


def test_widget_ranges_and_a_lower_bound_for_programs():
    spec = {"required": {"timeout": ("INT", {"min": 10, "max": 100}),
                         "strength": ("FLOAT", {"min": 0.0, "max": 1.0})}}
    validation.check_widgets("N", spec, {"timeout": 1, "strength": 0.5}, low={"timeout": 1})
    with pytest.raises(ValueError, match=r"N: timeout must be from 10 to 100 \(got 1\)"):
        validation.check_widgets("N", spec, {"timeout": 1})
    with pytest.raises(ValueError, match=r"N: strength must be between 0 and 1 \(got 1.5\)"):
        validation.check_widgets("N", spec, {"strength": 1.5})
    with pytest.raises(ValueError, match=r"N: strength must be a number from 0 to 1 \(got nan\)"):
        validation.check_widgets("N", spec, {"strength": float("nan")})


def test_a_task_id_is_trimmed_and_checked_per_gateway():
    assert validation.check_task_id("N", " 936759404378734592\n", "opencomputing") == \
        "936759404378734592"
    assert validation.check_task_id("N", "req-0a.b_c", "seacloud") == "req-0a.b_c"
    with pytest.raises(ValueError, match="N: task_id must be the id gptunnel gave the task"):
        validation.check_task_id("N", "req-0a.b_c", "gptunnel")
