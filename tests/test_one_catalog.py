"""One catalog, really one: the nodes, the emulator and the page read every model fact from
providers/catalog.py; the catalog names no node (providers/ does not depend on nodes/), and the
page's old catalog keys still arrive from the route."""
from __future__ import annotations

import json
import re

from conftest import PACK, ROOT, submodule
from test_routes import request

catalog = submodule("providers.catalog")
video_nodes = submodule("nodes.video")


def test_the_catalog_names_no_node():
    text = json.dumps(catalog.as_json())
    assert not [name for name in PACK.NODE_CLASS_MAPPINGS if name in text]


def test_providers_do_not_import_nodes():
    for path in (ROOT / "providers").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"from \.+nodes\b|import \.+nodes\b", source), path


def test_the_route_still_gives_the_page_its_keys(emulator):
    body = json.loads(request("GET", "/model_gateway/catalog")[1])
    assert body["video_nodes"] == {"OpenComputingTextToVideo": "t2v",
                                   "OpenComputingImageToVideo": "i2v",
                                   "OpenComputingReferenceToVideo": "r2v"}
    for key in ("chat", "protocols", "queue", "video", "seedream", "nodes"):
        assert key in body
    assert body["chat_protocols"]["cloudbase"] == list(catalog.CHAT_PROTOCOLS)
    assert {m["id"] for m in body["gptunnel_media"]} == {
        m.id for m in catalog.GPTUNNEL_MEDIA_MODELS}
    assert body["sampling"]["anthropic"]["either"] == ["top_p", 1.0, "temperature"]


def test_the_route_shows_cached_live_lists(emulator):
    submodule("providers.connection").test_connection(
        submodule("nodes.comfy").key_store(), "opencomputing",
        submodule("nodes.comfy").data_directory())
    body = json.loads(request("GET", "/model_gateway/catalog")[1])
    assert "wan2.6-t2v" in body["live_models"]["opencomputing"]["t2v"]


def test_video_node_limits_come_from_the_catalog():
    images, videos, audios = catalog.reference_limits()
    assert (video_nodes.MAX_REFERENCE_VIDEOS, video_nodes.MAX_REFERENCE_AUDIOS) == (videos, audios)
    spec = PACK.NODE_CLASS_MAPPINGS["OpenComputingTextToVideo"].INPUT_TYPES()["required"]
    assert spec["duration"][1]["max"] == catalog.video_durations()[1]
    tooltip = spec["duration"][1]["tooltip"]
    for model in catalog.VIDEO_MODELS:
        low, high = min(model.durations), max(model.durations)
        assert f"{low}-{high}" in tooltip or "/".join(map(str, model.durations)) in tooltip
    r2v = PACK.NODE_CLASS_MAPPINGS["OpenComputingReferenceToVideo"]
    assert f"up to {images} images, {videos} videos and {audios} audios" in r2v.DESCRIPTION


def test_the_emulator_knows_what_the_catalog_knows(emulator):
    video = submodule("providers.emulator.video")
    assert video.known_llmids(emulator) == {m.llmid for m in catalog.VIDEO_MODELS}
    assert {m.llmid for m in catalog.VIDEO_MODELS if m.audio} == {
        m.llmid for m in catalog.VIDEO_MODELS if video.with_audio(m.llmid)}
    gptunnel = submodule("providers.emulator.gptunnel")
    assert list(gptunnel.SEEDREAM4_SIZES) == list(catalog.SEEDREAM4_SIZES)
    assert gptunnel.SEEDREAM4_RATIOS == catalog.SEEDREAM4_RATIOS
    cloudbase = submodule("providers.cloudbase")
    chat = submodule("providers.emulator.chat")
    assert chat._cloudbase_fields() == set(cloudbase.CHAT_COMPLETIONS_FIELDS)
    for model in catalog.CHAT_MODELS:
        assert chat._text_only(model.gateway, model.id) is (not model.vision)
