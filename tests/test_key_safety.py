"""Keys are checked when read, refused without being shown, and sent only to their gateway's
own origin (scheme, host and port of the configured base URL)."""
from __future__ import annotations

import json
import re

import pytest

from conftest import KEYS, submodule
from test_llm_nodes import run
from test_routes import request

credentials = submodule("providers.credentials")
http = submodule("providers.http")
GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply

# Keys as they arrive by accident: pasted with a line break, with the quotes of a .env file,
# with a tab, with a look-alike letter. Each is made of distinctive pieces, so that a message
# showing any piece of one (not just all of it) is caught.
BAD_KEYS = {
    "line feed": "sk-Zq7Wx9Pa\nKm3Rt8Yu",
    "carriage return": "sk-Zq7Wx9Pa\r\nKm3Rt8Yu",
    "spaces inside quotes": '"sk-Zq7Wx9Pa Km3Rt8Yu"',
    "quotes": "'sk-Zq7Wx9PaKm3Rt8Yu'",
    "tab": "sk-Zq7Wx9Pa\tKm3Rt8Yu",
    "escape character": "sk-Zq7Wx9Pa\x1bKm3Rt8Yu",
    "non-ASCII": "sk-Zq7Wx9Paключ8Yu",
    "unicode line separator": "sk-Zq7Wx9Pa\u2028Km3Rt8Yu",
}


def pieces(key: str) -> list[str]:
    """Every part of a key a leak could show: runs of 4+ letters/digits, non-ASCII runs, the
    ending mask() would show, and the key itself."""
    found = re.findall(r"[A-Za-z0-9]{4,}|[^\x00-\x7f]+", key)
    return [*found, key[-4:], key.strip()[-4:], key]


def shown(key: str, *texts: str) -> list[str]:
    """The pieces of key that appear in any of the texts (also as JSON escapes)."""
    blob = "\n".join(texts)
    blob += "\n" + blob.encode("ascii", "backslashreplace").decode()
    blob += "\n" + json.dumps(blob)
    return [piece for piece in pieces(key) if piece in blob]


def use(monkeypatch, tmp_path, source: str, gateway_var: str, key: str):
    """Put the key in the environment or (with the variable unset) in the keys file."""
    if source == "environment":
        monkeypatch.setenv(gateway_var, key)
    else:
        monkeypatch.delenv(gateway_var)
        (tmp_path / "keys.json").write_text(json.dumps({gateway_var: key}))


def where(source: str, tmp_path) -> str:
    return "environment" if source == "environment" else str(tmp_path / "keys.json")


# -- 1. a key is checked when read ----------------------------------------------------------

@pytest.mark.parametrize("source", ["environment", "keys file"])
@pytest.mark.parametrize("kind", BAD_KEYS)
def test_a_mangled_key_is_refused_before_any_request_without_showing_it(
        emulator, monkeypatch, tmp_path, all_logs, source, kind):
    key = BAD_KEYS[kind]
    use(monkeypatch, tmp_path, source, "OPENCOMPUTING_API_KEY", key)
    with pytest.raises(GatewayError) as caught:
        run("OpenComputingLLM")
    error = caught.value
    assert "OPENCOMPUTING_API_KEY" in str(error) and where(source, tmp_path) in str(error)
    assert not shown(key, str(error), repr(error), error.hint or "", all_logs.text)
    assert emulator.calls() == []


@pytest.mark.parametrize("kind", BAD_KEYS)
def test_the_panel_refuses_to_write_a_mangled_key_without_showing_it(emulator, tmp_path, kind):
    key = BAD_KEYS[kind]
    status, text = request("POST", "/model_gateway/keys/gptunnel", {"GPTUNNEL_API_KEY": key})
    assert status == 400
    error = json.loads(text)["error"]
    assert "GPTUNNEL_API_KEY" in error and "settings panel" in error
    assert not shown(key, text)
    assert not (tmp_path / "keys.json").exists()


def test_surrounding_whitespace_is_not_part_of_the_key(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("SEACLOUD_API_KEY", f"  {KEYS['seacloud']}\r\n")
    use(monkeypatch, tmp_path, "keys file", "GPTUNNEL_API_KEY", f"\t{KEYS['gptunnel']}\n")
    store = credentials.KeyStore(tmp_path / "keys.json")
    assert store.access("seacloud", "llm").key == KEYS["seacloud"]
    assert store.access("gptunnel").key == KEYS["gptunnel"]
    store.update("opencomputing", {"OPENCOMPUTING_API_KEY": f" {KEYS['opencomputing']}\n"})
    assert store.setting("OPENCOMPUTING_API_KEY")[0] == KEYS["opencomputing"]


def test_mask_shows_no_ending_of_a_mangled_key():
    for key in BAD_KEYS.values():
        assert credentials.mask(key) is None
    assert credentials.mask("sk-good-key-0123456789") == "…6789"


# -- 4. the key goes only to the gateway's own origin ----------------------------------------

@pytest.mark.parametrize("url, same", [
    ("https://cloud.seaart.ai/model/v1/x", True),
    ("https://cloud.seaart.ai/elsewhere", True),  # the origin, not the path, is the boundary
    ("https://CLOUD.SeaArt.AI:443/model/x", True),
    ("HTTPS://cloud.seaart.ai/model/x", True),
    ("http://cloud.seaart.ai/model/x", False),
    ("https://cloud.seaart.ai:8443/model/x", False),
    ("https://cloud.seaart.ai.evil.example/model/x", False),
    ("https://evil.example/https://cloud.seaart.ai/model/x", False),
    ("https://cloud.seaart.ai@evil.example/model/x", False),
    ("https://user:pw@cloud.seaart.ai/model/x", False),
    ("https://cloud.seaart.ai\\@evil.example/model/x", False),
    ("https://cloud.seaart.ai\t/model/x", False),
    ("https://cloud.seaart.ai:99999/x", False),
    ("//cloud.seaart.ai/model/x", False),
    ("cloud.seaart.ai/model/x", False),
    ("", False),
])
def test_same_origin(url, same):
    access = credentials.Access(submodule("providers.gateways").GATEWAYS["seacloud"],
                                "https://cloud.seaart.ai/model", "Key", "environment", "k" * 20)
    assert access.same_origin(url) is same
    assert access.auth_headers_for(url) == ({"Authorization": "Key " + "k" * 20} if same else {})


def test_default_ports_are_the_same_origin():
    gateway = submodule("providers.gateways").GATEWAYS["gptunnel"]
    for base, url in (("https://gptunnel.ru:443", "https://gptunnel.ru/v1"),
                      ("http://Example.COM", "http://example.com:80/v1"),
                      ("http://[::1]:8188/x", "http://[::1]:8188/y")):
        assert credentials.Access(gateway, base, None, "environment", "k").same_origin(url)


def test_an_absolute_url_on_another_origin_gets_no_key(emulator):
    store = credentials.KeyStore("unused.json")
    access = store.access("seacloud", "model")  # base http://127.0.0.1:PORT/seacloud/model
    port = emulator.origin.rsplit(":", 1)[1]
    status = "/seacloud/model/v1/queue/requests/nope/status"
    for url in (f"http://localhost:{port}{status}", f"{emulator.origin}{status}"):
        try:
            http.send(access, "GET", url, idempotent=True, read_timeout=5).close()
        except GatewayError:
            pass  # the emulator may refuse or not know the job; what it was sent is the point
    elsewhere, home = emulator.calls("seacloud")
    assert elsewhere.headers["host"].startswith("localhost:")
    assert "authorization" not in elsewhere.headers
    assert home.headers["authorization"] == f"Key {KEYS['seacloud']}"


def test_a_redirect_to_another_origin_carries_no_key(emulator):
    port = emulator.origin.rsplit(":", 1)[1]
    emulator.fail("opencomputing", "/llmage/tasks", Reply(
        302, headers={"Location": f"http://localhost:{port}/opencomputing/llmage/tasks?taskid=1"}))
    access = credentials.KeyStore("unused.json").access("opencomputing")
    try:
        http.send(access, "GET", "/llmage/tasks", params={"taskid": "1"}, idempotent=True,
                  read_timeout=5).close()
    except GatewayError:
        pass
    first, redirected = emulator.calls("opencomputing")
    assert first.headers["authorization"] == f"Bearer {KEYS['opencomputing']}"
    assert redirected.headers["host"].startswith("localhost:")
    assert "authorization" not in redirected.headers


# -- 5. no route answer and no log record holds a key ----------------------------------------

@pytest.mark.parametrize("source", ["environment", "keys file"])
@pytest.mark.parametrize("kind", BAD_KEYS)
def test_no_route_answer_or_log_shows_a_mangled_key(emulator, monkeypatch, tmp_path, all_logs,
                                                    source, kind):
    key = BAD_KEYS[kind]
    use(monkeypatch, tmp_path, source, "CLOUDBASE_API_KEY", key)
    answers = []
    for method, path, body in (
            ("GET", "/model_gateway/status", None),
            ("POST", "/model_gateway/test/cloudbase", None),
            ("POST", "/model_gateway/keys/cloudbase", {"CLOUDBASE_ENV_ID": "env-test-456"}),
            ("POST", "/model_gateway/keys/cloudbase", {"CLOUDBASE_API_KEY": key}),
            ("GET", "/model_gateway/catalog", None)):
        status, text = request(method, path, body)
        assert status < 500, (path, text)
        answers.append(text)
    status_body, test_result = json.loads(answers[0]), json.loads(answers[1])
    cloudbase = next(g for g in status_body["gateways"] if g["id"] == "cloudbase")
    assert cloudbase["key"]["set"] and cloudbase["key"]["ending"] is None
    assert "CLOUDBASE_API_KEY" in cloudbase["key"]["problem"]
    assert where(source, tmp_path) in cloudbase["key"]["problem"]
    assert test_result["ok"] is False and "CLOUDBASE_API_KEY" in test_result["message"]
    assert where(source, tmp_path) in test_result["message"]
    assert not shown(key, *answers, all_logs.text, *(r.getMessage() for r in all_logs.records))
    assert emulator.calls() == []


def test_no_route_answer_shows_a_good_key(emulator, monkeypatch, tmp_path, all_logs):
    monkeypatch.delenv("GPTUNNEL_API_KEY")
    (tmp_path / "keys.json").write_text(json.dumps({"GPTUNNEL_API_KEY": KEYS["gptunnel"]}))
    texts = [request("GET", "/model_gateway/status")[1],
             request("GET", "/model_gateway/catalog")[1]]
    for gateway in KEYS:
        texts.append(request("POST", f"/model_gateway/test/{gateway}")[1])
    texts.append(request("POST", "/model_gateway/keys/seacloud",
                         {"SEACLOUD_API_KEY": KEYS["seacloud"]})[1])
    # the keys were really used: one call each, five for OpenComputing's model lists
    assert len(emulator.calls()) == 8
    for key in KEYS.values():
        assert key not in "\n".join(texts) + all_logs.text
        assert key[:-4] not in "\n".join(texts) + all_logs.text


# -- the connection test answers, whatever goes wrong ----------------------------------------

def test_connection_test_with_a_broken_keys_file(emulator, monkeypatch, tmp_path):
    monkeypatch.delenv("SEACLOUD_API_KEY")
    (tmp_path / "keys.json").write_text('{"SEACLOUD_API_KEY": "sk-Zq7Wx9Pa')
    status, text = request("POST", "/model_gateway/test/seacloud")
    assert status == 200, text
    result = json.loads(text)
    assert result["ok"] is False and "not valid JSON" in result["message"]
    assert "Zq7Wx9Pa" not in text
    status, text = request("GET", "/model_gateway/status")
    assert "not valid JSON" in json.loads(text)["error"] and "Zq7Wx9Pa" not in text


def test_connection_test_maps_an_unexpected_failure(emulator, monkeypatch, all_logs):
    connection = submodule("providers.connection")

    def explode(store, access, directory):
        raise UnicodeEncodeError("latin-1", f"Bearer {access.key}", 7, 8, "ordinal not in range")
    monkeypatch.setitem(connection.PROBES, "gptunnel", ("main", explode))
    status, text = request("POST", "/model_gateway/test/gptunnel")
    assert status == 200
    result = json.loads(text)
    assert result["ok"] is False and "UnicodeEncodeError" in result["message"]
    assert KEYS["gptunnel"] not in text + all_logs.text


@pytest.mark.parametrize("fault", ["reset_before", "non_json", "truncated", "500"])
def test_connection_test_maps_gateway_trouble(emulator, fault):
    emulator.fault("opencomputing", "/llmage/v1/models", fault, times=10)
    status, text = request("POST", "/model_gateway/test/opencomputing")
    assert status == 200 and isinstance(json.loads(text)["message"], str)
