"""What the gateways themselves say about money, through real HTTP against the emulator: GPTunnel's
balance (shown, and a run it cannot cover refused before anything is sent), the ₽ it charges
and reports per job, its out-of-money answers; OpenComputing's published prices (fetched once,
cached in the data directory, matched to a run's resolution, under the user's own price)."""
from __future__ import annotations

import json
import os
import time
import types
from pathlib import Path

import pytest

from conftest import KEYS, NODES, PACK, submodule
from test_image_nodes import seedream3_submit
from test_money_routes import estimate, money
from test_video_nodes import t2v

GatewayError = submodule("providers.errors").GatewayError
balance = submodule("providers.balance")
budget = submodule("providers.budget")
ledger = submodule("providers.journal.ledger")
money_mod = submodule("providers.money")
published_prices = submodule("providers.published_prices")
billing = submodule("providers.emulator.billing")
open_journal = submodule("providers.journal").open_journal
Reply = submodule("providers.emulator").Reply
CREATE = "/v1/media/create"


def journal():
    return open_journal(Path(os.environ["MODEL_GATEWAY_DATA_DIR"]))


def set_money(prices=None, budgets=None):
    money_mod.MoneySettings(journal()).write(prices=prices or {}, budgets=budgets or {})


# -- GPTunnel: balance, charges, out of money --------------------------------------------------

def test_the_gptunnel_balance_is_in_the_money_route_and_follows_the_charges(emulator):
    emulator.ledger.gptunnel.balance, emulator.ledger.gptunnel.credit_limit = 10.0, 2.0
    _, body = money()
    assert body["balance"]["gptunnel"]["amount"] == 10.0
    assert body["balance"]["gptunnel"]["credit_limit"] == 2.0
    assert body["balance"]["gptunnel"]["sign"] == "₽" and body["balance"]["gptunnel"]["problem"] is None
    assert set(body["balance"]) == {"gptunnel"}  # no other gateway tells one by API key
    (asked,) = emulator.calls("gptunnel", "/v1/balance", with_billing=True)
    assert asked.headers.get("authorization") == KEYS["gptunnel"]  # its own key, to its own host
    for key in KEYS.values():
        assert key not in json.dumps(body)
    seedream3_submit(seed=1)
    seedream3_submit(seed=2)
    balance.forget()
    _, body = money()
    assert body["balance"]["gptunnel"]["amount"] == 10.0 - 2 * billing.MEDIA_COST


def test_a_balance_that_cannot_be_read_says_so_and_refuses_nothing(emulator):
    emulator.fail("gptunnel", "/v1/balance", Reply(500, text="<html>oops</html>"), times=10)
    _, body = money()
    assert body["balance"]["gptunnel"]["amount"] is None
    assert body["balance"]["gptunnel"]["problem"]
    seedream3_submit(seed=3)  # the gateway's own refusal still guards the account
    assert len(emulator.calls("gptunnel", CREATE)) == 1


def test_no_key_no_balance(emulator, monkeypatch):
    monkeypatch.delenv("GPTUNNEL_API_KEY")
    _, body = money()
    assert body["balance"] == {}


def test_a_run_the_balance_cannot_cover_is_refused_before_anything_is_sent(emulator):
    emulator.ledger.gptunnel.balance = 1.0
    set_money(prices={"gptunnel": {"seedream-3": {"per_image": 0.6}}})
    seedream3_submit(seed=1)  # ₽0.6 of ₽1: sent
    assert len(emulator.calls("gptunnel", CREATE)) == 1
    balance.forget()  # read again: ₽0.5 left
    with pytest.raises(GatewayError) as refused:
        seedream3_submit(seed=2)
    assert len(emulator.calls("gptunnel", CREATE)) == 1
    text = str(refused.value)
    assert "not sent" in text and "₽0.6" in text and "balance of ₽0.5" in text
    assert "Top up your GPTunnel balance" in text
    assert refused.value.transient is False


def test_the_jobs_of_one_run_share_the_balance(emulator):
    """A count of 3 at ₽0.4 against ₽1: the jobs run side by side on one balance reading, so
    two are sent and the third is refused before it is."""
    emulator.ledger.gptunnel.balance = 1.0
    set_money(prices={"gptunnel": {"seedream-3": {"per_image": 0.4}}})
    with pytest.raises(GatewayError, match="balance of ₽1"):
        seedream3_submit(seed=1, count=3)
    assert len(emulator.calls("gptunnel", CREATE)) == 2


def validate(monkeypatch, posted, node_id):
    """What ComfyUI does after the prompt handler: the node's VALIDATE_INPUTS in the prompt's
    execution context (tests/test_comfyui_queue.py does it in a real ComfyUI)."""
    comfy = submodule("nodes.comfy")
    context = types.SimpleNamespace(prompt_id=posted["prompt_id"], node_id=node_id, list_index=0)
    monkeypatch.setattr(comfy, "executing_context", lambda: context)
    class_type = posted["prompt"][node_id]["class_type"]
    return PACK.NODE_CLASS_MAPPINGS[class_type].VALIDATE_INPUTS(budget=node_id)


SEEDREAM3 = {"class_type": "GPTunnelSeedream3Submit",
             "inputs": {"prompt": "x", "ar": "1:1", "seed": 1, "count": 3}}


def test_the_queue_check_refuses_a_run_the_last_balance_reading_cannot_cover(emulator, monkeypatch):
    queue_check = submodule("nodes.queue_check")
    emulator.ledger.gptunnel.balance = 1.0
    set_money(prices={"gptunnel": {"seedream-3": {"per_image": 0.4}}})
    money()  # the page reads the balance (ComfyUI's event loop never asks the gateway)
    posted = {"prompt": {"3": SEEDREAM3}}
    queue_check.on_prompt(posted)
    verdict = validate(monkeypatch, posted, "3")
    assert "₽1.2" in verdict and "balance of ₽1" in verdict
    answer = estimate({"3": posted["prompt"]["3"]})
    assert "balance" in answer["over"]["gptunnel"]


def test_a_stale_balance_refuses_nothing_at_queue_time_and_is_read_again(emulator, monkeypatch):
    queue_check = submodule("nodes.queue_check")
    emulator.ledger.gptunnel.balance = 1.0
    set_money(prices={"gptunnel": {"seedream-3": {"per_image": 0.4}}})
    money()  # ₽1 read...
    emulator.ledger.gptunnel.balance = 1000.0  # ...then topped up, and the reading ages
    for reading in list(balance._readings.values()):
        object.__setattr__(reading, "checked_at", reading.checked_at - balance.STALE_AFTER - 1)
    asked = len(emulator.calls("gptunnel", "/v1/balance", with_billing=True))
    posted = {"prompt": {"3": SEEDREAM3}}
    queue_check.on_prompt(posted)
    assert validate(monkeypatch, posted, "3") is True
    deadline = time.monotonic() + 10  # read again in the background, off the event loop
    while time.monotonic() < deadline and not any(
            r.amount == 1000.0 for r in balance._readings.values()):
        time.sleep(0.05)
    assert len(emulator.calls("gptunnel", "/v1/balance", with_billing=True)) == asked + 1
    queue_check.on_prompt(posted)
    assert validate(monkeypatch, posted, "3") is True


def test_a_price_list_not_fetched_yet_refuses_nothing_at_queue_time(emulator, monkeypatch):
    """Under a budget, a model with no known price is refused; but where the gateway's list is
    only not fetched yet, the queue check leaves it to the check before the create (which
    waits for the list), and starts the fetch in the background."""
    queue_check = submodule("nodes.queue_check")
    set_money(budgets={"opencomputing": {"day": 4}})
    emulator.reply_delay = 0.2  # the list takes a while: the handler must not wait for it
    posted = {"prompt": {"1": T2V}}
    started = time.monotonic()
    queue_check.on_prompt(posted)
    assert time.monotonic() - started < 1.0
    assert validate(monkeypatch, posted, "1") is True
    cache = Path(os.environ["MODEL_GATEWAY_DATA_DIR"]) / "prices" / "opencomputing.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not cache.exists():
        time.sleep(0.1)
    emulator.reply_delay = 0.0
    queue_check.on_prompt(posted)  # now known: ¥5 does not fit ¥4
    assert "day budget of ¥4" in validate(monkeypatch, posted, "1")


def test_out_of_money_at_the_gateway_is_sent_once_and_costs_nothing(emulator):
    emulator.ledger.gptunnel.balance = 0.2
    with pytest.raises(GatewayError) as refused:
        seedream3_submit(seed=1)
    assert refused.value.code == "5" and "Top up your GPTunnel balance" in refused.value.hint
    assert len(emulator.calls("gptunnel", CREATE)) == 1
    assert budget.spent(journal())["gptunnel"]["day"] == 0.0
    # Seedream 4 is refused with the OpenAI-style 402
    with pytest.raises(GatewayError) as refused:
        NODES["GPTunnelSeedream4"]().generate(prompt="x", aspect_ratio="1:1", size="2K",
                                               seed=1, count=1)
    assert refused.value.status == 402 and "Top up your GPTunnel balance" in refused.value.hint
    assert len(emulator.calls("gptunnel", "/v1/media/generate")) == 1


def test_gptunnel_reports_what_each_job_cost_and_the_journal_keeps_it(emulator):
    task = seedream3_submit(seed=4)
    NODES["GatewayAwaitImages"]().wait(task, 30)
    cost = ledger.cost_of(journal(), task.jobs[0].fingerprint)
    assert cost == {"amount": billing.MEDIA_COST, "basis": "reported"}


# -- OpenComputing: published prices ----------------------------------------------------------

T2V = {"class_type": "OpenComputingTextToVideo",
       "inputs": {"model": "Seedance 2.0 (Doubao)", "prompt": "x", "duration": 5,
                  "resolution": "1080p"}}


def test_opencomputing_prices_are_fetched_once_and_cached_in_the_data_directory(emulator):
    node = estimate({"1": T2V})["nodes"]["1"]
    assert (node["amount"], node["source"], node["sign"]) == (5.0, "gateway", "¥")
    fetched = emulator.calls("opencomputing", "/llmage/v1/pricing", with_billing=True)
    assert len(fetched) == len(published_prices.priced_models())
    assert {c.headers.get("authorization") for c in fetched} == {f"Bearer {KEYS['opencomputing']}"}
    cached = json.loads((Path(os.environ["MODEL_GATEWAY_DATA_DIR"]) / "prices" /
                         "opencomputing.json").read_text())
    assert "t2v/doubao-seedance-2-0-260128" in cached["prices"]
    other = dict(T2V, inputs={**T2V["inputs"], "resolution": "720p", "duration": 10})
    assert estimate({"1": other})["nodes"]["1"]["amount"] == 5.0  # 10 s × ¥0.5
    assert len(emulator.calls("opencomputing", "/pricing", with_billing=True)) == len(fetched)


def test_a_price_list_read_in_part_is_kept_in_part_and_fetched_again_soon(emulator):
    estimate({"1": T2V})  # the whole list, cached
    cache = Path(os.environ["MODEL_GATEWAY_DATA_DIR"]) / "prices" / "opencomputing.json"
    data = json.loads(cache.read_text())
    data["fetched_at"] -= published_prices.MAX_AGE  # a day later
    cache.write_text(json.dumps(data))
    emulator.fault("opencomputing", "pricing", "500", times=3)
    node = estimate({"1": T2V})["nodes"]["1"]
    assert node["amount"] == 5.0  # a model whose read failed keeps its earlier rules
    data = json.loads(cache.read_text())
    assert data["complete"] is False and len(data["prices"]) == len(published_prices.priced_models())
    data["fetched_at"] -= published_prices.RETRY_AFTER  # not a day: ten minutes
    cache.write_text(json.dumps(data))
    asked = len(emulator.calls("opencomputing", "pricing", with_billing=True))
    estimate({"1": T2V})
    assert len(emulator.calls("opencomputing", "pricing", with_billing=True)) > asked
    assert json.loads(cache.read_text())["complete"] is True


def test_the_price_cache_belongs_to_one_base_url(emulator, monkeypatch):
    """The sandbox's made-up list must not price the real gateway's runs."""
    estimate({"1": T2V})
    asked = len(emulator.calls("opencomputing", "pricing", with_billing=True))
    monkeypatch.setenv("OPENCOMPUTING_BASE_URL", emulator.base_url("opencomputing") + "/")
    estimate({"1": T2V})
    assert len(emulator.calls("opencomputing", "pricing", with_billing=True)) == 2 * asked


def test_a_hand_edited_price_cache_is_read_safely(emulator):
    estimate({"1": T2V})
    cache = Path(os.environ["MODEL_GATEWAY_DATA_DIR"]) / "prices" / "opencomputing.json"
    data = json.loads(cache.read_text())
    data["prices"]["t2v/doubao-seedance-2-0-260128"] = [{"unit": "per_second"}, "x",
                                                        {"unit": "per_second", "amount": 2,
                                                         "filters": {}}]
    cache.write_text(json.dumps(data))
    assert estimate({"1": T2V})["nodes"]["1"]["amount"] == 10.0


def test_the_users_price_wins_over_the_published_one(emulator):
    set_money(prices={"opencomputing": {"Seedance 2.0 (Doubao)": {"per_second": 0.2}}})
    node = estimate({"1": T2V})["nodes"]["1"]
    assert (node["amount"], node["source"]) == (1.0, "user")


def test_a_default_resolution_is_priced_as_the_gateway_bills_it(emulator):
    """"default" sends nothing, so the model's own default resolution is what is billed."""
    row = submodule("providers.catalog").video_model("t2v", "Seedance 2.0 (Doubao)")
    default = dict(T2V, inputs={**T2V["inputs"], "resolution": "default"})
    node = estimate({"1": default})["nodes"]["1"]
    assert node["amount"] == 5 * billing.VIDEO_PER_SECOND[row.resolution]


def test_an_unreachable_price_list_leaves_the_price_unknown_and_is_not_asked_again_at_once(
        emulator):
    emulator.fault("opencomputing", "/pricing", "reset_before", times=200)
    node = estimate({"1": T2V})["nodes"]["1"]
    assert node["amount"] is None and node["basis"] == "unknown"
    asked = len(emulator.calls("opencomputing", "/pricing", with_billing=True))
    estimate({"1": T2V})
    assert len(emulator.calls("opencomputing", "/pricing", with_billing=True)) == asked


def test_a_video_job_is_journalled_at_its_published_price(emulator):
    task = t2v(duration=5, resolution="720p")
    cost = ledger.cost_of(journal(), task.jobs[0].fingerprint)
    assert cost == {"amount": 2.5, "basis": "estimated"}  # OpenComputing reports no money


def test_a_budget_refuses_a_video_run_priced_by_the_gateway_with_nothing_sent(emulator):
    set_money(budgets={"opencomputing": {"day": 4}})
    with pytest.raises(GatewayError) as refused:
        t2v(duration=5, resolution="1080p")
    assert emulator.calls("opencomputing", "/llmage/video") == []
    assert "¥5" in str(refused.value) and "day budget of ¥4" in str(refused.value)


# -- reading OpenComputing's answer leniently --------------------------------------------------

@pytest.mark.parametrize("unit, expected", [
    ("second", ("per_second", 1.0)), ("秒", ("per_second", 1.0)),
    ("minute", ("per_second", 1 / 60)), ("每分钟", ("per_second", 1 / 60)),
    ("1k_input_tokens", ("per_1k_input_tokens", 1.0)),
    ("百万tokens输出", ("per_1k_output_tokens", 1 / 1000)),
    ("input token", ("per_1k_input_tokens", 1000.0)),
    ("image", ("per_image", 1.0)), ("张", ("per_image", 1.0)), ("次", ("per_run", 1.0)),
    ("lightyear", None), ("", None), (None, None), ("tokens", None),
])
def test_price_units_in_english_and_chinese(unit, expected):
    assert published_prices.unit_of(unit) == expected


def test_price_items_in_other_shapes():
    rules = published_prices.parse({"data": {"items": [
        {"factor": "0.5", "price": "2", "unit": "秒", "filters": [{"key": "resolution",
                                                                   "value": ["720P", "1080p"]}]},
        {"price": 3, "unit": "second"},
        {"price": -1, "unit": "second"}, {"price": "free", "unit": "second"},
        {"price": 1, "unit": "parsec"}, "junk"]}})
    assert rules == [{"unit": "per_second", "amount": 1.0,
                      "filters": {"resolution": ["720p", "1080p"]}},
                     {"unit": "per_second", "amount": 3.0, "filters": {}}]
    assert money_mod.matching(rules, {"resolution": "720p"}) == {"per_second": 1.0}
    assert money_mod.matching(rules, {"resolution": "480p"}) == {"per_second": 3.0}
    assert money_mod.matching(rules, {}) == {"per_second": 3.0}
    assert published_prices.parse("not json") == [] and published_prices.parse({"data": 5}) == []
