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

from conftest import KEYS, PACK, submodule, NODES

routes_module = submodule("nodes.routes")


def request(method: str, path: str, body=None, raw: bytes | None = None, headers=None,
            remote: str | None = None):
    """(status, text) of one request to a fresh app with the pack's routes; `remote` makes the
    request arrive from that peer address (the test client itself is on 127.0.0.1)."""
    @web.middleware
    async def from_remote(request, handler):
        return await handler(request.clone(remote=remote) if remote else request)

    async def go():
        routes = web.RouteTableDef()
        routes_module.register(routes)
        app = web.Application(middlewares=[from_remote])
        app.add_routes(routes)
        async with TestClient(TestServer(app)) as client:
            kwargs = {"data": raw} if raw is not None else ({"json": body} if body is not None else {})
            response = await client.request(method, path, headers=headers or {}, **kwargs)
            return response.status, await response.text()
    return asyncio.run(go())


def test_status_lists_gateways_with_masked_keys(emulator):
    status, text = request("GET", "/model_gateway/status")
    assert status == 200
    body = json.loads(text)
    assert [g["id"] for g in body["gateways"]] == ["seacloud", "gptunnel", "cloudbase", "opencomputing"]
    seacloud = body["gateways"][0]
    assert seacloud["key"] == {"name": "SEACLOUD_API_KEY", "set": True, "source": "environment",
                               "ending": "…" + KEYS["seacloud"][-4:], "problem": None,
                               "file_overridden": False}
    cloudbase = body["gateways"][2]
    assert {"name": "CLOUDBASE_ENV_ID", "value": "env-test-123", "source": "environment",
            "problem": None} in cloudbase["settings"]
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
    nodes = NODES
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
    ("/model_gateway/keys/seacloud", {"SEACLOUD_API_KEY": "two words"}, "contains a space"),
    ("/model_gateway/keys/cloudbase", {"CLOUDBASE_ENV_ID": "evil.example/x?"}, "environment id"),
    ("/model_gateway/keys/seacloud", {"SEACLOUD_LLM_BASE_URL": "https://a b"}, "one line"),
    ("/model_gateway/keys/seacloud", {"SEACLOUD_LLM_BASE_URL": "ftp://x"}, "start with http"),
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
    ("cloudbase", "/v1/ai/cloudbase/chat/completions"), ("opencomputing", "/llmage/v1/models")])
def test_connection_test_makes_the_cheapest_call(emulator, gateway, path):
    status, text = request("POST", f"/model_gateway/test/{gateway}")
    result = json.loads(text)
    assert status == 200 and result["ok"] is True, result
    calls = emulator.calls(gateway)
    assert {call.path for call in calls} == {path}
    # OpenComputing's free model list: one GET per catalog id, cached for the video nodes
    assert len(calls) == (5 if gateway == "opencomputing" else 1)
    call = calls[0]
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
    assert result["ok"] is True and result["sandbox"] is True
    assert result["message"].startswith("sandbox: key accepted; ")  # and its model list
    assert json.loads(request("GET", "/model_gateway/status")[1])["sandbox"] is True


def test_catalog(emulator):
    body = json.loads(request("GET", "/model_gateway/catalog")[1])
    t2v = {m["name"]: m for m in body["video"]["t2v"]}
    assert t2v["Wan 2.6 t2v"]["parameters"] == ["duration", "size", "negative_prompt"]
    assert t2v["Seedance 2.0 fast (Doubao)"]["resolutions"] == ["480p", "720p"]
    assert body["video_nodes"]["OpenComputingImageToVideo"] == "i2v"
    assert body["protocols"]["anthropic_messages"]["temperature_max"] == 1.0
    assert {"id": "hy3-preview", "vision": False, "family": "generic"} in body["chat"]["cloudbase"]
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


# -- who may change where a key goes (see nodes/routes.py's docstring) -------------------------

WHERE_THE_KEY_GOES = {"CLOUDBASE_ENV_ID": "my-env-42",
                      "CLOUDBASE_BASE_URL": "https://proxy.example/cloudbase"}

NOT_LOCAL = {
    "remote peer": dict(remote="203.0.113.7"),
    "remote peer naming 127.0.0.1": dict(remote="203.0.113.7", headers={"Host": "127.0.0.1:8188"}),
    "DNS rebinding (Host is the attacker's name)": dict(headers={"Host": "evil.example:8188"}),
    "rebinding via a look-alike name": dict(headers={"Host": "127.0.0.1.nip.io:8188"}),
    "page of another origin": dict(headers={"Origin": "http://evil.example"}),
    "sandboxed page (Origin null)": dict(headers={"Origin": "null"}),
    "behind a proxy": dict(headers={"X-Forwarded-For": "198.51.100.9"}),
    "behind a proxy (Forwarded)": dict(headers={"Forwarded": "for=198.51.100.9"}),
}


@pytest.mark.parametrize("name, value", WHERE_THE_KEY_GOES.items())
@pytest.mark.parametrize("how", NOT_LOCAL, ids=list(NOT_LOCAL))
def test_only_a_local_client_may_change_where_the_key_goes(emulator, tmp_path, how, name, value):
    status, text = request("POST", "/model_gateway/keys/cloudbase", {name: value}, **NOT_LOCAL[how])
    assert status == 403, text
    error = json.loads(text)["error"]
    assert name in error and str(tmp_path / "keys.json") in error
    assert not (tmp_path / "keys.json").exists()


@pytest.mark.parametrize("headers", [
    {}, {"Host": "localhost:8188"}, {"Host": "[::1]:8188"},
    {"Origin": "http://127.0.0.1:8188", "Sec-Fetch-Site": "same-origin"},
    {"Host": "localhost", "Origin": "https://localhost:8443"}],
    ids=["test client", "localhost", "ipv6", "same-origin page", "https localhost"])
def test_a_local_client_changes_where_the_key_goes(emulator, monkeypatch, tmp_path, headers):
    monkeypatch.delenv("CLOUDBASE_ENV_ID")
    status, text = request("POST", "/model_gateway/keys/cloudbase", WHERE_THE_KEY_GOES,
                           headers=headers)
    assert status == 200, text
    assert json.loads(text)["settings_writable"] is True
    assert json.loads((tmp_path / "keys.json").read_text()) == WHERE_THE_KEY_GOES


@pytest.mark.parametrize("how", NOT_LOCAL, ids=list(NOT_LOCAL))
def test_any_client_may_write_a_key_and_is_told_settings_are_read_only(emulator, monkeypatch,
                                                                       tmp_path, how):
    monkeypatch.delenv("GPTUNNEL_API_KEY")
    secret = "gpt-from-another-machine-7788"
    status, text = request("POST", "/model_gateway/keys/gptunnel", {"GPTUNNEL_API_KEY": secret},
                           **NOT_LOCAL[how])
    assert status == 200, text
    assert json.loads(text)["settings_writable"] is False and secret not in text
    assert json.loads((tmp_path / "keys.json").read_text()) == {"GPTUNNEL_API_KEY": secret}
    status, text = request("GET", "/model_gateway/status", **NOT_LOCAL[how])
    assert json.loads(text)["settings_writable"] is False
    assert json.loads(request("GET", "/model_gateway/status")[1])["settings_writable"] is True


def test_a_refused_mixed_write_writes_nothing(emulator, tmp_path):
    status, _ = request("POST", "/model_gateway/keys/cloudbase",
                        {"CLOUDBASE_API_KEY": "cb-new-key-000000000", "CLOUDBASE_ENV_ID": "other"},
                        remote="192.0.2.1")
    assert status == 403 and not (tmp_path / "keys.json").exists()


@pytest.mark.parametrize("path", ["/model_gateway/keys/gptunnel", "/model_gateway/test/gptunnel"])
def test_another_web_sites_page_cannot_post(emulator, tmp_path, path):
    status, _ = request("POST", path, {"GPTUNNEL_API_KEY": "gpt-planted-by-a-page-0000"},
                        headers={"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"})
    assert status == 403
    assert not (tmp_path / "keys.json").exists() and emulator.calls() == []


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.1:8188", True), ("127.8.9.10", True), ("localhost:80", True),
    ("LOCALHOST", True), ("[::1]:8188", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("localhost.evil.example", False), ("127.0.0.1.nip.io", False), ("0.0.0.0", False),
    ("192.168.1.5:8188", False), ("[::ffff:10.0.0.1]", False), ("", False), (None, False)])
def test_loopback_host(host, loopback):
    assert routes_module.loopback_host(host) is loopback
