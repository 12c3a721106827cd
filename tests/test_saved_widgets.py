"""ComfyUI saves a node's widget values by position (widgets_values), in the order of the node's
required then optional inputs, with one extra slot after a seed that has control_after_generate.
A widget added anywhere but at the end shifts every saved workflow's values into the wrong
widgets. These tests pin the layout every released node had, and load the example workflows
against the current classes."""
from __future__ import annotations

import json

import pytest

from conftest import PACK, ROOT

WIDGET_TYPES = ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO")

# The widget layout of each node as released before this change; a node may only grow at the end.
RELEASED = {
    "CloudBaseLLM": ['provider', 'model', 'prompt', 'system_prompt', 'temperature', 'top_p',
                     'max_tokens', 'seed', 'seed:control', 'stream', 'custom_model'],
    "GPTunnelSeedream3Submit": ['prompt', 'ar', 'seed', 'seed:control', 'count', 'image_url'],
    "GPTunnelSeedream4": ['prompt', 'size', 'aspect_ratio', 'seed', 'seed:control', 'count'],
    "GatewayAwaitImages": ['timeout'],
    "GatewayAwaitVideo": ['timeout', 'max_frames', 'frame_step', 'max_side'],
    "GatewayTaskFromId": ['gateway', 'task_id', 'kind'],
    "OpenComputingImageToVideo": ['model', 'prompt', 'duration', 'resolution', 'ratio', 'size',
                                  'negative_prompt', 'off_peak', 'seed', 'seed:control'],
    "OpenComputingLLM": ['model', 'prompt', 'system_prompt', 'temperature', 'top_p',
                         'max_tokens', 'seed', 'seed:control', 'stream', 'custom_model'],
    "OpenComputingReferenceToVideo": ['model', 'prompt', 'duration', 'resolution', 'ratio',
                                      'size', 'negative_prompt', 'off_peak', 'seed',
                                      'seed:control'],
    "OpenComputingTextToVideo": ['model', 'prompt', 'duration', 'resolution', 'ratio', 'size',
                                 'negative_prompt', 'off_peak', 'seed', 'seed:control'],
    "SeaCloudLLM": ['protocol', 'model', 'prompt', 'system_prompt', 'temperature', 'top_p',
                    'max_tokens', 'seed', 'seed:control', 'stream', 'custom_model'],
    "SeaCloudSubmit": ['model_id', 'prompt', 'params_json', 'seed', 'seed:control', 'count',
                       'custom_model_id', 'image_field'],
    # new in this release
    "GPTunnelMediaSubmit": ['model', 'prompt', 'ar', 'seed', 'seed:control', 'count',
                            'image_url'],
    "GatewayShotsPrompt": ['count', 'style'],
    "GatewayShotsFromText": ['count'],
    "GatewayJoinVideos": ['fps', 'mode'],
}


def widgets(cls) -> list[tuple[str, object, dict]]:
    """(slot name, input type, options) per widgets_values slot, in ComfyUI's order."""
    spec, slots = cls.INPUT_TYPES(), []
    for section in ("required", "optional"):
        for name, (kind, *options) in spec.get(section, {}).items():
            options = options[0] if options else {}
            if options.get("forceInput"):  # a socket only: no widget, no saved slot
                continue
            if isinstance(kind, (list, tuple)) or kind in WIDGET_TYPES:
                slots.append((name, kind, options))
                if options.get("control_after_generate"):
                    slots.append((f"{name}:control", ["fixed", "increment", "decrement",
                                                      "randomize"], {}))
    return slots


@pytest.mark.parametrize("node_id", sorted(RELEASED))
def test_released_widgets_keep_their_positions(node_id):
    layout = [name for name, _, _ in widgets(PACK.NODE_CLASS_MAPPINGS[node_id])]
    released = RELEASED[node_id]
    assert layout[:len(released)] == released, (
        f"{node_id}: a new widget went before saved ones; add it at the end (as optional)")


def test_every_node_is_pinned():
    assert set(PACK.NODE_CLASS_MAPPINGS) == set(RELEASED)


def fits(kind, options: dict, value) -> bool:
    if isinstance(kind, (list, tuple)):
        return value in kind
    if kind == "INT":
        return isinstance(value, int) and not isinstance(value, bool) and \
            options.get("min", value) <= value <= options.get("max", value)
    if kind == "FLOAT":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    return isinstance(value, str)


@pytest.mark.parametrize("path", sorted((ROOT / "example_workflows").glob("*.json")),
                         ids=lambda p: p.name)
def test_example_workflows_load_into_the_current_widgets(path):
    workflow = json.loads(path.read_text(encoding="utf-8"))
    for node in workflow["nodes"]:
        cls = PACK.NODE_CLASS_MAPPINGS.get(node["type"])
        if cls is None:  # a core node (SaveImage, LoadImage, ...)
            continue
        slots, values = widgets(cls), node.get("widgets_values") or []
        assert len(values) <= len(slots), f"{path.name} {node['type']}: more values than widgets"
        for (name, kind, options), value in zip(slots, values):
            assert fits(kind, options, value), \
                f"{path.name} {node['type']}.{name}: saved {value!r} does not fit the widget"


@pytest.mark.parametrize("path", sorted((ROOT / "example_workflows").glob("*.json")),
                         ids=lambda p: p.name)
def test_example_workflows_have_a_thumbnail_the_size_of_the_others(path):
    """The template browser shows example_workflows/NAME.jpg; all are screenshots 800 px wide
    at about the scale the workflow opens with (tools/film_check.py --thumbnail makes one)."""
    from PIL import Image

    thumbnail = path.with_suffix(".jpg")
    assert thumbnail.is_file(), f"{path.name} has no thumbnail {thumbnail.name}"
    with Image.open(thumbnail) as image:
        assert image.format == "JPEG" and image.width == 800 and 300 <= image.height <= 1100, \
            (thumbnail.name, image.format, image.size)
