"""Chat on every gateway and protocol, plain and streamed, with the emulator misbehaving: either
the right answer or a GatewayError that names the gateway, holds no key, says whether the
request may have been accepted, and keeps what a cut-off stream did deliver. A create is never
sent twice unless a 429 refused it."""
from __future__ import annotations

import json

import pytest

from conftest import KEYS, submodule
from test_llm_nodes import run

GatewayError = submodule("providers.errors").GatewayError
CutOff = submodule("providers.chat").CutOff
Reply = submodule("providers.emulator").Reply
compose = submodule("providers.emulator.chat").compose

PROMPT = "a lighthouse in a storm"
# (node, gateway, node inputs, model): every chat protocol on every chat gateway
ROUTES = {
    "seacloud-chat": ("SeaCloudLLM", "seacloud", {"protocol": "chat_completions"}, "gpt-4.1"),
    "seacloud-anthropic": ("SeaCloudLLM", "seacloud", {"protocol": "anthropic_messages",
                                                       "model": "claude-sonnet-4-5"},
                           "claude-sonnet-4-5"),
    "seacloud-responses": ("SeaCloudLLM", "seacloud", {"protocol": "responses"}, "gpt-4.1"),
    "cloudbase": ("CloudBaseLLM", "cloudbase", {}, "hy3-preview"),
    "opencomputing": ("OpenComputingLLM", "opencomputing", {}, "qwen3-max"),
}
TITLES = {"seacloud": "SeaCloud", "cloudbase": "CloudBase", "opencomputing": "OpenComputing"}
FAULTS = ["500", "503", "429", "reset_before", "502", "504", "reset", "truncated", "non_json",
          "cut_stream", "stall", "late", "gzip", "cr_lines"]
SLOW = {"stall", "late"}  # outlast the client's (scaled) read timeout
TIMEOUT_SCALE = "0.002"   # the 120 s stream gap becomes 0.24 s, the 300 s reply 0.6 s
STALL = 1.5


def expected_text(gateway: str, model: str) -> str:
    return compose(gateway, model, PROMPT, 0, 1)


def outcome(fault: str, gateway: str, stream: bool) -> str:
    """"ok", "refused" (the gateway cannot have taken it) or "unknown" (it may have)."""
    if fault in ("gzip", "cr_lines"):
        return "ok"
    if fault == "429":
        return "refused" if gateway == "opencomputing" else "ok"  # retried after Retry-After
    if fault in ("500", "503"):
        return "refused"
    return "unknown"


def assert_keyless(error: GatewayError) -> None:
    texts = [str(error), repr(error), error.message, error.hint or "", error.raw or "",
             str(error.args), getattr(error, "partial_text", "")]
    for key in KEYS.values():
        assert not [t for t in texts if key in t], key


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("fault", FAULTS)
def test_chat_under_fault(emulator, monkeypatch, fault, route, stream):
    node, gateway, inputs, model = ROUTES[route]
    if fault in SLOW:
        monkeypatch.setenv("MODEL_GATEWAY_TIMEOUT_SCALE", TIMEOUT_SCALE)
    emulator.fault(gateway, "/", fault, delay=STALL if fault in SLOW else 0.0)
    expected = outcome(fault, gateway, stream)
    if expected == "ok":
        text, usage, _ = run(node, stream=stream, **inputs)
        assert text == expected_text(gateway, model)
        assert json.loads(usage)["gateway"] == gateway
        calls = emulator.calls(gateway)
        assert len(calls) == (2 if fault == "429" else 1)
        return
    with pytest.raises(GatewayError) as caught:
        run(node, stream=stream, **inputs)
    error = caught.value
    assert error.gateway == TITLES[gateway] and str(error).startswith(TITLES[gateway])
    assert_keyless(error)
    assert error.hint
    calls = emulator.calls(gateway)
    assert len(calls) == 1, "a create is sent again only after a 429 that refused it"
    assert calls[0].fault == fault
    assert error.maybe_accepted is (expected == "unknown"), str(error)
    if expected == "unknown":
        # the journal's recovery: not asked again unless the seed changes
        assert "Change the seed" in error.hint
    if fault in ("500", "503", "429", "502", "504"):
        assert error.status == int(fault)
    if fault == "non_json":
        assert "not JSON" in error.message
    if fault in ("cut_stream", "stall") and stream:
        # the emulator sends half of the events: the text so far rides along
        assert isinstance(error, CutOff)
        assert 0 < error.characters < len(expected_text(gateway, model))
        assert expected_text(gateway, model).startswith(error.partial_text)
        assert f"cut off after {error.characters} characters" in error.message
        assert error.partial_text in error.message
        assert ("went silent" if fault == "stall" else "broke off") in error.message
    elif fault == "stall":
        assert "went silent" in error.message
    if fault == "late":
        assert "no answer" in error.message


# -- a stream that ends without its end marker -----------------------------------------------

def chat_chunk(text: str, **extra) -> tuple[None, str]:
    return None, json.dumps({"id": "c1", "model": "m", "choices": [
        {"index": 0, "delta": {"content": text}}], **extra})


def typed(name: str, **data) -> tuple[str, str]:
    return name, json.dumps({"type": name, **data})


PIECES = ["The first ", "half of an ", "answer that ", "stops here"]
PARTIAL = "".join(PIECES)
UNFINISHED = {
    "seacloud-chat": [chat_chunk(p) for p in PIECES],
    # the model finished, but the stream was cut before the usage chunk and [DONE]
    "cloudbase": [chat_chunk(p) for p in PIECES] + [
        (None, json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))],
    "opencomputing": [chat_chunk(p, content=p, finish="0") for p in PIECES],
    "seacloud-anthropic": [typed("message_start", message={"id": "msg", "model": "m"})] + [
        typed("content_block_delta", index=0, delta={"type": "text_delta", "text": p})
        for p in PIECES] + [typed("content_block_stop", index=0)],
    "seacloud-responses": [typed("response.created", response={"id": "r", "model": "m"})] + [
        typed("response.output_text.delta", delta=p) for p in PIECES] + [
        typed("response.output_text.done", text=PARTIAL)],
}


@pytest.mark.parametrize("route", sorted(UNFINISHED))
def test_stream_without_end_marker_is_cut_off_not_an_answer(emulator, route):
    node, gateway, inputs, _ = ROUTES[route]
    emulator.fail(gateway, "/", Reply(200, events=UNFINISHED[route]))
    with pytest.raises(CutOff) as caught:
        run(node, stream=True, **inputs)
    error = caught.value
    assert error.maybe_accepted is True  # it was answered, so it was paid
    assert error.partial_text == PARTIAL and error.characters == len(PARTIAL)
    assert f"the answer was cut off after {len(PARTIAL)} characters" in error.message
    assert "without its end marker" in error.message and PARTIAL in error.message
    assert error.gateway == TITLES[gateway] and "charged" in error.hint
    assert len(emulator.calls(gateway)) == 1


def test_cut_off_message_quotes_at_most_500_characters_and_redacts(emulator):
    pieces = [f"word{i} " for i in range(200)] + [f"echo {KEYS['seacloud']} "]
    emulator.fail("seacloud", "/", Reply(200, events=[chat_chunk(p) for p in pieces]))
    with pytest.raises(CutOff) as caught:
        run("SeaCloudLLM", stream=True)
    error = caught.value
    whole = "".join(pieces)
    assert error.characters == len(whole)
    assert f"cut off after {len(whole)} characters" in error.message
    assert whole[:500] + "…" in error.message and whole[500:520] not in error.message
    assert KEYS["seacloud"] not in error.partial_text and "***" in error.partial_text


def test_stream_cut_before_any_text(emulator):
    emulator.fail("seacloud", "/", Reply(200, events=[
        typed("message_start", message={"id": "msg", "model": "m"})]))
    with pytest.raises(CutOff) as caught:
        run("SeaCloudLLM", stream=True, protocol="anthropic_messages", model="claude-sonnet-4-5")
    assert "cut off before any text arrived" in caught.value.message
    assert caught.value.maybe_accepted is True


def test_opencomputing_stream_ending_with_its_finish_chunk_is_complete(emulator):
    """OpenComputing's documented stream ends with a usage chunk marked finish "1"; one that
    stops there, without [DONE], still holds the whole answer."""
    events = [chat_chunk(p, content=p, finish="0") for p in PIECES] + [
        (None, json.dumps({"choices": [], "finish": "1", "llmusageid": "u1", "usage": {
            "prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}))]
    emulator.fail("opencomputing", "/", Reply(200, events=events))
    text, usage, _ = run("OpenComputingLLM", stream=True)
    assert text == PARTIAL and json.loads(usage)["total_tokens"] == 7


def test_stream_without_blank_lines_between_data_lines(emulator):
    """The OpenComputing page shows its stream as data: lines with no blank line between them;
    SSE joins those into one event, whose lines are read one by one."""
    lines = [chat_chunk(p, content=p, finish="0")[1] for p in PIECES] + ["[DONE]"]
    emulator.fail("opencomputing", "/", Reply(200, events=[(None, "\ndata: ".join(lines))]))
    text, _, _ = run("OpenComputingLLM", stream=True)
    assert text == PARTIAL


def test_nothing_after_the_end_marker_is_read(emulator):
    events = [chat_chunk(p) for p in PIECES] + [(None, "[DONE]")] + [chat_chunk("x")] * 3
    emulator.fail("seacloud", "/", Reply(200, events=events))
    text, _, _ = run("SeaCloudLLM", stream=True)
    assert text == PARTIAL
