"""Budgets hold before money is spent: a create whose estimate would take its gateway past a
budget is refused with nothing sent, reservations are atomic across threads and worker
processes sharing one journal, and spending survives restarts and starts again each day.
Through real HTTP against the emulator (SeaCloud: it reports no cost, so the estimate counts)."""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import NODES, PACK, run_in_new_process, submodule

nodes = NODES
GatewayError = submodule("providers.errors").GatewayError
money = submodule("providers.money")
budget = submodule("providers.budget")
ledger = submodule("providers.journal.ledger")
open_journal = submodule("providers.journal").open_journal
TESTS = Path(__file__).resolve().parent
PACK_CLASSES = PACK.NODE_CLASS_MAPPINGS
CREATE = "/model/v1/queue/nano_banana_2"
PRICE = {"seacloud": {"nano_banana_2": {"per_image": 0.04}}}


def submit(seed, count=1, prompt="a red kite over dunes"):
    return nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", prompt=prompt,
                                            params_json="{}", seed=seed, count=count)[0]


def data_dir() -> Path:
    return Path(os.environ["MODEL_GATEWAY_DATA_DIR"])


def set_money(prices=PRICE, budgets=None):
    money.MoneySettings(journal()).write(prices=prices, budgets=budgets or {})


def journal():
    return open_journal(data_dir(), os.environ.get("MODEL_GATEWAY_JOURNAL_URL"))


def test_a_budget_for_three_runs_refuses_the_fourth_with_nothing_sent(emulator):
    set_money(budgets={"seacloud": {"day": 0.12}})  # exactly three runs: landing on it is allowed
    for seed in (1, 2, 3):
        submit(seed)
    assert len(emulator.calls("seacloud", CREATE)) == 3
    with pytest.raises(GatewayError) as refused:
        submit(4)
    assert len(emulator.calls("seacloud", CREATE)) == 3
    text = str(refused.value)
    assert "SeaCloud" in text and "not sent" in text
    assert "$0.04" in text and "day budget of $0.12" in text and "spent $0.12 today" in text
    assert "Settings → Model Gateway → Prices and budgets" in text
    # Nothing was journalled for the refused run: with room, the same request is sent.
    set_money(budgets={"seacloud": {"day": 0.16}})
    submit(4)
    assert len(emulator.calls("seacloud", CREATE)) == 4


def test_a_count_larger_than_the_room_sends_only_what_fits(emulator):
    set_money(budgets={"seacloud": {"month": 0.1}})
    with pytest.raises(GatewayError, match="month budget"):
        submit(7, count=4)
    assert len(emulator.calls("seacloud", CREATE)) == 2
    # The two accepted jobs are kept: asking again reuses them and sends nothing new.
    with pytest.raises(GatewayError, match="month budget"):
        submit(7, count=4)
    assert len(emulator.calls("seacloud", CREATE)) == 2


def test_each_job_cost_is_in_the_journal_estimated_or_unknown(emulator, monkeypatch):
    set_money()
    task = submit(1)
    assert ledger.cost_of(journal(), task.jobs[0].fingerprint) == {"amount": 0.04,
                                                                   "basis": "estimated"}
    set_money(prices={})
    task = submit(2)
    assert ledger.cost_of(journal(), task.jobs[0].fingerprint) == {"amount": None,
                                                                   "basis": "unknown"}
    spent = budget.spent(journal())
    assert spent["seacloud"] == {"day": 0.04, "month": 0.04}


def test_a_model_with_no_known_price_under_a_budget_is_refused_until_priced(emulator):
    set_money(prices={}, budgets={"seacloud": {"day": 5}})
    with pytest.raises(GatewayError) as refused:
        submit(1)
    assert emulator.calls("seacloud", CREATE) == []
    assert "no price is known for nano_banana_2" in str(refused.value)
    assert "Settings → Model Gateway → Prices" in str(refused.value)
    set_money(budgets={"seacloud": {"day": 5}})
    submit(1)
    assert len(emulator.calls("seacloud", CREATE)) == 1


def test_a_budget_from_the_environment_overrides_and_says_where_to_raise_it(emulator, monkeypatch):
    set_money(budgets={"seacloud": {"day": 100}})
    monkeypatch.setenv("MODEL_GATEWAY_BUDGETS", json.dumps({"seacloud": {"day": 0.05}}))
    submit(1)
    with pytest.raises(GatewayError, match="MODEL_GATEWAY_BUDGETS"):
        submit(2)
    assert len(emulator.calls("seacloud", CREATE)) == 1


def _race(count, target):
    start = threading.Barrier(count)
    outcomes = []

    def one(seed):
        start.wait()
        try:
            target(seed)
            outcomes.append("sent")
        except GatewayError as error:
            outcomes.append("refused" if "budget" in str(error) else str(error))
    threads = [threading.Thread(target=one, args=(seed,)) for seed in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_eight_creates_at_once_against_room_for_three_send_three(emulator, backend, request,
                                                                 monkeypatch):
    if backend == "postgresql":
        monkeypatch.setenv("MODEL_GATEWAY_JOURNAL_URL", request.getfixturevalue("postgres_url"))
    set_money(budgets={"seacloud": {"day": 0.12}})
    emulator.reply_delay = 0.05  # the creates overlap on the gateway too
    outcomes = _race(8, submit)
    assert sorted(outcomes) == ["refused"] * 5 + ["sent"] * 3
    assert len(emulator.calls("seacloud", CREATE)) == 3
    assert budget.spent(journal())["seacloud"]["day"] == pytest.approx(0.12)


WORKER = """
import json
from conftest import submodule
GatewayError = submodule("providers.errors").GatewayError
sent = refused = 0
for seed in SEEDS:
    try:
        nodes["SeaCloudSubmit"]().submit(model_id="nano_banana_2", prompt="a red kite",
                                         params_json="{}", seed=seed, count=1)
        sent += 1
    except GatewayError as error:
        assert "budget" in str(error), error
        refused += 1
print(json.dumps({"sent": sent, "refused": refused}))
"""


def test_workers_sharing_a_journal_share_its_budget(emulator, postgres_url, tmp_path, monkeypatch):
    """Three worker processes, each with its own data directory and the same budget from the
    environment, race eight creates each against room for five: five are sent in all."""
    monkeypatch.setenv("MODEL_GATEWAY_BUDGETS", json.dumps({"seacloud": {"day": 0.2}}))
    monkeypatch.setenv("MODEL_GATEWAY_PRICES", json.dumps(PRICE))
    workers = []
    for name in range(3):
        code = f"SEEDS = range({name * 100}, {name * 100 + 8})\n" + WORKER
        env = {**os.environ, "MODEL_GATEWAY_DATA_DIR": str(tmp_path / f"worker-{name}"),
               "MODEL_GATEWAY_JOURNAL_URL": postgres_url}
        prelude = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import conftest; " \
                  f"nodes = conftest.NODES\n"
        workers.append(subprocess.Popen([sys.executable, "-c", prelude + code], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True))
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["sent"] for r in results) == 5
    assert sum(r["refused"] for r in results) == 19
    assert len(emulator.calls("seacloud", CREATE)) == 5


def test_a_restart_keeps_the_days_spending(emulator):
    set_money(budgets={"seacloud": {"day": 0.08}})
    submit(1)
    submit(2)
    out = run_in_new_process(
        "from conftest import submodule\n"
        "GatewayError = submodule('providers.errors').GatewayError\n"
        "try:\n"
        "    nodes['SeaCloudSubmit']().submit(model_id='nano_banana_2', prompt='a red kite over "
        "dunes', params_json='{}', seed=3, count=1)\n"
        "    print('sent')\n"
        "except GatewayError as error:\n"
        "    print('refused' if 'spent $0.08 today' in str(error) else error)\n")
    assert out.strip() == "refused"
    assert len(emulator.calls("seacloud", CREATE)) == 2


def test_a_new_day_and_a_new_month_start_from_zero(emulator):
    set_money()
    submit(1)
    now = time.time()
    assert budget.spent(journal(), now)["seacloud"] == {"day": 0.04, "month": 0.04}
    starts = money.period_starts(now)
    tomorrow = starts["day"] + 86400 + 3600
    assert budget.spent(journal(), tomorrow)["seacloud"]["day"] == 0.0
    next_month = starts["month"] + 32 * 86400
    assert budget.spent(journal(), next_month)["seacloud"] == {"day": 0.0, "month": 0.0}
    charge = ledger.Charge("seacloud", "nano_banana_2", 0.04, "user", "")
    full = {"day": 0.04}
    assert ledger.reserve(journal(), "fp-later", charge, full,
                          money.period_starts(tomorrow)) is None
    refusal = ledger.reserve(journal(), "fp-today", charge, full, starts)
    assert refusal is not None and refusal.used == pytest.approx(0.08)


def test_a_refused_create_is_released_and_costs_nothing(emulator):
    set_money(budgets={"seacloud": {"day": 0.01}})
    with pytest.raises(GatewayError):
        submit(1)
    assert budget.spent(journal())["seacloud"]["day"] == 0.0
    assert journal().count() == 0


def test_a_refused_send_releases_its_reservation(emulator):
    """The gateway refuses the create outright (a 400): nothing paid, the reservation goes."""
    set_money(budgets={"seacloud": {"day": 0.04}})
    Reply = submodule("providers.emulator").Reply
    emulator.fail("seacloud", CREATE, Reply(400, {"detail": "prompt rejected"}))
    with pytest.raises(GatewayError):
        submit(1)
    assert budget.spent(journal())["seacloud"]["day"] == 0.0
    submit(1)  # the room is still there
    assert len(emulator.calls("seacloud", CREATE)) == 2


def test_an_unclear_send_keeps_its_estimate_counted(emulator):
    """A create that may have gone through (the connection dropped after sending) may have been
    charged: its estimate keeps counting against the budget."""
    set_money(budgets={"seacloud": {"day": 0.04}})
    emulator.fault("seacloud", CREATE, "reset")
    with pytest.raises(GatewayError):
        submit(1)
    assert budget.spent(journal())["seacloud"]["day"] == pytest.approx(0.04)
    with pytest.raises(GatewayError, match="budget"):
        submit(2)


def test_history_prices_a_model_from_its_reported_costs(emulator):
    j = journal()
    for index, cost in enumerate((0.03, 0.05, 0.04, 0.9, 0.04)):
        charge = ledger.Charge("gptunnel", "seedream-3", None, None, "",
                               ledger.billing_key({"ar": "16:9"}))
        assert ledger.reserve(j, f"fp-{index}", charge, {}, {}) is None
        j.transact(lambda db: ledger.settle(db, f"fp-{index}", cost))
    prices = submodule("providers.budget").tables(data_dir(), j).prices
    usage = money.Usage(runs=2, images=2, parameters={"ar": "16:9"})
    estimate = prices.estimate("gptunnel", ("seedream-3",), usage)
    assert (estimate.amount, estimate.source) == (0.08, "history")
    other = prices.estimate("gptunnel", ("seedream-3",), money.Usage(parameters={"ar": "1:1"}))
    assert other.amount is None
    set_money(prices={"gptunnel": {"seedream-3": {"per_image": 1.5}}})
    prices = submodule("providers.budget").tables(data_dir(), j).prices
    assert prices.estimate("gptunnel", ("seedream-3",), usage).source == "user"


def test_a_schema_2_journal_carries_its_reported_costs_into_the_ledger(tmp_path):
    import sqlite3
    path = tmp_path / "data" / "journal.sqlite3"
    path.parent.mkdir(parents=True)
    job = {"gateway": "gptunnel", "operation": "seedream3", "task_id": "t1", "fingerprint": "fp1",
           "label": "seedream-3", "kind": "image", "state": "succeeded",
           "usage": {"total_cost": 12.5}, "created_at": time.time()}
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE jobs (fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, "
                   "owner TEXT, lease_until FLOAT, job TEXT, updated_at FLOAT NOT NULL, stage "
                   "INTEGER NOT NULL DEFAULT 0, worker TEXT, created_at FLOAT)")
        db.execute("CREATE TABLE journal_meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE carried_in (source TEXT PRIMARY KEY, rows INTEGER, at FLOAT)")
        db.execute("INSERT INTO journal_meta VALUES ('schema_version', '2')")
        db.execute("INSERT INTO jobs VALUES ('fp1', 'succeeded', NULL, NULL, ?, ?, 4, 'w', ?)",
                   (json.dumps(job), job["created_at"], job["created_at"]))
    upgraded = open_journal(path.parent)
    assert ledger.cost_of(upgraded, "fp1") == {"amount": 12.5, "basis": "reported"}
    assert budget.spent(upgraded)["gptunnel"]["day"] == 12.5
    assert (path.parent / "journal.sqlite3.schema-2.bak").is_file()


def test_the_queue_check_judges_each_paid_node_of_a_posted_prompt(emulator, monkeypatch):
    """What ComfyUI does with a posted prompt: its prompt handler, then each node's
    VALIDATE_INPUTS inside the prompt's execution context (tests/test_comfyui_queue.py does it
    in a real ComfyUI)."""
    import types
    comfy = submodule("nodes.comfy")
    queue_check = submodule("nodes.queue_check")
    set_money(budgets={"seacloud": {"day": 0.1}})
    submit(1)  # $0.04 spent, $0.06 left
    posted = {"prompt": {
        "5": {"class_type": "SeaCloudSubmit", "inputs": {"model_id": "nano_banana_2",
                                                         "count": 2, "prompt": "x"}},
        "6": {"class_type": "SeaCloudSubmit", "inputs": {"model_id": "nano_banana_2",
                                                         "count": 1, "prompt": ["9", 0]}},
        "7": {"class_type": "GatewayAwaitImages", "inputs": {"task": ["5", 0]}}}}
    queue_check.on_prompt(posted)
    prompt_id = posted["prompt_id"]
    cls = PACK_CLASSES["SeaCloudSubmit"]

    def validate(node_id):
        context = types.SimpleNamespace(prompt_id=prompt_id, node_id=node_id, list_index=0)
        monkeypatch.setattr(comfy, "executing_context", lambda: context)
        return cls.VALIDATE_INPUTS(budget=node_id)

    refused = validate("5")
    assert "this run's estimate $0.08" in refused and "$0.06 left" in refused
    assert validate("6") is True
    assert "VALIDATE_INPUTS" not in dir(PACK_CLASSES["GatewayAwaitImages"])
    costs = submodule("nodes.costs")
    for name in costs.PAID_NODES:  # the refusal names the hidden `budget` input, on every paid node
        paid = PACK_CLASSES[name]
        assert paid.INPUT_TYPES()["hidden"]["budget"] == "UNIQUE_ID", name
        assert inspect.getfullargspec(paid.VALIDATE_INPUTS).args[1:] == ["budget"], name
    monkeypatch.setattr(comfy, "executing_context", lambda: None)
    assert cls.VALIDATE_INPUTS(budget="5") is True  # outside a prompt: the send still checks


def test_a_fault_in_the_queue_check_never_stops_a_prompt(emulator, monkeypatch, caplog):
    queue_check = submodule("nodes.queue_check")
    journal().change_setting("money_settings", lambda old: "{broken")
    posted = {"prompt": {"5": {"class_type": "SeaCloudSubmit",
                               "inputs": {"model_id": "nano_banana_2", "count": 1}}}}
    assert queue_check.on_prompt(posted) is posted
    assert "budgets not checked at queue time" in caplog.text


def test_the_tasks_panel_shows_each_jobs_cost_and_its_basis(emulator):
    set_money()
    submit(1, count=2)
    task_list = submodule("providers.task_list")
    listed = task_list.list_jobs(journal(), files_dir=data_dir() / "files")["jobs"]
    assert [entry["cost"] for entry in listed] == [{"amount": 0.04, "basis": "estimated"}] * 2
