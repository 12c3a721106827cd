"""Each gateway's documented error vocabulary (docs/GATEWAYS.md) becomes a GatewayError that names
the gateway, the gateway's code (or its words) and what the user should do, whether it arrives
with an HTTP error status or inside an HTTP 200 body, whole or as a stream chunk. Only what the
vocabulary calls transient is tried again (a poll keeps going), and never a create."""
from __future__ import annotations

import json

import pytest

from conftest import submodule, NODES
from test_image_nodes import await_images, seacloud_submit, seedream3_submit
from test_llm_nodes import run
from test_video_nodes import t2v

GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply
GATEWAYS = submodule("providers.gateways").GATEWAYS


def fails(call, **inputs) -> "GatewayError":
    with pytest.raises(GatewayError) as caught:
        call(**inputs)
    return caught.value


def cloudbase_chat(**inputs):
    return run("CloudBaseLLM", **inputs)


# -- CloudBase: its error-code pages, with HTTP 200 as well as an error status -----------------

CLOUDBASE_CODES = {
    "AI_MODEL_DISABLED": "wait about 2 minutes",
    "EXCEED_CONCURRENT_REQUEST_LIMIT": "run fewer",
    "EXCEED_TOKEN_QUOTA_LIMIT": "Top up your CloudBase balance",
    "AI_MODEL_NOT_FOUND": "Check the model",
    "AI_MODEL_NOT_SUPPORTED": "Check the model",
    "AI_MODEL_PARAM_INVALID": "check the node's inputs",
    "AI_MODEL_PARAM_REQUIRED": "check the node's inputs",
    "AI_MODEL_CONFIG_MISSING": "complete it in the CloudBase console",
}


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize("code, action", CLOUDBASE_CODES.items())
def test_cloudbase_codes(emulator, code, action, status):
    emulator.fail("cloudbase", "/", Reply(status, json={"code": code, "message": "said so"}),
                  times=5)
    error = fails(cloudbase_chat)
    assert error.gateway == "CloudBase" and error.code == code
    assert str(error).startswith(f"CloudBase answered HTTP {status}: {code}: said so")
    assert action in error.hint
    assert len(emulator.calls("cloudbase")) == 1  # a chat is a create: never sent twice


@pytest.mark.parametrize("code, action", CLOUDBASE_CODES.items())
def test_cloudbase_codes_in_a_streamed_answer(emulator, code, action):
    """A stream request answered with one JSON error body (HTTP 200), as some models do."""
    emulator.fail("cloudbase", "/", Reply(200, json={"code": code, "message": "said so"}))
    error = fails(cloudbase_chat, stream=True)
    assert (error.gateway, error.code) == ("CloudBase", code) and action in error.hint


def test_cloudbase_code_as_a_stream_chunk(emulator):
    """An error sent as an SSE chunk of a 200 stream is read by CloudBase's own classifier."""
    emulator.fail("cloudbase", "/", Reply(events=[
        (None, json.dumps({"code": "AI_MODEL_DISABLED", "message": "model is disabled"}))]))
    error = fails(cloudbase_chat, stream=True)
    assert (error.gateway, error.code) == ("CloudBase", "AI_MODEL_DISABLED")
    assert "wait about 2 minutes" in error.hint and error.transient is True


def test_cloudbase_vocabulary_says_what_is_transient():
    cloudbase = GATEWAYS["cloudbase"]
    assert cloudbase.transient("AI_MODEL_DISABLED", "") is True
    assert cloudbase.transient("EXCEED_CONCURRENT_REQUEST_LIMIT", "") is True
    assert cloudbase.transient("EXCEED_TOKEN_QUOTA_LIMIT", "") is False
    assert cloudbase.transient("SOMETHING_NEW", "") is None


# -- SeaCloud: multimodal/errors ---------------------------------------------------------------

SEACLOUD_ERRORS = [
    (401, {"error": {"code": "UNAUTHORIZED",
                     "message": "Authorization Bearer or Key token is required"},
           "request_id": "r1"}, "UNAUTHORIZED", "SEACLOUD_API_KEY"),
    (404, {"detail": "App not found: not_exists"}, "App not found", "no model with this id"),
    (403, {"detail": "Model not allowed for this user"}, "Model not allowed",
     "may not use this model"),
    (500, {"detail": "Runtime execution failed"}, "Runtime execution failed",
     "failed on SeaCloud's side"),
    (200, {"detail": "Model not allowed for this user"}, "Model not allowed",
     "may not use this model"),
    (200, {"detail": "Runtime execution failed"}, "Runtime execution failed",
     "failed on SeaCloud's side"),
]


@pytest.mark.parametrize("status, body, said, action", SEACLOUD_ERRORS)
def test_seacloud_queue_errors(emulator, status, body, said, action):
    emulator.fail("seacloud", "/model/v1/queue", Reply(status, json=body), times=5)
    error = fails(seacloud_submit)
    assert error.gateway == "SeaCloud" and said in str(error) and action in error.hint
    assert len(emulator.calls("seacloud")) == 1


def test_seacloud_rate_limit_is_retried_only_where_it_refused(emulator):
    emulator.fail("seacloud", "/model/v1/queue", Reply(429, json={
        "error": {"code": "RATE_LIMIT_EXCEEDED",
                  "message": "Rate limit exceeded, please try again later"}},
        headers={"Retry-After": "0"}), times=5)
    error = fails(seacloud_submit)
    assert error.code == "RATE_LIMIT_EXCEEDED" and "rate limiting" in error.hint
    assert len(emulator.calls("seacloud")) == 3  # a 429 refused it: the policy's two retries


# -- GPTunnel: CreativeLab codes (HTTP 200) and the OpenAI-style ones ---------------------------

GPTUNNEL_CODES = [
    (2, "Invalid token, check if authorization header has a valid value.", "GPTUNNEL_API_KEY"),
    (3, None, "check the node's inputs"),
    (5, "Insufficient balance, check account balance.", "Top up your GPTunnel balance"),
    (6, "Service on heavy load. Try again later.", "heavy load"),
    (7, "Has organization restrict for this model.", "organisation"),
    (1001, "Sensitive content has been detected in your request.", "safety check"),
]


@pytest.mark.parametrize("code, message, action", GPTUNNEL_CODES)
def test_gptunnel_codes_in_http_200(emulator, code, message, action):
    body = {"code": code, "message": message} if message else {
        "code": code, "issues": [{"path": ["ar"], "expected": "'1:1' | '16:9'",
                                  "message": "Invalid enum value"}]}
    emulator.fail("gptunnel", "/v1/media/create", Reply(200, json=body), times=5)
    error = fails(seedream3_submit)
    assert error.gateway == "GPTunnel" and error.code == str(code)
    assert (message or "ar: Invalid enum value") in str(error) and action in error.hint
    assert len(emulator.calls("gptunnel")) == 1


@pytest.mark.parametrize("status, kind, action", [
    (401, "unauthorized_request_error", "GPTUNNEL_API_KEY"),
    (402, "insufficient_balance_error", "Top up your GPTunnel balance"),
])
def test_gptunnel_openai_style_errors(emulator, status, kind, action):
    emulator.fail("gptunnel", "/v1/media/create",
                  Reply(status, json={"error": {"message": "said so", "type": kind}}))
    error = fails(seedream3_submit)
    assert (error.gateway, error.status, error.code) == ("GPTunnel", status, kind)
    assert action in error.hint


def test_a_poll_keeps_going_through_what_the_vocabulary_calls_transient(emulator):
    task = seedream3_submit()
    emulator.fail("gptunnel", "/v1/media/result",
                  Reply(200, json={"code": 6, "message": "Service on heavy load."}), times=3)
    images, _, _ = await_images(task)
    assert images.shape[0] == 1
    assert len(emulator.calls("gptunnel", "/v1/media/result")) >= 4


def test_a_poll_stops_at_once_where_waiting_cannot_help(emulator):
    task = seedream3_submit()
    emulator.fail("gptunnel", "/v1/media/result",
                  Reply(200, json={"code": 5, "message": "Insufficient balance."}), times=10)
    error = fails(await_images, task=task)
    assert error.code == "5" and error.transient is False and "Top up" in error.hint
    assert len(emulator.calls("gptunnel", "/v1/media/result")) == 1  # not five tries


def test_an_unknown_task_id_is_record_not_found(emulator):
    """The emulator answers an unknown task as the error table says: code 4."""
    from conftest import PACK
    task = NODES["GatewayTaskFromId"]().task("gptunnel", "f" * 24, "image")[0]
    error = fails(await_images, task=task)
    assert error.code == "4" and "no task with this id" in error.hint
    assert len(emulator.calls("gptunnel", "/v1/media/result")) == 1


# -- OpenComputing: its three documented errors ------------------------------------------------

OPENCOMPUTING_ERRORS = [
    (401, "Invalid API Key", "OPENCOMPUTING_API_KEY"),
    (400, "Missing required parameter: prompt", "one it requires is missing"),
    (429, "Insufficient balance", "Top up your OpenComputing balance"),
]


@pytest.mark.parametrize("status, message, action", OPENCOMPUTING_ERRORS)
@pytest.mark.parametrize("where", ["chat", "video"])
def test_opencomputing_errors(emulator, status, message, action, where):
    path = "/llmage/v1/chat/completions" if where == "chat" else "/llmage/video"
    emulator.fail("opencomputing", path, Reply(status, json={"error": message}), times=5)
    error = fails(lambda: run("OpenComputingLLM") if where == "chat" else t2v())
    assert (error.gateway, error.status, error.message) == ("OpenComputing", status, message)
    assert action in error.hint
    assert len(emulator.calls("opencomputing")) == 1  # 429 is balance here: never retried


@pytest.mark.parametrize("message, action", [(m, a) for _, m, a in OPENCOMPUTING_ERRORS])
def test_opencomputing_errors_in_http_200(emulator, message, action):
    emulator.fail("opencomputing", "/llmage/video", Reply(200, json={"error": message}))
    error = fails(t2v)
    assert (error.gateway, error.status, error.message) == ("OpenComputing", 200, message)
    assert action in error.hint


def test_connection_test_reads_gptunnels_code_2_as_a_refused_key(emulator):
    connection = submodule("providers.connection")
    store = submodule("nodes.comfy").key_store()
    assert connection.test_connection(store, "gptunnel")["ok"] is True  # code 4: key accepted
    emulator.fail("gptunnel", "/v1/media/result", Reply(200, json={
        "code": 2, "message": "Invalid token, check if authorization header has a valid value."}))
    result = connection.test_connection(store, "gptunnel")
    assert result["ok"] is False and "GPTUNNEL_API_KEY" in result["message"]


# -- out of money or quota: never sent again, whatever the status ------------------------------

OUT_OF_MONEY = [
    ("cloudbase", "/", 429, {"code": "EXCEED_TOKEN_QUOTA_LIMIT",
                             "message": "Token usage exceeded quota limit."},
     lambda: run("CloudBaseLLM"), "Top up your CloudBase balance"),
    ("cloudbase", "/", 429, {"code": "EXCEED_REQUEST_LIMIT", "message": "request limit"},
     lambda: run("CloudBaseLLM"), "call quota is used up"),
    ("seacloud", "/llm", 403, {"error": "insufficient balance"}, lambda: run("SeaCloudLLM"),
     "Top up your SeaCloud balance"),
    ("seacloud", "/model/v1/queue", 402, {"status": {"code": 402, "message": "Insufficient credits",
                                                     "error_code": 40201}, "data": None},
     seacloud_submit, "Top up your SeaCloud balance"),
    ("gptunnel", "/v1/media/create", 402, {"error": {"message": "Insufficient balance",
                                                     "type": "insufficient_balance_error"}},
     seedream3_submit, "Top up your GPTunnel balance"),
    ("gptunnel", "/v1/media/create", 200, {"code": 5, "message": "Insufficient balance."},
     seedream3_submit, "Top up your GPTunnel balance"),
    ("opencomputing", "/llmage/video", 429, {"error": "Insufficient balance"}, t2v,
     "Top up your OpenComputing balance"),
    # a 429 whose words say the quota ran out, in no gateway's vocabulary: still not retried
    ("seacloud", "/llm", 429, {"error": {"message": "monthly quota used up", "code": "X"}},
     lambda: run("SeaCloudLLM"), "Top up your SeaCloud balance"),
]


@pytest.mark.parametrize("gateway, path, status, body, call, action", OUT_OF_MONEY)
def test_out_of_money_is_sent_once_and_says_top_up(emulator, gateway, path, status, body, call,
                                                   action):
    emulator.fail(gateway, path, Reply(status, json=body, headers={"Retry-After": "0"}),
                  times=5)
    error = fails(call)
    assert error.gateway == GATEWAY_TITLES[gateway] and error.status == status
    assert action in error.hint
    assert len(emulator.calls(gateway)) == 1, "an out-of-money refusal is never sent again"


def test_a_cloudbase_concurrency_429_is_still_sent_again(emulator):
    """The other CloudBase 429 is a rate limit: it refused the request, so sending it again
    is safe and can help."""
    emulator.fail("cloudbase", "/", Reply(429, json={"code": "EXCEED_CONCURRENT_REQUEST_LIMIT",
                                                      "message": "too many"},
                                          headers={"Retry-After": "0"}), times=1)
    text, _, _ = run("CloudBaseLLM")
    assert text and len(emulator.calls("cloudbase")) == 2


GATEWAY_TITLES = {"cloudbase": "CloudBase", "seacloud": "SeaCloud", "gptunnel": "GPTunnel",
                  "opencomputing": "OpenComputing"}


def test_a_throttled_read_is_sent_again_a_bounded_number_of_times(emulator):
    """A read is retried after a 429 by send() alone (urllib3 retries no 429): 1 + 3 sends."""
    http = submodule("providers.http")
    store = submodule("providers.credentials").KeyStore(__import__("pathlib").Path("/nonexistent"))
    emulator.fail("gptunnel", "/v1/balance", Reply(429, json={"error": {"message": "slow down"}},
                                                   headers={"Retry-After": "0"}), times=50)
    with pytest.raises(GatewayError):
        http.call_json(store.access("gptunnel"), "GET", "/v1/balance", idempotent=True,
                       read_timeout=5)
    assert len(emulator.calls("gptunnel", "/v1/balance", with_billing=True)) == \
        1 + http.THROTTLE_RETRIES[True]


def test_an_opencomputing_429_on_a_read_is_sent_once(emulator):
    http = submodule("providers.http")
    store = submodule("providers.credentials").KeyStore(__import__("pathlib").Path("/nonexistent"))
    emulator.fail("opencomputing", "/llmage/tasks", Reply(429, json={"error": "Insufficient balance"},
                                                          headers={"Retry-After": "0"}), times=50)
    with pytest.raises(GatewayError):
        http.call_json(store.access("opencomputing"), "GET", "/llmage/tasks", idempotent=True,
                       read_timeout=5, params={"taskid": "1"})
    assert len(emulator.calls("opencomputing", "/llmage/tasks")) == 1
