"""Money on the emulator, as the gateways show it (docs/GATEWAYS.md, "Money"):

- GPTunnel keeps a balance in ₽ (`GET /v1/balance` → {"balance", "creditLimit"}). Every media
  job is charged when it is created; a create the balance and credit limit cannot cover is
  refused: CreativeLab's code 5 (HTTP 200) on /v1/media/create, the OpenAI-style HTTP 402
  `insufficient_balance_error` on /v1/media/generate. (Which endpoint answers which shape is
  not confirmed; between them the emulator sends both.) Finished jobs report their cost.
- OpenComputing publishes prices, in ¥: `GET /llmage/v1/pricing?model=&catelogid=` →
  {"status": "ok", "data": {"items": [{"factor", "price", "unit", "filters"}]}}. The emulator's
  price list is PRICE_LIST below, for every model its list serves.
- SeaCloud and CloudBase report no cost and publish no price."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from .routing import Recorded, Reply, route

SANDBOX_BALANCE = 500.0  # ₽ the sandbox's GPTunnel account starts with
MEDIA_COST = 0.5      # ₽ a GPTunnel media job (create/result) costs and reports
SEEDREAM4_COST = 8.0  # ₽ a Seedream 4 generate costs and reports ("cost": "8")

# ¥ per second of video by resolution (a model without resolutions: the "" row), and ¥ per 1k
# tokens of the chat models: the sandbox's made-up list, shaped as OpenComputing's.
VIDEO_PER_SECOND = {"480p": 0.25, "540p": 0.3, "720p": 0.5, "1080p": 1.0, "": 0.6}
CHAT_PER_1K = {"1k_input_tokens": 0.0024, "1k_output_tokens": 0.0096}


@dataclass
class Account:
    """A GPTunnel account: its balance and the credit it may go below zero by (₽). Tests and
    benchmarks start rich; the sandbox starts with SANDBOX_BALANCE."""
    balance: float = 100_000.0
    credit_limit: float = 0.0


class Ledger:
    """The emulator's accounts, charged under a lock (creates arrive side by side)."""

    def __init__(self):
        self.gptunnel = Account()
        self._lock = threading.Lock()

    def charge(self, amount: float) -> bool:
        """Take `amount` off the GPTunnel balance; False (and nothing taken) when it does not
        cover it."""
        with self._lock:
            if self.gptunnel.balance + self.gptunnel.credit_limit < amount:
                return False
            self.gptunnel.balance = round(self.gptunnel.balance - amount, 6)
            return True


INSUFFICIENT = "Insufficient balance, check account balance."


def refused_create() -> Reply:
    """CreativeLab's answer for a create the balance cannot cover (always HTTP 200)."""
    return Reply(200, json={"code": 5, "message": INSUFFICIENT})


def refused_generate() -> Reply:
    return Reply(402, json={"error": {"message": INSUFFICIENT,
                                      "type": "insufficient_balance_error"}})


def balance(emulator, request: Recorded) -> Reply:
    account = emulator.ledger.gptunnel
    return Reply(json={"balance": account.balance, "creditLimit": account.credit_limit})


def price_items(model: str, catelogid: str) -> list[dict] | None:
    """OpenComputing's price items for a model it lists under `catelogid`, or None."""
    from .. import catalog
    from ..catalog import OPERATION_CATALOGS
    if catelogid == "t2t":
        if not any(m.gateway == "opencomputing" and m.id == model for m in catalog.CHAT_MODELS):
            return None
        return [{"factor": 1, "price": price, "unit": unit, "filters": {}}
                for unit, price in CHAT_PER_1K.items()]
    rows = [m for m in catalog.VIDEO_MODELS
            if OPERATION_CATALOGS[m.operation] == catelogid and m.listed_name == model]
    if not rows:
        return None
    resolutions = rows[0].resolutions or ("",)
    return [{"factor": 1, "price": VIDEO_PER_SECOND.get(r, VIDEO_PER_SECOND[""]), "unit": "second",
             "filters": {"resolution": r} if r else {}} for r in resolutions]


def pricing(emulator, request: Recorded) -> Reply:
    model = (request.query.get("model") or [""])[0]
    catelogid = (request.query.get("catelogid") or [""])[0]
    items = price_items(model, catelogid)
    if items is None:
        return Reply(400, json={"status": "error",
                                "data": {"message": f"model {model} not exist in {catelogid}"}})
    return Reply(json={"status": "ok", "data": {"model": model, "items": items}})


READS = frozenset({"/v1/balance", "/llmage/v1/pricing"})  # free: they charge nothing


def aimed(path: str, path_contains: str) -> bool:
    """Whether a test's scripted answer or fault for `path_contains` is meant for this request:
    one of the free reads above only when the text names it ("pricing", "/v1/balance"), so that
    failing a gateway's "/" fails its work, not the price list read before it."""
    return path_contains in path and (path not in READS or
                                      path.rsplit("/", 1)[-1] in path_contains)

ROUTES = [
    route("gptunnel", "GET", r"/v1/balance", balance),
    route("opencomputing", "GET", r"/llmage/v1/pricing", pricing),
]
