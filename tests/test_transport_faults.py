"""The one mapping of transport failures to GatewayError (http.transport_error): nothing raw
escapes send(), read_json() or call_json(), no message holds a key, and maybe_accepted is True
exactly where a create may have been taken."""
from __future__ import annotations

import http.client
import time

import pytest
import requests
import urllib3

from conftest import KEYS, submodule
from test_llm_nodes import run

http_mod = submodule("providers.http")
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply

KEY = KEYS["seacloud"]
URL = "https://cloud.example/llm/v1/chat/completions"


def access():
    return submodule("nodes.comfy").key_store().access("seacloud", "llm")


def assert_keyless(error, *keys) -> None:
    texts = [str(error), repr(error), error.message, error.hint or "", error.raw or "",
             str(error.args)]
    for key in keys or KEYS.values():
        assert not [t for t in texts if key in t], key


# -- every kind of raw exception ----------------------------------------------------------

def wrapped(cause):
    """How requests hands over a failure inside urllib3's retries."""
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, URL, cause))


REFUSED = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: "
                                                      "[Errno 111] Connection refused")
# (raw exception, what it means, whether a create may have been accepted, words in the message)
RAW = {
    "refused": (wrapped(REFUSED), "connect", False, "connection refused"),
    "dns": (wrapped(urllib3.exceptions.NameResolutionError("cloud.example", None, OSError())),
            "connect", False, "could not be resolved"),
    "connect timeout": (requests.exceptions.ConnectTimeout(wrapped(
        urllib3.exceptions.ConnectTimeoutError(None, "timed out"))), "connect", False,
        "no connection within"),
    "invalid header": (requests.exceptions.InvalidHeader(
        f"Invalid leading whitespace, reserved character(s), or return character(s) in header "
        f"value: 'Bearer {KEY}\\nX'"), "header", False, "not sent"),
    "non-latin key": (UnicodeEncodeError("latin-1", f"Bearer {KEY}\u2019", 7 + len(KEY),
                                         8 + len(KEY), "ordinal not in range(256)"),
                      "header", False, "not sent"),
    "invalid url": (requests.exceptions.InvalidURL("Failed to parse: http://[::1"), "url", False,
                    "not a usable URL"),
    "read timeout": (requests.exceptions.ReadTimeout(wrapped(
        urllib3.exceptions.ReadTimeoutError(None, URL, "Read timed out."))), "timeout", True,
        "no answer"),
    "raw read timeout": (urllib3.exceptions.ReadTimeoutError(None, URL, "Read timed out."),
                         "timeout", True, "no answer"),
    "body read timeout": (requests.exceptions.ConnectionError(
        urllib3.exceptions.ReadTimeoutError(None, URL, "Read timed out.")), "timeout", True,
        "no answer"),
    "reset after sending": (requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))),
        "lost", True, "connection reset"),
    "remote closed": (requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.RemoteDisconnected("closed"))), "lost", True, "lost"),
    "cut body": (requests.exceptions.ChunkedEncodingError(urllib3.exceptions.ProtocolError(
        "Connection broken: IncompleteRead(5 bytes read, 7 more expected)",
        http.client.IncompleteRead(b"12345", 7))), "lost", True, "closed early"),
    "cut stream": (urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(0 bytes "
                                                    "read)", http.client.IncompleteRead(b"")),
                   "lost", True, "closed early"),
    "garbled gzip": (urllib3.exceptions.DecodeError("Received response with content-encoding: "
                                                    "gzip, but failed to decode it."),
                     "decode", True, "could not be decoded"),
    "garbled body": (requests.exceptions.ContentDecodingError("failed to decode"), "decode", True,
                     "could not be decoded"),
    "redirect loop": (requests.exceptions.TooManyRedirects("Exceeded 30 redirects."), "redirects",
                      True, "redirected"),
    "socket reset": (ConnectionResetError(104, "Connection reset by peer"), "lost", True,
                     "connection reset"),
}


@pytest.mark.parametrize("name", sorted(RAW))
def test_every_raw_exception_becomes_one_gateway_error(emulator, name):
    exc, kind, create_may_be_accepted, words = RAW[name]
    assert http_mod.classify(exc)[0] == kind
    for unsure in (True, False):  # a create, then an idempotent call
        error = http_mod.transport_error(access(), exc, URL, request_id="mgn-1", unsure=unsure,
                                         read_timeout=30.0)
        assert isinstance(error, GatewayError) and error.gateway == "SeaCloud"
        assert error.maybe_accepted is (unsure and create_may_be_accepted)
        assert words in error.message and error.hint
        assert ("may have received the request" in error.hint) is error.maybe_accepted
        assert_keyless(error, KEY)


def test_a_timeout_while_reading_says_it_went_silent(emulator):
    exc = urllib3.exceptions.ReadTimeoutError(None, URL, "Read timed out.")
    error = http_mod.transport_error(access(), exc, URL, request_id=None, unsure=True,
                                     phase="reading", read_timeout=120.0)
    assert "went silent in the middle of its answer (nothing more within 120 s)" in error.message


# -- headers that cannot be sent carry the key: it must not come back ----------------------

@pytest.mark.parametrize("key", ["sk-sea-NEWLINE-5e6f7a8b\nsecond-half-9c0d",
                                 "sk-sea-QUOTE-5e6f7a8b\u2019second-half-9c0d",
                                 "sk-sea-CR-5e6f7a8b\rsecond-half-9c0d"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(emulator, monkeypatch,
                                                                      key, stream):
    monkeypatch.setenv("SEACLOUD_API_KEY", key)
    with pytest.raises(GatewayError) as caught:
        run("SeaCloudLLM", stream=stream)
    error = caught.value
    # refused when the key is read, before any header is built
    assert error.maybe_accepted is False and "SEACLOUD_API_KEY" in error.message
    assert "key" in error.hint
    pieces = [key, *key.replace("\u2019", "\n").replace("\r", "\n").split("\n"),
              repr(key)[1:-1]]
    assert_keyless(error, *pieces)
    assert error.__context__ is None and error.__cause__ is None  # the raw one is not chained
    assert emulator.calls() == []


def test_a_base_url_that_is_not_a_url(emulator, monkeypatch):
    monkeypatch.setenv("SEACLOUD_LLM_BASE_URL", "http://[::1")
    with pytest.raises(GatewayError) as caught:
        run("SeaCloudLLM")
    error = caught.value
    assert "not a usable URL" in error.message and "SEACLOUD_LLM_BASE_URL" in str(error)
    assert error.maybe_accepted is False


def test_redirect_loop(emulator):
    loop = emulator.base_url("seacloud", "llm") + "/v1/chat/completions"
    emulator.fail("seacloud", "/", Reply(307, headers={"Location": loop}), times=100)
    with pytest.raises(GatewayError) as caught:
        run("SeaCloudLLM")
    assert "redirected the request too many times" in caught.value.message
    assert caught.value.maybe_accepted is True
    assert_keyless(caught.value)


# -- bodies read after send(): a cut body is a GatewayError there too ----------------------

def test_read_json_of_a_body_cut_midway(emulator):
    emulator.fault("seacloud", "/models", "truncated")
    response = http_mod.send(access(), "GET", "/v1/models", idempotent=True, read_timeout=10,
                             stream=True)
    with response, pytest.raises(GatewayError) as caught:
        http_mod.read_json(access(), response)
    assert "broke off midway" in caught.value.message
    assert caught.value.maybe_accepted is False  # an idempotent call


@pytest.mark.parametrize("fault, words", [("truncated", "broke off midway"),
                                          ("non_json", "not JSON"),
                                          ("stall", "went silent")])
def test_idempotent_calls_are_never_maybe_accepted(emulator, monkeypatch, fault, words):
    monkeypatch.setenv("MODEL_GATEWAY_TIMEOUT_SCALE", "0.02")
    emulator.fault("seacloud", "/models", fault, delay=1.5)
    with pytest.raises(GatewayError) as caught:
        http_mod.call_json(access(), "GET", "/v1/models", idempotent=True, read_timeout=10)
    assert words in caught.value.message and caught.value.maybe_accepted is False


def test_non_json_answer_to_a_create_may_have_been_accepted(emulator):
    emulator.fault("seacloud", "/chat/completions", "non_json")
    with pytest.raises(GatewayError) as caught:
        http_mod.call_json(access(), "POST", "/v1/chat/completions", idempotent=False,
                           read_timeout=10, json={"model": "m", "messages": []})
    assert caught.value.maybe_accepted is True
    assert "may have received the request" in caught.value.hint


def test_error_page_that_breaks_off_is_still_the_status(emulator):
    emulator.keys["seacloud"] = "another-key"  # refused with 403 and a JSON body ...
    emulator.fault("seacloud", "/", "truncated")  # ... of which only half arrives
    with pytest.raises(GatewayError) as caught:
        run("SeaCloudLLM")
    assert caught.value.status == 403 and caught.value.message == "Forbidden"
    assert "SEACLOUD_API_KEY" in caught.value.hint and caught.value.maybe_accepted is False


# -- what is retried ---------------------------------------------------------------------

def test_a_create_refused_with_503_and_retry_after_is_not_sent_again(emulator):
    emulator.fault("seacloud", "/", "503", delay=0)
    with pytest.raises(GatewayError) as caught:
        run("SeaCloudLLM")
    assert caught.value.status == 503 and caught.value.maybe_accepted is False
    assert len(emulator.calls("seacloud")) == 1


def test_a_poll_refused_with_503_is_retried(emulator):
    emulator.fault("seacloud", "/models", "503", delay=0)
    reply = http_mod.call_json(access(), "GET", "/v1/models", idempotent=True, read_timeout=10)
    assert reply["data"] and len(emulator.calls("seacloud")) == 2


def test_refused_connection_to_a_create_is_not_accepted(emulator, monkeypatch):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(http_mod, "retry_policy",
                        lambda idempotent: urllib3.util.Retry(total=0))
    http_mod._sessions.clear()
    monkeypatch.setenv("SEACLOUD_LLM_BASE_URL", f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(GatewayError) as caught:
            run("SeaCloudLLM")
    finally:
        http_mod._sessions.clear()
    assert caught.value.maybe_accepted is False
    assert "connection refused" in caught.value.message


# -- MODEL_GATEWAY_TIMEOUT_SCALE ----------------------------------------------------------

def test_timeout_scale_multiplies_read_timeouts(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_TIMEOUT_SCALE", "0.001")  # the reply's 300 s is 0.3 s
    emulator.fault("seacloud", "/", "late", delay=2.0)
    started = time.monotonic()
    with pytest.raises(GatewayError) as caught:
        run("SeaCloudLLM")
    assert time.monotonic() - started < 1.5
    assert "no answer from" in caught.value.message and "0.3 s" in caught.value.message
    assert caught.value.maybe_accepted is True


@pytest.mark.parametrize("value, scale", [("", 1.0), ("0.5", 0.5), ("junk", 1.0), ("-1", 1.0),
                                          ("0", 1.0)])
def test_timeout_scale_values(monkeypatch, value, scale):
    monkeypatch.setenv("MODEL_GATEWAY_TIMEOUT_SCALE", value)
    assert http_mod.timeout_scale() == scale
