"""Issue 17's routes (docs: /work/notes/MONEY_CONTRACT.md): the price and budget tables stored
server-side, the environment's tables over them, and the one estimator behind POST /estimate."""
from __future__ import annotations

import json

import pytest

from conftest import KEYS, submodule
from test_routes import request


def money(method="GET", body=None):
    status, text = request(method, "/model_gateway/money", body)
    return status, json.loads(text)


def estimate(nodes):
    status, text = request("POST", "/model_gateway/estimate", {"nodes": nodes})
    assert status == 200, text
    return json.loads(text)


def no_key_in(text: str):
    for key in KEYS.values():
        assert key not in text


def test_money_starts_empty_with_every_currency(emulator):
    status, body = money()
    assert status == 200
    assert body["currencies"]["gptunnel"] == {"code": "RUB", "sign": "₽"}
    assert body["currencies"]["cloudbase"] == {"code": "points", "sign": ""}
    assert set(body["currencies"]) == {"gptunnel", "opencomputing", "seacloud", "cloudbase"}
    assert body["units"][0] == "per_run" and "per_1k_output_tokens" in body["units"]
    assert body["prices"] == {"user": {}, "env": {}}
    assert body["budgets"]["effective"] == {}
    assert body["spent"]["gptunnel"] == {"day": 0.0, "month": 0.0}


def test_prices_and_budgets_are_stored_on_the_server(emulator, tmp_path):
    status, body = money("POST", {"prices": {"seacloud": {"nano_banana_2": {"per_image": 0.04}}},
                                  "budgets": {"gptunnel": {"day": 500, "month": 5000}}})
    assert status == 200
    assert body["prices"]["user"] == {"seacloud": {"nano_banana_2": {"per_image": 0.04}}}
    # kept in the journal, which every worker of a farm shares
    open_journal = submodule("providers.journal").open_journal
    stored = json.loads(open_journal(tmp_path / "data").setting("money_settings"))
    assert stored["budgets"] == {"gptunnel": {"day": 500.0, "month": 5000.0}}
    # a write of one table keeps the other
    money("POST", {"budgets": {"opencomputing": {"day": 20}}})
    status, body = money()
    assert body["prices"]["user"]["seacloud"]["nano_banana_2"] == {"per_image": 0.04}
    assert body["budgets"]["user"] == {"opencomputing": {"day": 20.0}}


def test_the_environment_overrides_the_users_tables(emulator, monkeypatch):
    money("POST", {"budgets": {"gptunnel": {"day": 500, "month": 5000}},
                   "prices": {"gptunnel": {"seedream-4": {"per_image": 3}}}})
    monkeypatch.setenv("MODEL_GATEWAY_BUDGETS", '{"gptunnel": {"day": 100}}')
    monkeypatch.setenv("MODEL_GATEWAY_PRICES", '{"gptunnel": {"seedream-4": {"per_image": 5}}}')
    _, body = money()
    assert body["budgets"]["effective"] == {"gptunnel": {"day": 100.0, "month": 5000.0}}
    answer = estimate({"7": {"class_type": "GPTunnelSeedream4", "inputs": {"count": 2}}})
    node = answer["nodes"]["7"]
    assert (node["amount"], node["source"], node["basis"]) == (10.0, "env", "estimated")


@pytest.mark.parametrize("body, message", [
    ({"prices": {"nowhere": {}}}, "no gateway 'nowhere'"),
    ({"prices": {"seacloud": {"m": {"per_minute": 1}}}}, "prices.seacloud.m: no unit 'per_minute'"),
    ({"prices": {"seacloud": {"m": {"per_run": -1}}}}, "prices.seacloud.m.per_run: -1"),
    ({"prices": {"seacloud": {"m": {"per_run": "1"}}}}, "give a number"),
    ({"budgets": {"gptunnel": {"week": 5}}}, "no period 'week'"),
    ({"budgets": {"gptunnel": {"day": True}}}, "budgets.gptunnel.day"),
    ({"colour": 1}, '"prices" and/or "budgets"'),
])
def test_a_malformed_value_is_refused_and_nothing_is_written(emulator, tmp_path, body, message):
    status, answer = money("POST", body)
    assert status == 400 and message in answer["error"]
    _, stored = money()
    assert stored["prices"]["user"] == {} and stored["budgets"]["user"] == {}


def test_a_malformed_environment_table_is_named(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_BUDGETS", "{day: 5")
    status, answer = money()
    assert status == 500 and "MODEL_GATEWAY_BUDGETS is not JSON" in answer["error"]


def test_the_estimate_follows_the_widgets_that_change_the_price(emulator):
    money("POST", {"prices": {
        "gptunnel": {"seedream-4": {"per_image": 3.125}},
        "opencomputing": {"qwen-plus": {"per_1k_output_tokens": 0.002},
                          "Seedance 1.0 Pro": {"per_second": 0.5}}}})
    nodes = {"1": {"class_type": "GPTunnelSeedream4", "inputs": {"count": 4}},
             "2": {"class_type": "OpenComputingLLM", "inputs": {"model": "qwen-plus",
                                                                 "max_tokens": 2000}},
             "3": {"class_type": "OpenComputingTextToVideo",
                   "inputs": {"model": "Seedance 1.0 Pro", "duration": 10}},
             "4": {"class_type": "GatewayAwaitImages", "inputs": {}},
             "5": {"class_type": "SeaCloudSubmit", "inputs": {"model_id": "unpriced", "count": 2}}}
    answer = estimate(nodes)
    assert answer["nodes"]["1"]["amount"] == 12.5 and answer["nodes"]["1"]["runs"] == 4
    assert answer["nodes"]["1"]["detail"] == "4 images × ₽3.125"
    assert answer["nodes"]["2"]["amount"] == 0.004
    assert answer["nodes"]["3"]["amount"] == 5.0
    assert "4" not in answer["nodes"]  # creates nothing paid
    assert answer["nodes"]["5"]["basis"] == "unknown" and answer["nodes"]["5"]["amount"] is None
    assert answer["totals"]["opencomputing"] == {"amount": 5.004, "unknown": 0,
                                                 "currency": "CNY", "sign": "¥"}
    assert answer["totals"]["seacloud"]["unknown"] == 1
    nodes["1"]["inputs"]["count"] = 1
    assert estimate(nodes)["nodes"]["1"]["amount"] == 3.125


def test_the_estimate_says_which_budget_a_workflow_would_pass(emulator):
    money("POST", {"prices": {"gptunnel": {"seedream-4": {"per_image": 5}}},
                   "budgets": {"gptunnel": {"day": 15}}})
    exact = estimate({"1": {"class_type": "GPTunnelSeedream4", "inputs": {"count": 3}}})
    assert exact["over"] == {}  # landing exactly on the budget is allowed
    assert exact["budgets"]["gptunnel"]["day"] == {"budget": 15.0, "spent": 0.0, "left": 15.0}
    over = estimate({"1": {"class_type": "GPTunnelSeedream4", "inputs": {"count": 4}}})
    assert "past its day budget ₽15" in over["over"]["gptunnel"]


def test_no_key_in_any_money_answer(emulator):
    for method, path, body in (("GET", "/model_gateway/money", None),
                               ("POST", "/model_gateway/estimate", {"nodes": {}})):
        status, text = request(method, path, body)
        assert status == 200
        no_key_in(text)


def test_the_catalog_names_the_paid_nodes(emulator):
    _, text = request("GET", "/model_gateway/catalog")
    paid = json.loads(text)["paid_nodes"]
    assert "GPTunnelSeedream4" in paid and "GatewayAwaitImages" not in paid
