"""What runs cost and how much may be spent: the one table of each gateway's currency, the
price units, the user's price and budget tables (kept in the journal, written by POST
/model_gateway/money), the environment's tables that override them
(MODEL_GATEWAY_PRICES, MODEL_GATEWAY_BUDGETS), and the one estimator every caller uses.

An estimate is a known price times what a run uses; where no price is known it is "unknown"
with no amount, never a guess."""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import datetime

from .gateways import GATEWAYS

# gateway -> (ISO code or unit name, sign shown before the amount; "" shows the unit after it)
CURRENCIES = {
    "gptunnel": ("RUB", "₽"),
    "opencomputing": ("CNY", "¥"),
    "seacloud": ("USD", "$"),
    "cloudbase": ("points", ""),
}
UNITS = ("per_run", "per_image", "per_second", "per_1k_input_tokens", "per_1k_output_tokens")
PERIODS = ("day", "month")
PRICES_VAR = "MODEL_GATEWAY_PRICES"
BUDGETS_VAR = "MODEL_GATEWAY_BUDGETS"


def currency(gateway: str) -> dict:
    code, sign = CURRENCIES[gateway]
    return {"code": code, "sign": sign}


def format_amount(gateway: str, amount: float) -> str:
    code, sign = CURRENCIES[gateway]
    text = f"{amount:.6g}"
    return f"{sign}{text}" if sign else f"{text} {code}"


REPORTED_KEYS = ("total_cost", "cost")  # where a gateway's answer says what a job cost


def lenient_number(value, *, negative: bool = False) -> float | None:
    """A number a gateway sent, as a number or a numeric text ("8", "0,5"); None for anything
    else, a non-finite one, or (unless `negative`) one below zero."""
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value) if negative or value >= 0 else None


def reported_cost(usage) -> float | None:
    """What the gateway said a job cost, in its unit, read leniently; None when it said nothing."""
    if not isinstance(usage, dict):
        return None
    for key in REPORTED_KEYS:
        value = lenient_number(usage.get(key))
        if value is not None:
            return value
    return None


def _number(where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"{where}: {value!r} is not allowed; give a number of 0 or more")
    return float(value)


def _gateway_table(what: str, table) -> dict:
    if not isinstance(table, dict):
        raise ValueError(f"{what}: send a JSON object of gateway ids ({', '.join(CURRENCIES)})")
    for gateway in table:
        if gateway not in CURRENCIES:
            raise ValueError(f"{what}: no gateway {gateway!r}; the gateways are "
                             f"{', '.join(CURRENCIES)}")
    return table


def check_prices(table, what: str = "prices") -> dict:
    """A price table {gateway: {model: {unit: number}}}, checked; a ValueError names the gateway,
    model and unit that are wrong and what is allowed."""
    checked: dict = {}
    for gateway, models in _gateway_table(what, table).items():
        if not isinstance(models, dict):
            raise ValueError(f"{what}.{gateway}: send a JSON object of model ids to prices")
        for model, prices in models.items():
            where = f"{what}.{gateway}.{model}"
            if not isinstance(model, str) or not model.strip():
                raise ValueError(f"{what}.{gateway}: a model id must be a non-empty text")
            if not isinstance(prices, dict) or not prices:
                raise ValueError(f"{where}: send a JSON object of units ({', '.join(UNITS)}) "
                                 f"to numbers")
            for unit, value in prices.items():
                if unit not in UNITS:
                    raise ValueError(f"{where}: no unit {unit!r}; the units are {', '.join(UNITS)}")
                checked.setdefault(gateway, {}).setdefault(model, {})[unit] = _number(
                    f"{where}.{unit}", value)
    return checked


def check_budgets(table, what: str = "budgets") -> dict:
    """A budget table {gateway: {"day": n, "month": n}} (either optional), checked."""
    checked: dict = {}
    for gateway, periods in _gateway_table(what, table).items():
        if not isinstance(periods, dict):
            raise ValueError(f"{what}.{gateway}: send a JSON object with day and/or month")
        for period, value in periods.items():
            if period not in PERIODS:
                raise ValueError(f"{what}.{gateway}: no period {period!r}; use day or month")
            if value is None:
                continue
            checked.setdefault(gateway, {})[period] = _number(f"{what}.{gateway}.{period}", value)
    return checked


def env_table(var: str, check) -> dict:
    """The environment's table; a malformed one is a ValueError naming the variable."""
    text = os.environ.get(var, "").strip()
    if not text:
        return {}
    try:
        return check(json.loads(text), what=var)
    except json.JSONDecodeError as error:
        raise ValueError(f"{var} is not JSON ({error.msg} at character {error.pos})") from None


class MoneySettings:
    """The user's price and budget tables, kept in the journal: every worker of a farm that
    shares it shares them too (a budget set on one worker's page holds on all)."""

    KEY = "money_settings"

    def __init__(self, journal):
        self.journal = journal

    @staticmethod
    def _checked(text: str | None) -> dict:
        try:
            stored = json.loads(text) if text else {}
        except ValueError:
            stored = None
        if not isinstance(stored, dict):
            raise ValueError("the journal's price and budget tables are not a JSON object; "
                             "write them again in Settings → Model Gateway")
        return {"prices": check_prices(stored.get("prices", {}), "stored prices"),
                "budgets": check_budgets(stored.get("budgets", {}), "stored budgets")}

    def read(self) -> dict:
        return self._checked(self.journal.setting(self.KEY))

    def write(self, prices=None, budgets=None) -> dict:
        """Replace the tables given (checked first: nothing is written for a bad one)."""
        new = {}
        if prices is not None:
            new["prices"] = check_prices(prices)
        if budgets is not None:
            new["budgets"] = check_budgets(budgets)
        written = self.journal.change_setting(
            self.KEY, lambda old: json.dumps({**self._checked(old), **new}, sort_keys=True))
        return json.loads(written)


@dataclass
class Usage:
    """What one run uses, as far as the widgets say: the counted things a price multiplies."""
    runs: int = 1
    images: int = 0
    seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    parameters: dict = field(default_factory=dict)  # the billing parameters (for history)


@dataclass
class Estimate:
    gateway: str
    model: str
    amount: float | None
    source: str | None
    detail: str
    runs: int = 1

    @property
    def basis(self) -> str:
        return "unknown" if self.amount is None else "estimated"


class Prices:
    """Where a model's price comes from, in precedence order: the user's (the environment's
    table over the one written in Settings), then the gateway's published price, then the
    median of what the gateway reported for the same model and billing parameters before
    (history). Read once per estimate, not once per node."""

    def __init__(self, user_prices: dict, published=None, history=None):
        self.tables = (("env", env_table(PRICES_VAR, check_prices)), ("user", user_prices))
        # gateway -> {name: rules}, or None while not known yet (published_prices.rules); asked
        # once a gateway's run needs it
        self.published = published or (lambda gateway: {})
        self._published: dict[str, dict] = {}
        self.history = history  # (gateway, names, Usage) -> per-job amount or None

    def published_rules(self, gateway: str) -> dict:
        if gateway not in self._published:
            self._published[gateway] = self.published(gateway)
        return self._published[gateway] or {}

    def published_pending(self, gateway: str) -> bool:
        """Whether the gateway's published list is not known yet (being fetched): a price
        missing from it may only be missing for now."""
        self.published_rules(gateway)
        return self._published[gateway] is None

    def price(self, gateway: str, names: tuple[str, ...], parameters: dict | None = None
              ) -> tuple[dict, str | None]:
        """The price of a model known by any of `names` (a node's shown name, the gateway's id,
        its published price key), for a run with these billing parameters."""
        for source, table in self.tables:
            for name in names:
                found = table.get(gateway, {}).get(name)
                if found:
                    return found, source
        for name in names:
            rules = self.published_rules(gateway).get(name)
            found = matching(rules, parameters or {}) if rules else {}
            if found:
                return found, "gateway"
        return {}, None

    def estimate(self, gateway: str, names: tuple[str, ...], usage: Usage) -> Estimate:
        model = names[0]
        prices, source = self.price(gateway, names, usage.parameters)
        amount, detail = cost_of(gateway, prices, usage)
        if amount is None and self.history is not None:
            per_job = self.history(gateway, names, usage)
            if per_job is not None:
                amount = round(per_job * usage.runs, 6)
                source, detail = "history", (f"{usage.runs} × {format_amount(gateway, per_job)}, "
                                             f"the median of recent runs")
        if amount is None:
            return Estimate(gateway, model, None, None, detail or f"price unknown for {model}",
                            usage.runs)
        return Estimate(gateway, model, amount, source, detail, usage.runs)


def matching(rules: list[dict], parameters: dict) -> dict:
    """{unit: amount} of a gateway's published price rules ([{"unit", "amount", "filters"}],
    published_prices.parse) for a run with these billing parameters: per unit, the rule whose
    filters all match and that has the most of them."""
    given = {k: str(v).strip().lower() for k, v in (parameters or {}).items() if v is not None}
    best: dict[str, tuple[int, float]] = {}
    for rule in rules:
        filters = rule.get("filters") or {}
        if all(given.get(name) in allowed for name, allowed in filters.items()):
            known = best.get(rule["unit"])
            if known is None or len(filters) > known[0]:
                best[rule["unit"]] = (len(filters), rule["amount"])
    return {unit: amount for unit, (_, amount) in best.items()}


def cost_of(gateway: str, prices: dict, usage: Usage) -> tuple[float | None, str]:
    """A price table times what a run uses; None where a used thing has no price."""
    if not prices:
        return None, ""
    parts, amount = [], 0.0
    fmt = lambda value: format_amount(gateway, value)  # noqa: E731
    counted = [("per_image", usage.images, "images"), ("per_second", usage.seconds, "s"),
               ("per_1k_input_tokens", usage.input_tokens / 1000, "k input tokens"),
               ("per_1k_output_tokens", usage.output_tokens / 1000, "k output tokens")]
    for unit, quantity, name in counted:
        if not quantity:
            continue
        if unit not in prices:
            if "per_run" in prices:
                continue
            return None, f"no {unit} price"
        amount += quantity * prices[unit]
        if quantity == 1 and name == "images":
            name = "image"
        parts.append(f"{quantity:g} {name} × {fmt(prices[unit])}")
    if "per_run" in prices:
        amount += usage.runs * prices["per_run"]
        parts.append(f"{usage.runs} run{'s' if usage.runs != 1 else ''} × {fmt(prices['per_run'])}")
    if not parts:
        return None, "no price for what this run uses"
    return round(amount, 6), " + ".join(parts)


def effective_budgets(user_budgets: dict, env_budgets: dict) -> dict:
    """Per gateway and period, the environment's budget over the user's."""
    merged: dict = {}
    for table in (user_budgets, env_budgets):
        for gateway, periods in table.items():
            merged.setdefault(gateway, {}).update(periods)
    return merged


def period_starts(now: float | None = None) -> dict:
    """When the server's local day and month began (budgets are per day and per month)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"day": day.timestamp(), "month": day.replace(day=1).timestamp()}


def workflow_estimate(prices: Prices, runs: dict, budgets: dict, spent_now: dict,
                      balances: dict | None = None) -> dict:
    """The estimate route's answer: per node, per gateway totals, the budgets set, and which
    gateways this workflow would take past a budget or its balance. `runs`: node id ->
    (gateway, names, Usage); `balances`: gateway -> balance.Balance."""
    nodes, totals = {}, {}
    for node_id, (gateway, names, usage) in runs.items():
        estimate = prices.estimate(gateway, names, usage)
        code, sign = CURRENCIES[gateway]
        nodes[node_id] = {"gateway": gateway, "model": estimate.model, "currency": code,
                          "sign": sign, "amount": estimate.amount, "basis": estimate.basis,
                          "source": estimate.source, "runs": estimate.runs,
                          "detail": estimate.detail}
        total = totals.setdefault(gateway, {"amount": 0.0, "unknown": 0, "currency": code,
                                            "sign": sign})
        if estimate.amount is None:
            total["unknown"] += 1
        else:
            total["amount"] = round(total["amount"] + estimate.amount, 6)
    shown, over = {}, {}
    for gateway, periods in budgets.items():
        used = spent_now.get(gateway, {})
        for period, budget in periods.items():
            already = used.get(period, 0.0)
            shown.setdefault(gateway, {})[period] = {
                "budget": budget, "spent": used.get(period, 0.0),
                "left": round(max(budget - already, 0.0), 6)}
            this_run = totals.get(gateway, {}).get("amount", 0.0)
            if gateway in totals and already + this_run > budget + 1e-9:
                over[gateway] = (f"this workflow's estimate {format_amount(gateway, this_run)} "
                                 f"would take {GATEWAYS[gateway].title} past its {period} budget "
                                 f"{format_amount(gateway, budget)} (spent "
                                 f"{format_amount(gateway, already)})")
    for gateway, reading in (balances or {}).items():
        this_run = totals.get(gateway, {}).get("amount", 0.0)
        if gateway in totals and gateway not in over and not reading.covers(this_run):
            over[gateway] = (f"this workflow's estimate {format_amount(gateway, this_run)} is "
                             f"more than the {GATEWAYS[gateway].title} balance "
                             f"{format_amount(gateway, reading.available)}")
    return {"nodes": nodes, "totals": totals, "budgets": shown, "over": over}
