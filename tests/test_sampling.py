"""Sampling fields per model family (catalog.SAMPLING): Anthropic's newer models refuse
temperature and top_p together, so the pack sends one of them, in every protocol and on every
gateway; the emulator refuses both as the gateway would. The default node settings succeed with
every chat model the catalog lists, in every protocol its gateway speaks."""
from __future__ import annotations

import pytest

from conftest import NODES as SYNC_NODES, PACK, submodule
from test_llm_nodes import run

catalog = submodule("providers.catalog")
GatewayError = submodule("providers.errors").GatewayError
NODES = {"seacloud": "SeaCloudLLM", "cloudbase": "CloudBaseLLM", "opencomputing": "OpenComputingLLM"}
PROTOCOLS = {"seacloud": catalog.CHAT_PROTOCOLS, "cloudbase": catalog.CHAT_PROTOCOLS,
             "opencomputing": ("chat_completions",)}


def defaults(node_id: str) -> dict:
    spec = PACK.NODE_CLASS_MAPPINGS[node_id].INPUT_TYPES()
    values = {}
    for section in ("required", "optional"):
        for name, (kind, *options) in spec[section].items():
            options = options[0] if options else {}
            if "default" in options:
                values[name] = options["default"]
    return values


CASES = [(m.gateway, m.id, protocol) for m in catalog.CHAT_MODELS
         for protocol in PROTOCOLS[m.gateway]]


@pytest.mark.parametrize("gateway, model, protocol", CASES,
                         ids=[f"{g}-{m}-{p}" for g, m, p in CASES])
def test_default_settings_work_with_every_listed_model(emulator, gateway, model, protocol):
    node_id = NODES[gateway]
    values = {**defaults(node_id), "model": model, "prompt": "a lantern", "stream": False}
    if gateway != "opencomputing":
        values["protocol"] = protocol
    text = SYNC_NODES[node_id]().chat(**values)["result"][0]
    assert text.startswith("[sandbox ")
    (call,) = emulator.calls(gateway)
    both = "temperature" in call.json and "top_p" in call.json
    assert not (both and catalog.chat_family(gateway, model) == "anthropic")


@pytest.mark.parametrize("protocol", catalog.CHAT_PROTOCOLS)
def test_claude_gets_temperature_or_top_p_never_both(emulator, protocol):
    run("SeaCloudLLM", protocol=protocol, model="claude-sonnet-4-5", temperature=0.5, top_p=1.0)
    run("SeaCloudLLM", protocol=protocol, model="claude-sonnet-4-5", temperature=0.5, top_p=0.8,
        seed=7)
    first, second = (call.json for call in emulator.calls("seacloud"))
    assert first["temperature"] == 0.5 and "top_p" not in first
    assert second["top_p"] == 0.8 and "temperature" not in second  # top_p moved: it is chosen
    assert "seed" not in first and "seed" not in second


def test_an_unlisted_claude_model_is_known_by_its_prefix(emulator):
    assert catalog.chat_family("cloudbase", "claude-opus-4-1") == "anthropic"
    run("CloudBaseLLM", protocol="anthropic_messages", custom_model="claude-opus-4-1", top_p=1.0)
    (call,) = emulator.calls("cloudbase")
    assert "top_p" not in call.json and call.json["temperature"] == 0.5


def test_other_families_get_every_sampling_field(emulator):
    run("SeaCloudLLM", model="gpt-4.1", temperature=0.5, top_p=0.9)
    (call,) = emulator.calls("seacloud")
    assert (call.json["temperature"], call.json["top_p"], call.json["seed"]) == (0.5, 0.9, 42)


def test_the_emulator_refuses_both_as_the_gateway_does(emulator):
    import requests
    from conftest import KEYS
    url = emulator.base_url("seacloud", "llm") + "/v1/messages"
    answer = requests.post(url, timeout=10, headers={"Authorization": f"Bearer {KEYS['seacloud']}"},
                           json={"model": "claude-sonnet-4-5", "max_tokens": 10, "temperature": 1,
                                 "top_p": 0.5, "messages": [{"role": "user", "content": "hi"}]})
    assert answer.status_code == 400 and "cannot both be specified" in answer.text
