"""The server routes, on an aiohttp app built the way the pack registers them on ComfyUI's
PromptServer. No route returns a key, ever."""
from __future__ import annotations

import asyncio
import json
import os
import re
import stat

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from conftest import KEYS, PACK, submodule

routes_module = submodule("nodes.routes")


def request(method: str, path: str, body=None, raw: bytes | None = None):
    """(status, text) of one request to a fresh app with the pack's routes."""
    async def go():
        routes = web.RouteTableDef()
        routes_module.register(routes)
        app = web.Application()
        app.add_routes(routes)
        async with TestClient(TestServer(app)) as client:
            kwargs = {"data": raw} if raw is not None else ({"json": body} if body is not None else {})
            response = await client.request(method, path, **kwargs)
            return response.status, await response.text()
    return asyncio.run(go())


def test_status_lists_gateways_with_masked_keys(emulator):
    status, text = request("GET", "/model_gateway/status")
    assert status == 200
    body = json.loads(text)
    assert [g["id"] for g in body["gateways"]] == ["seacloud", "gptunnel", "cloudbase", "opencomputing"]
    seacloud = body["gateways"][0]
    assert seacloud["key"] == {"name": "SEACLOUD_API_KEY", "set": True, "source": "environment",
                               "ending": "…" + KEYS["seacloud"][-4:],
                               "file_overridden": False}
    cloudbase = body["gateways"][2]
    assert {"name": "CLOUDBASE_ENV_ID", "value": "env-test-123", "source": "environment"} in cloudbase["settings"]
    for key in KEYS.values():
        assert key not in text and key[:-4] not in text


def test_short_keys_show_no_ending(emulator, monkeypatch):
    monkeypatch.setenv("GPTUNNEL_API_KEY", "short-key-12")
    body = json.loads(request("GET", "/model_gateway/status")[1])
    assert body["gateways"][1]["key"]["ending"] is None


def test_write_key_to_the_keys_file(emulator, monkeypatch, tmp_path):
    monkeypatch.delenv("OPENCOMPUTING_API_KEY")
    secret = "oc-written-from-the-browser-1234"
    status, text = request("POST", "/model_gateway/keys/opencomputing",
                           {"OPENCOMPUTING_API_KEY": secret})
    assert status == 200 and secret not in text and secret[:-4] not in text
    entry = next(g for g in json.loads(text)["gateways"] if g["id"] == "opencomputing")
    assert entry["key"]["set"] and entry["key"]["source"] == "keys file"
    assert entry["key"]["ending"] == "…1234"
    keys_file = tmp_path / "keys.json"
    assert json.loads(keys_file.read_text())["OPENCOMPUTING_API_KEY"] == secret
    assert stat.S_IMODE(os.stat(keys_file).st_mode) == 0o600
    # the written key is used for real calls
    nodes = PACK.NODE_CLASS_MAPPINGS
    emulator.keys["opencomputing"] = secret
    nodes["OpenComputingLLM"]().chat(model="qwen3-max", prompt="hi", system_prompt="",  # noqa
                                      temperature=0.5, top_p=1.0, max_tokens=10, seed=0, stream=False)
    assert emulator.calls()[0].headers["authorization"] == f"Bearer {secret}"
    # and removed with an empty value
    request("POST", "/model_gateway/keys/opencomputing", {"OPENCOMPUTING_API_KEY": ""})
    assert "OPENCOMPUTING_API_KEY" not in json.loads(keys_file.read_text())


def test_environment_key_wins_and_the_panel_says_so(emulator):
    status, text = request("POST", "/model_gateway/keys/seacloud", {"SEACLOUD_API_KEY": "from-panel-0000000000"})
    key = next(g for g in json.loads(text)["gateways"] if g["id"] == "seacloud")["key"]
    assert key["source"] == "environment" and key["file_overridden"] is True


@pytest.mark.parametrize("path, body, message", [
    ("/model_gateway/keys/seacloud", {"GPTUNNEL_API_KEY": "x"}, "GPTUNNEL_API_KEY is not a setting of SeaCloud"),
    ("/model_gateway/keys/seacloud", {"SEACLOUD_API_KEY": "two words"}, "one line without spaces"),
    ("/model_gateway/keys/seacloud", {"SEACLOUD_LLM_BASE_URL": "ftp://x"}, "starts with http"),
    ("/model_gateway/keys/seacloud", ["not", "an", "object"], "JSON object"),
])
def test_bad_writes_are_refused(emulator, tmp_path, path, body, message):
    status, text = request("POST", path, body)
    assert status == 400 and message in json.loads(text)["error"]
    assert not (tmp_path / "keys.json").exists()


def test_unknown_gateway(emulator):
    assert request("POST", "/model_gateway/keys/nope", {})[0] == 404
    assert request("POST", "/model_gateway/test/nope")[0] == 404


@pytest.mark.parametrize("gateway, path", [
    ("seacloud", "/llm/v1/models"), ("gptunnel", "/v1/media/result"),
    ("cloudbase", "/v1/ai/cloudbase/chat/completions"), ("opencomputing", "/llmage/tasks")])
def test_connection_test_makes_the_cheapest_call(emulator, gateway, path):
    status, text = request("POST", f"/model_gateway/test/{gateway}")
    result = json.loads(text)
    assert status == 200 and result["ok"] is True, result
    (call,) = emulator.calls(gateway)
    assert call.path == path
    if gateway == "cloudbase":
        assert call.json["max_tokens"] == 1


def test_connection_test_reports_a_bad_key_without_showing_it(emulator):
    emulator.keys["gptunnel"] = "the-right-one"
    result = json.loads(request("POST", "/model_gateway/test/gptunnel")[1])
    assert result["ok"] is False and "Invalid API key" in result["message"]
    assert KEYS["gptunnel"] not in json.dumps(result)


def test_connection_test_without_a_key(emulator, monkeypatch):
    monkeypatch.delenv("SEACLOUD_API_KEY")
    result = json.loads(request("POST", "/model_gateway/test/seacloud")[1])
    assert result["ok"] is False and "SEACLOUD_API_KEY" in result["message"]
    assert emulator.calls() == []


def test_connection_test_in_sandbox(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEL_GATEWAY_SANDBOX", "1")
    monkeypatch.setenv("MODEL_GATEWAY_KEYS_FILE", str(tmp_path / "k.json"))
    result = json.loads(request("POST", "/model_gateway/test/opencomputing")[1])
    assert result == {"ok": True, "sandbox": True, "message": "sandbox: key accepted"}
    assert json.loads(request("GET", "/model_gateway/status")[1])["sandbox"] is True


def test_catalog(emulator):
    body = json.loads(request("GET", "/model_gateway/catalog")[1])
    t2v = {m["name"]: m for m in body["video"]["t2v"]}
    assert t2v["Wan 2.6 t2v"]["parameters"] == ["duration", "size", "negative_prompt"]
    assert t2v["Seedance 2.0 fast (Doubao)"]["resolutions"] == ["480p", "720p"]
    assert body["video_nodes"]["OpenComputingImageToVideo"] == "i2v"
    assert body["protocols"]["anthropic_messages"]["temperature_max"] == 1.0
    assert {"id": "hy3-preview", "vision": False} in body["chat"]["cloudbase"]
    assert body["nodes"] == sorted(PACK.NODE_CLASS_MAPPINGS)


def test_no_node_has_a_key_widget(pack):
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        spec = cls.INPUT_TYPES()
        names = [n for section in spec.values() for n in section]
        secret = re.compile(r"(^|_)(api_?key|key|token|secret|password|env_id)$", re.I)
        assert not [n for n in names if secret.search(n)], node_id


def test_example_workflows_hold_no_key_setting():
    from conftest import ROOT
    for path in (ROOT / "example_workflows").glob("*.json"):
        text = path.read_text()
        assert "API_KEY" not in text and "sk-" not in text and "Bearer" not in text, path.name


def test_catalog_fixture_for_the_javascript_tests_is_current():
    """tests/js/catalog.json is what the JS tests read; it must be the catalog the server
    publishes (regenerate: python3 -c 'from providers.catalog import as_json' via the pack)."""
    from conftest import ROOT
    published = json.loads(request("GET", "/model_gateway/catalog")[1])
    fixture = ROOT / "tests" / "js" / "catalog.json"
    if os.environ.get("MODEL_GATEWAY_WRITE_FIXTURES"):
        fixture.write_text(json.dumps(published, indent=1, ensure_ascii=False) + "\n")
    assert json.loads(fixture.read_text()) == published, \
        "run the tests once with MODEL_GATEWAY_WRITE_FIXTURES=1 to refresh tests/js/catalog.json"
