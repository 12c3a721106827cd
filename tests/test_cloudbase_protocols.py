"""CloudBase LLM in the three protocols its docs list (docs.cloudbase.net ai/ai-tools/protocol):
Chat Completions, Anthropic Messages and Responses, all under the one base URL
https://ENV_ID.api.tcloudbasegateway.com/v1/ai/PROVIDER, plain and streamed, against the
emulator; and a CloudBase workflow saved before the protocol widget existed still loads."""
from __future__ import annotations

import json

import pytest

from conftest import KEYS, PACK, NODES
from test_llm_nodes import run

nodes = NODES

PATHS = {"chat_completions": "/v1/ai/cloudbase/chat/completions",
         "anthropic_messages": "/v1/ai/cloudbase/v1/messages",
         "responses": "/v1/ai/cloudbase/responses"}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("protocol", list(PATHS))
def test_cloudbase_answers_in_each_protocol(emulator, protocol, stream):
    text, usage, history = run("CloudBaseLLM", protocol=protocol, model="hy3-preview",
                               stream=stream)
    assert text.startswith("[sandbox CloudBase hy3-preview] A cinematic")
    (call,) = emulator.calls("cloudbase")
    assert call.method == "POST" and call.path == PATHS[protocol]
    # the env id is the host's first label on the real gateway; the emulator puts it first
    assert call.raw_path.startswith("/cloudbase/env-test-123/")
    assert call.headers["authorization"] == f"Bearer {KEYS['cloudbase']}"  # authToken, not x-api-key
    assert "x-api-key" not in call.headers
    assert (call.headers.get("accept") == "text/event-stream") is stream
    body = call.json
    assert body["model"] == "hy3-preview" and body["stream"] is stream
    assert "seed" not in body  # CloudBase refuses parameters it does not document
    if protocol == "chat_completions":
        assert body["messages"] == [{"role": "system", "content": "Answer briefly."},
                                    {"role": "user", "content": "a lighthouse in a storm"}]
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.5, 0.9, 200)
        assert "anthropic-version" not in call.headers
    elif protocol == "anthropic_messages":
        assert call.headers["anthropic-version"] == "2023-06-01"
        assert body["system"] == "Answer briefly." and body["max_tokens"] == 200
        assert body["messages"] == [{"role": "user", "content": "a lighthouse in a storm"}]
    else:
        assert body["instructions"] == "Answer briefly." and body["max_output_tokens"] == 200
        assert body["input"] == [{"role": "user", "content": "a lighthouse in a storm"}]
        assert "messages" not in body
    usage = json.loads(usage)
    assert usage["gateway"] == "cloudbase" and usage["model"] == "hy3-preview"
    if not (stream and protocol == "chat_completions"):  # CloudBase's SSE carries no usage
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert history[-1] == {"role": "assistant", "text": text, "images": []}


def test_another_provider_goes_under_its_own_base_url(emulator):
    run("CloudBaseLLM", protocol="anthropic_messages", provider="hunyuan-exp")
    (call,) = emulator.calls("cloudbase")
    assert call.path == "/v1/ai/hunyuan-exp/v1/messages"


def test_protocol_reuses_the_one_dialect_table():
    cloudbase = __import__(f"{PACK.__name__}.providers.cloudbase", fromlist=["x"])
    dialects = __import__(f"{PACK.__name__}.providers.dialects", fromlist=["x"])
    catalog = __import__(f"{PACK.__name__}.providers.catalog", fromlist=["x"])
    assert set(cloudbase.PROTOCOL_PATHS) == set(dialects.DIALECTS) == set(catalog.CHAT_PROTOCOLS)


def test_the_anthropic_temperature_ceiling_applies_on_cloudbase_too(emulator):
    with pytest.raises(ValueError, match="temperature must be between 0 and 1 for the "
                                         "anthropic_messages protocol"):
        run("CloudBaseLLM", protocol="anthropic_messages", temperature=1.5)
    assert emulator.calls("cloudbase") == []


def test_a_workflow_saved_without_the_protocol_widget_still_runs(emulator):
    """An API-format prompt of the old node has no protocol: it means chat_completions."""
    values = {"provider": "cloudbase", "model": "hy3-preview", "prompt": "a kite",
              "system_prompt": "", "temperature": 0.7, "top_p": 1.0, "max_tokens": 64,
              "seed": 1, "stream": False, "custom_model": ""}
    nodes["CloudBaseLLM"]().chat(**values)
    (call,) = emulator.calls("cloudbase")
    assert call.path == PATHS["chat_completions"]
