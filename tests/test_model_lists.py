"""Live model lists (docs/GATEWAYS.md): OpenComputing's GET /llmage/v1/models?catelogid=...
is fetched (Test connection does it: it is free), cached in the data directory, and a model
OpenComputing adds after a release is usable by name in the video nodes, with no code change:
the catalog's rows keep their rules, an unknown model gets generic ones."""
from __future__ import annotations

import json
import os

import pytest

from conftest import KEYS, submodule
from test_video_nodes import await_video, i2v, r2v, t2v

model_lists = submodule("providers.model_lists")
connection = submodule("providers.connection")
comfy = submodule("nodes.comfy")
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply
parse_form = submodule("providers.emulator.video").parse_form

TOMORROW = {"catelogid": "t2v", "llmid": "NeW-model_llmid-0001",
            "model": "doubao-seedance-3-0-270101"}


def data_dir():
    return comfy.data_directory()


def test_connection_test_fetches_and_caches_the_lists(emulator):
    result = connection.test_connection(comfy.key_store(), "opencomputing", data_dir())
    assert result["ok"] is True and "models listed (t2t 1, t2i 0, t2v 7, i2v 8, ref2v 4)" in \
        result["message"]
    calls = emulator.calls("opencomputing", "/llmage/v1/models")
    assert [c.query["catelogid"][0] for c in calls] == ["t2t", "t2i", "t2v", "i2v", "ref2v"]
    assert all(c.headers["authorization"] == f"Bearer {KEYS['opencomputing']}" for c in calls)
    cached = json.loads((data_dir() / "model_lists" / "opencomputing.json").read_text())
    assert {"name": "wan2.6-t2v", "llmid": "u9HZyfDoqU6uKI6M1BTks", "title": ""} \
        in cached["lists"]["t2v"]


def test_a_model_added_tomorrow_is_usable_by_name(emulator):
    connection.test_connection(comfy.key_store(), "opencomputing", data_dir())  # cached today
    emulator.opencomputing_models.append(TOMORROW)  # OpenComputing adds one
    task = t2v(custom_model="doubao-seedance-3-0-270101", duration=7, ratio="21:9")
    (submit,) = emulator.calls("opencomputing", "/llmage/video")
    # generic rules: what the user set goes as it is; "default" sends nothing
    assert submit.json == {"llmid": "NeW-model_llmid-0001", "prompt": "a paper boat on a river",
                           "model": "doubao-seedance-3-0-270101", "duration": 7,
                           "ratio": "21:9"}
    frames = await_video(task)[0]
    assert frames.shape[0] > 1
    assert len(emulator.calls("opencomputing", "/llmage/v1/models")) == 10  # fetched again once


def test_by_llmid_too_and_nothing_sent_for_defaults(emulator):
    emulator.opencomputing_models.append(TOMORROW)
    t2v(custom_model="NeW-model_llmid-0001")
    (submit,) = emulator.calls("opencomputing", "/llmage/video")
    assert submit.json == {"llmid": "NeW-model_llmid-0001", "prompt": "a paper boat on a river",
                           "model": "doubao-seedance-3-0-270101"}


def test_a_listed_model_the_catalog_knows_keeps_its_rules(emulator):
    with pytest.raises(ValueError, match="duration must be 5, 10, 15 seconds for Wan 2.6 t2v"):
        t2v(custom_model="wan2.6-t2v", duration=7)
    t2v(custom_model="doubao-seedance-2-0-fast-260128")
    (submit,) = emulator.calls("opencomputing", "/llmage/video")
    assert submit.json["resolution"] == "720p" and submit.json["duration"] == 5  # its defaults


def test_an_unlisted_name_is_refused_naming_what_is_listed(emulator):
    with pytest.raises(ValueError, match="custom_model 'no-such-model' is not in "
                                         "OpenComputing's t2v model list .*wan2.6-t2v"):
        t2v(custom_model="no-such-model")
    assert emulator.calls("opencomputing", "/llmage/video") == []


def test_image_and_reference_nodes_look_in_their_own_lists(emulator):
    emulator.opencomputing_models += [
        {"catelogid": "i2v", "llmid": "i2v-new-1", "model": "new-i2v-model"},
        {"catelogid": "ref2v", "llmid": "r2v-new-1", "model": "new-r2v-model"}]
    import torch
    await_video(i2v(custom_model="new-i2v-model"))
    await_video(r2v(custom_model="new-r2v-model", images=torch.rand(1, 320, 320, 3)))
    first, second = emulator.calls("opencomputing", "/llmage/video")
    fields, files = parse_form(first)
    assert fields["llmid"] == "i2v-new-1" and list(files) == ["image_file1"]
    fields, files = parse_form(second)
    assert fields["llmid"] == "r2v-new-1" and list(files) == ["image_files"]
    with pytest.raises(ValueError, match="not in OpenComputing's t2v model list"):
        t2v(custom_model="new-i2v-model")  # listed for i2v, not for t2v


def test_the_cache_serves_when_the_gateway_cannot_be_reached(emulator):
    connection.test_connection(comfy.key_store(), "opencomputing", data_dir())
    path = data_dir() / "model_lists" / "opencomputing.json"
    old = json.loads(path.read_text())
    old["fetched_at"] -= 2 * model_lists.MAX_AGE
    path.write_text(json.dumps(old))
    emulator.fail("opencomputing", "/llmage/v1/models", Reply(503, text="down"), times=100)
    t2v(custom_model="wan2.6-t2v")  # stale, unreachable: the cache still answers
    assert emulator.calls("opencomputing", "/llmage/video")


def test_no_list_and_no_gateway_is_a_gateway_error(emulator):
    emulator.fail("opencomputing", "/llmage/v1/models", Reply(401, json={"error": "Invalid API Key"}),
                  times=100)
    with pytest.raises(GatewayError) as caught:
        t2v(custom_model="anything")
    assert "OPENCOMPUTING_API_KEY" in caught.value.hint


@pytest.mark.parametrize("reply, names", [
    ({"object": "list", "data": [{"id": "a1", "model": "m1"}]}, [("m1", "a1")]),
    ({"status": "ok", "data": [{"llmid": "a2", "name": "m2"}]}, [("m2", "a2")]),
    ({"total": 1, "rows": [{"id": "a3", "name": "n3", "model": "m3"}]}, [("m3", "a3")]),
    ({"data": {"rows": [{"id": "m4"}]}}, [("m4", "m4")]),
    ([{"model": "m5", "llmid": "a5"}, "junk", {"nothing": 1}], [("m5", "a5")]),
    ({"error": "x"}, []),
])
def test_every_list_shape_is_read(reply, names):
    assert [(m.name, m.llmid) for m in model_lists.parse(reply)] == names


def test_seacloud_lists_its_llms_for_the_connection_test(emulator):
    result = connection.test_connection(comfy.key_store(), "seacloud", data_dir())
    assert result["ok"] is True and "6 models listed" in result["message"]
    cached = json.loads((data_dir() / "model_lists" / "seacloud.json").read_text())
    assert [m["name"] for m in cached["lists"]["llm"]][:1] == ["gpt-4.1"]
