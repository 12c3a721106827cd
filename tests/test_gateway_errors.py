"""Every documented error shape becomes one GatewayError: which gateway, what it said, what to do."""
from __future__ import annotations

import time

import pytest

from conftest import submodule
from test_llm_nodes import run

GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply


def fails(node_id, **inputs) -> "GatewayError":
    with pytest.raises(GatewayError) as caught:
        run(node_id, **inputs)
    return caught.value


def test_seacloud_wrong_key(emulator):
    emulator.keys["seacloud"] = "another-key"
    error = fails("SeaCloudLLM")
    assert (error.gateway, error.status, error.message) == ("SeaCloud", 403, "invalid_api_key")
    assert "SEACLOUD_API_KEY" in error.hint
    assert error.request_id and error.request_id.startswith("mgn-")
    assert str(error).startswith("SeaCloud answered HTTP 403: invalid_api_key (request id mgn-")


@pytest.mark.parametrize("node_id, gateway, reply, status, expected, hint", [
    ("SeaCloudLLM", "seacloud",
     Reply(400, json={"error": {"message": "Unsupported value: 'temperature'", "type":
                                "invalid_request_error", "param": "temperature", "code": "unsupported_value"}}),
     400, "unsupported_value: Unsupported value: 'temperature'", "parameters"),
    ("SeaCloudLLM", "seacloud", Reply(403, json={"error": "insufficient balance"}),
     403, "insufficient balance", "Top up your SeaCloud balance"),
    ("SeaCloudLLM", "seacloud",
     Reply(402, json={"status": {"code": 402, "message": "Insufficient credits", "error_code": 40201},
                      "data": None}),
     402, "40201: Insufficient credits", "Top up"),
    # the vocabulary's action: the key was fine, the account lacks the model
    ("SeaCloudLLM", "seacloud", Reply(403, json={"detail": "Model not allowed for this user"}),
     403, "Model not allowed for this user", "may not use this model"),
    ("SeaCloudLLM", "seacloud", Reply(404, json={"error": "not found"}), 404, "not found",
     "model name"),
    # a 502 may have hidden an answer that was paid: not asked again without a new seed
    ("SeaCloudLLM", "seacloud", Reply(502, text="Bad Gateway"), 502, "Bad Gateway",
     "Change the seed"),
    ("CloudBaseLLM", "cloudbase",
     Reply(401, json={"code": "ACCESS_TOKEN_EXPIRED", "message": "token expired"}), 401,
     "ACCESS_TOKEN_EXPIRED: token expired", "CLOUDBASE_API_KEY"),
    ("CloudBaseLLM", "cloudbase",
     Reply(400, json={"code": "AI_MODEL_NOT_FOUND", "message": "model not found"}), 400,
     "AI_MODEL_NOT_FOUND: model not found", "Check the model"),
    ("CloudBaseLLM", "cloudbase", Reply(403, json={"code": "INVALID_ENV", "message": "env not found"}),
     403, "INVALID_ENV: env not found", "CLOUDBASE_API_KEY"),
    ("OpenComputingLLM", "opencomputing",
     Reply(400, json={"error": "Missing required parameter: prompt"}), 400,
     "Missing required parameter: prompt", "parameters"),
    ("OpenComputingLLM", "opencomputing", Reply(403, json={"error": "not logged in"}), 403,
     "not logged in", "OPENCOMPUTING_API_KEY"),
])
def test_documented_error_shapes(emulator, node_id, gateway, reply, status, expected, hint):
    emulator.fail(gateway, "/", reply, times=10)
    error = fails(node_id)
    assert error.status == status
    assert expected in str(error)
    assert hint in error.hint
    assert len(emulator.calls(gateway)) == 1, "a chat request that reached the gateway is never retried"



def test_gateway_refusal_of_images_for_unknown_text_model(emulator):
    emulator.fail("cloudbase", "/", Reply(400, json={"code": "AI_MODEL_NOT_SUPPORTED",
                                                      "message": "model x does not support image input"}))
    error = fails("CloudBaseLLM", custom_model="x", images=__import__("torch").zeros(1, 8, 8, 3))
    assert "AI_MODEL_NOT_SUPPORTED: model x does not support image input" in str(error)


def test_cloudbase_error_inside_http_200(emulator):
    emulator.fail("cloudbase", "/", Reply(200, json={"code": "EXCEED_TOKEN_QUOTA_LIMIT",
                                                      "message": "token quota exceeded"}))
    error = fails("CloudBaseLLM")
    assert error.status == 200 and error.code == "EXCEED_TOKEN_QUOTA_LIMIT"
    assert "Top up your CloudBase balance" in error.hint


def test_opencomputing_429_is_balance_and_never_retried(emulator):
    emulator.fail("opencomputing", "/", Reply(429, json={"error": "Insufficient balance"}), times=5)
    error = fails("OpenComputingLLM")
    assert (error.status, error.message) == (429, "Insufficient balance")
    assert error.hint.startswith("Top up your OpenComputing balance")
    assert len(emulator.calls("opencomputing")) == 1


def test_rate_limit_is_retried_honouring_retry_after(emulator):
    emulator.fail("seacloud", "/", Reply(429, json={"error": {"code": "RATE_LIMIT_EXCEEDED",
                                                              "message": "slow down"}},
                                         headers={"Retry-After": "1"}))
    started = time.monotonic()
    text, _, _ = run("SeaCloudLLM")
    assert time.monotonic() - started >= 0.9
    assert text.startswith("[sandbox SeaCloud")
    assert len(emulator.calls("seacloud")) == 2


def test_persistent_rate_limit_surfaces_with_advice(emulator):
    emulator.fail("cloudbase", "/", Reply(429, json={"code": "EXCEED_CONCURRENT_REQUEST_LIMIT",
                                                      "message": "too many requests"},
                                          headers={"Retry-After": "0"}), times=10)
    error = fails("CloudBaseLLM")
    assert error.status == 429 and "rate limiting" in error.hint
    assert len(emulator.calls("cloudbase")) == 3  # first try and two retries


def test_malformed_json(emulator):
    emulator.fail("seacloud", "/", Reply(200, text="<html>proxy login</html>"))
    error = fails("SeaCloudLLM")
    assert "not JSON" in error.message and "<html>proxy login" in error.message


def test_reply_without_text_is_an_error_not_an_empty_output(emulator):
    emulator.fail("seacloud", "/", Reply(200, json={"id": "x", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": "length"}]}))
    error = fails("SeaCloudLLM")
    assert error.message == "the model returned no text" and "max_tokens" in error.hint


def test_unexpected_reply_shape(emulator):
    emulator.fail("seacloud", "/", Reply(200, json={"hello": "world"}))
    assert "unexpected shape" in fails("SeaCloudLLM").message


def test_error_event_inside_a_stream(emulator):
    events = [("message_start", '{"type": "message_start", "message": {"model": "m"}}'),
              ("content_block_delta", '{"type": "content_block_delta", "delta": {"text": "Hel"}}'),
              ("error", '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}')]
    emulator.fail("seacloud", "/", Reply(200, events=events))
    error = fails("SeaCloudLLM", protocol="anthropic_messages", stream=True)
    assert "overloaded_error: Overloaded" in str(error)


def test_error_answered_to_a_stream_request_as_json(emulator):
    emulator.fail("opencomputing", "/", Reply(200, json={"error": "Insufficient balance"}))
    error = fails("OpenComputingLLM", stream=True)
    assert error.message == "Insufficient balance" and "Top up" in error.hint


def test_missing_key_names_the_variable_and_the_file(emulator, monkeypatch, tmp_path):
    monkeypatch.delenv("GPTUNNEL_API_KEY")
    monkeypatch.delenv("OPENCOMPUTING_API_KEY")
    error = fails("OpenComputingLLM")
    assert "OPENCOMPUTING_API_KEY" in str(error) and str(tmp_path / "keys.json") in str(error)
    assert emulator.calls() == []


def test_missing_cloudbase_env_id(emulator, monkeypatch):
    monkeypatch.delenv("CLOUDBASE_ENV_ID")
    assert "CLOUDBASE_ENV_ID is not set" in str(fails("CloudBaseLLM"))


def test_unreachable_gateway(emulator, monkeypatch):
    import socket
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OPENCOMPUTING_BASE_URL", f"http://127.0.0.1:{port}")
    error = fails("OpenComputingLLM")
    assert f"could not reach http://127.0.0.1:{port}" in error.message
    assert "base URL override" in error.hint
