"""No key appears in an exception, a log record, or anything a node outputs."""
from __future__ import annotations

import json

import pytest

from conftest import KEYS, submodule
from test_llm_nodes import run

GatewayError = submodule("providers.errors").GatewayError
Reply = submodule("providers.emulator").Reply


def test_keys_stay_out_of_outputs_errors_and_logs(emulator, all_logs, fake_comfy):
    seen: list[str] = []
    for node_id, gateway in (("SeaCloudLLM", "seacloud"), ("CloudBaseLLM", "cloudbase"),
                             ("OpenComputingLLM", "opencomputing")):
        for stream in (False, True):
            text, usage, history = run(node_id, stream=stream)
            seen += [text, usage, json.dumps(history)]
        # a hostile or careless gateway that echoes the Authorization header back
        key = KEYS[gateway]
        emulator.fail(gateway, "/", Reply(401, json={"error": f"bad key: Bearer {key}"},
                                          headers={"X-Request-Id": f"id-{key}"}))
        with pytest.raises(GatewayError) as caught:
            run(node_id, seed=1)  # a new request: the answers above are journalled
        error = caught.value
        seen += [str(error), repr(error), error.message, error.hint or "", error.raw or "",
                 str(error.args)]
        assert "***" in error.message
        emulator.keys[gateway] = "not-the-key"
        with pytest.raises(GatewayError) as caught:
            run(node_id, stream=True, seed=2)
        seen += [str(caught.value), caught.value.raw or ""]
    seen += [record.getMessage() for record in all_logs.records]
    seen += [text for _, text in fake_comfy.texts]
    assert all_logs.records, "the transport logs its calls at DEBUG"
    # the keys really were sent: the check below could fail
    assert emulator.calls("seacloud")[0].headers["authorization"].endswith(KEYS["seacloud"])
    for key in KEYS.values():
        assert not [s for s in seen if key in s], key


def test_access_repr_hides_the_key(emulator):
    store = submodule("nodes.comfy").key_store()
    access = store.access("seacloud", "llm")
    assert KEYS["seacloud"] not in repr(access)
