"""Keys and base URLs: environment first, then the keys file (0600); sandbox mode; proxies."""
from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import KEYS, submodule
from test_llm_nodes import run

credentials = submodule("providers.credentials")
GatewayError = submodule("providers.errors").GatewayError


def test_key_from_the_keys_file(emulator, monkeypatch, tmp_path):
    monkeypatch.delenv("SEACLOUD_API_KEY")
    store = credentials.KeyStore(tmp_path / "keys.json")
    store.write_file({"SEACLOUD_API_KEY": KEYS["seacloud"]})
    assert stat.S_IMODE(os.stat(tmp_path / "keys.json").st_mode) == 0o600
    run("SeaCloudLLM")
    assert emulator.calls()[0].headers["authorization"] == f"Bearer {KEYS['seacloud']}"
    assert store.setting("SEACLOUD_API_KEY") == (KEYS["seacloud"], "keys file")


def test_environment_wins_over_the_file(emulator, tmp_path):
    store = credentials.KeyStore(tmp_path / "keys.json")
    store.write_file({"SEACLOUD_API_KEY": "from-file", "GPTUNNEL_API_KEY": "g"})
    assert store.setting("SEACLOUD_API_KEY") == (KEYS["seacloud"], "environment")
    store.write_file({"GPTUNNEL_API_KEY": None})
    assert json.loads((tmp_path / "keys.json").read_text()) == {"SEACLOUD_API_KEY": "from-file"}


def test_malformed_keys_file_is_a_clear_error(emulator, monkeypatch, tmp_path):
    monkeypatch.delenv("SEACLOUD_API_KEY")
    (tmp_path / "keys.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"keys file .*keys.json is not valid JSON"):
        run("SeaCloudLLM")


def test_base_url_override_from_the_keys_file(emulator, monkeypatch, tmp_path):
    monkeypatch.delenv("OPENCOMPUTING_BASE_URL")
    credentials.KeyStore(tmp_path / "keys.json").write_file(
        {"OPENCOMPUTING_BASE_URL": emulator.base_url("opencomputing")})
    run("OpenComputingLLM")
    assert len(emulator.calls("opencomputing")) == 1


def test_default_base_urls(emulator, monkeypatch):
    for var in ("SEACLOUD_LLM_BASE_URL", "SEACLOUD_MODEL_BASE_URL", "CLOUDBASE_BASE_URL"):
        monkeypatch.delenv(var)
    store = credentials.KeyStore("unused.json")
    assert store.access("seacloud", "llm").base_url == "https://cloud.seaart.ai/llm"
    assert store.access("seacloud", "model").base_url == "https://cloud.seaart.ai/model"
    assert store.access("seacloud", "model").auth_headers() == {"Authorization": f"Key {KEYS['seacloud']}"}
    assert store.access("cloudbase").base_url == "https://env-test-123.api.tcloudbasegateway.com"
    assert store.access("gptunnel").auth_headers() == {"Authorization": KEYS["gptunnel"]}


def test_sandbox_mode_needs_no_key(monkeypatch, tmp_path):
    for var in ("SEACLOUD_API_KEY", "CLOUDBASE_API_KEY", "CLOUDBASE_ENV_ID", "OPENCOMPUTING_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MODEL_GATEWAY_KEYS_FILE", str(tmp_path / "none.json"))
    monkeypatch.setenv("MODEL_GATEWAY_SANDBOX", "1")
    for node_id in ("SeaCloudLLM", "CloudBaseLLM", "OpenComputingLLM"):
        for stream in (False, True):
            text, usage, _ = run(node_id, stream=stream)
            assert text.startswith("[sandbox ")
            assert json.loads(usage)["sandbox"] is True
    sandbox = submodule("providers.sandbox").emulator()
    assert sandbox.calls("cloudbase")[0].raw_path.startswith("/cloudbase/sandbox/")


def test_proxy_from_the_environment_is_used(emulator, monkeypatch):
    # The emulator doubles as an HTTP proxy here: with HTTP_PROXY set, the request for an
    # unresolvable host must arrive at the proxy, addressed to that host.
    monkeypatch.setenv("OPENCOMPUTING_BASE_URL", "http://opencomputing.invalid/opencomputing")
    monkeypatch.setenv("HTTP_PROXY", emulator.origin)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    text, _, _ = run("OpenComputingLLM")
    assert text.startswith("[sandbox OpenComputing")
    (call,) = emulator.calls("opencomputing")
    assert call.headers["host"] == "opencomputing.invalid"
