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


def test_sandbox_base_urls_come_from_the_layer_above(monkeypatch):
    # credentials does not know the sandbox: the KeyStore's maker says where it is
    monkeypatch.setenv("MODEL_GATEWAY_SANDBOX", "1")
    def sandbox_base_url(gateway, role):
        return f"http://127.0.0.1:9/{gateway}/{role}"

    store = credentials.KeyStore("unused.json", sandbox_base_url=sandbox_base_url)
    access = store.access("seacloud", "model")
    assert (access.base_url, access.source, access.sandbox) == (
        "http://127.0.0.1:9/seacloud/model", "sandbox", True)
    assert access.auth_headers() == {"Authorization": f"Key {credentials.SANDBOX_KEY}"}
    with pytest.raises(RuntimeError, match="sandbox_base_url"):
        credentials.KeyStore("unused.json").access("seacloud", "model")


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


# -- the CloudBase env id becomes part of the host name: only a DNS label is accepted ---------

CLOUDBASE_HOST = ".api.tcloudbasegateway.com"


@pytest.mark.parametrize("env_id", [
    "evil.example/x?", "evil.example#", "evil.example@", "a.b", "x:1", "x/y", "x?", "-env", "env-",
    "a" * 64, "env_id", "env id", "%65vil", "énv", "en\nv", "[::1]"])
@pytest.mark.parametrize("source", ["environment", "keys file"])
def test_a_cloudbase_env_id_that_is_not_a_dns_label_is_refused(emulator, monkeypatch, tmp_path,
                                                               env_id, source):
    monkeypatch.delenv("CLOUDBASE_BASE_URL")
    if source == "environment" and env_id.strip():
        monkeypatch.setenv("CLOUDBASE_ENV_ID", env_id)
        where = "environment"
    else:
        monkeypatch.delenv("CLOUDBASE_ENV_ID")
        (tmp_path / "keys.json").write_text(json.dumps({"CLOUDBASE_ENV_ID": env_id}))
        where = str(tmp_path / "keys.json")
    store = credentials.KeyStore(tmp_path / "keys.json")
    with pytest.raises(GatewayError) as caught:
        store.access("cloudbase")
    assert "CLOUDBASE_ENV_ID" in str(caught.value) and where in str(caught.value)
    assert "environment id" in str(caught.value)
    with pytest.raises(ValueError, match="CLOUDBASE_ENV_ID"):
        store.update("cloudbase", {"CLOUDBASE_ENV_ID": env_id})
    problem = next(s for s in store.status("cloudbase")["settings"]
                   if s["name"] == "CLOUDBASE_ENV_ID")["problem"]
    assert "CLOUDBASE_ENV_ID" in problem


def test_every_accepted_env_id_stays_on_the_cloudbase_host(monkeypatch, tmp_path):
    """Many random candidates, with every character that could end or bend a host name: each
    one the validator accepts gives a URL (as requests will send it) on ENV_ID + CLOUDBASE_HOST."""
    import random

    import requests
    monkeypatch.delenv("CLOUDBASE_BASE_URL", raising=False)
    monkeypatch.delenv("MODEL_GATEWAY_SANDBOX", raising=False)
    monkeypatch.setenv("CLOUDBASE_API_KEY", KEYS["cloudbase"])
    store = credentials.KeyStore(tmp_path / "keys.json")
    # host-name characters, often, and everything that could end or bend a host, less often
    alphabet = "abcXYZ0189-" * 4 + ".._~:/?#[]@!$&'()*+,;=%\\ \t\nédž．。"
    rng = random.Random(1123)
    candidates = ["a", "0", "a-b", "env-test-123", "A" * 63, "x--y"]
    candidates += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
                   for _ in range(3000)]
    accepted = 0
    for env_id in candidates:
        if credentials.env_id_problem(env_id) is not None:
            continue
        accepted += 1
        monkeypatch.setenv("CLOUDBASE_ENV_ID", env_id)
        access = store.access("cloudbase")
        sent = requests.Request("POST", access.url("/v1/ai/cloudbase/chat/completions")).prepare()
        host = requests.utils.urlparse(sent.url).hostname
        assert host == env_id.lower() + CLOUDBASE_HOST, env_id
        assert access.same_origin(sent.url)
        assert not access.same_origin(f"https://{env_id}.evil.example/")
    assert accepted > 100  # the random candidates did reach the check


@pytest.mark.parametrize("name, value, problem", [
    ("OPENCOMPUTING_BASE_URL", "ftp://x", "http"),
    ("OPENCOMPUTING_BASE_URL", "https://", "no host"),
    ("OPENCOMPUTING_BASE_URL", "https://user:pw@opencomputing.ai", "user name"),
    ("OPENCOMPUTING_BASE_URL", "https://opencomputing.ai?x=", "query"),
    ("OPENCOMPUTING_BASE_URL", "https://opencomputing.ai:port", "port"),
])
def test_a_bad_base_url_is_refused_naming_it_and_where_it_came_from(emulator, monkeypatch,
                                                                    tmp_path, name, value,
                                                                    problem):
    monkeypatch.setenv(name, value)
    with pytest.raises(GatewayError, match=f"{name} \\(from the environment\\).*{problem}"):
        credentials.KeyStore(tmp_path / "keys.json").access("opencomputing")
