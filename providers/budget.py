"""Money the user controls before it is spent: what one job of a create is expected to cost
(the one estimator, providers/money.py, with every price source), and the budgets it must fit
in, checked and reserved in the journal's ledger before anything is sent
(providers/journal/ledger.py). Used by the submit lifecycle at send time and by the queue-time
check of a prompt."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import balance, money, published_prices
from .credentials import KeyStore
from .errors import GatewayError
from .gateways import GATEWAYS
from .journal import ledger
from .journal.ledger import Charge

PRICE_HINT = ("Set its price in Settings → Model Gateway → Prices and budgets (or "
              "MODEL_GATEWAY_PRICES), or remove the budget.")


# How long building the tables may wait for a gateway's price list being fetched:
ASK = "ask"                   # up to a minute (a route, in a worker thread)
ASK_IF_BUDGETED = "budgeted"  # before a create: a minute where a budget needs the price, else
                              # PATIENCE (the price is only for the journal's estimate)
CACHED = "cached"             # not at all, and no balance is read (ComfyUI's event loop)
PATIENCE = 10.0


@dataclass(frozen=True)
class Tables:
    """The prices (the user's, the gateway's published ones, history) and the budgets in force
    (the environment's over the written ones), read once for a whole prompt or create; and
    where the balances come from."""
    prices: money.Prices
    budgets: dict          # {gateway: {period: amount}}
    budgets_from_env: dict
    store: KeyStore | None = None
    asking: str = ASK

    def budgets_of(self, gateway: str) -> dict:
        return self.budgets.get(gateway, {})

    def balance_of(self, gateway: str) -> balance.Balance | None:
        if self.store is None:
            return None
        return balance.balance(self.store, gateway, fetch=self.asking != CACHED)


def tables(data_dir: Path, journal, store: KeyStore | None = None, *, asking: str = ASK
           ) -> Tables:
    """The price and budget tables in force, with the gateways' published prices (cached in
    data_dir; how far to go to fetch them: `asking`) and the journal's history prices."""
    stored = money.MoneySettings(journal).read()
    env_budgets = money.env_table(money.BUDGETS_VAR, money.check_budgets)
    budgets = money.effective_budgets(stored["budgets"], env_budgets)

    def published(gateway):
        if store is None:
            return {}
        patience = 0.0 if asking == CACHED else 60.0 if asking == ASK or budgets.get(gateway) \
            else PATIENCE
        return published_prices.rules(store, data_dir, gateway, patience=patience)

    def history(gateway, names, usage):
        return ledger.history_price(journal, gateway, names[0],
                                    ledger.billing_key(usage.parameters))
    return Tables(money.Prices(stored["prices"], published, history), budgets, env_budgets,
                  store, asking)


def spent(journal, now: float | None = None) -> dict:
    """Per gateway, what counts against its budgets today and this month (server local time):
    the costs the gateways reported, the estimates of jobs they did not price, and the
    reservations of jobs being sent now. A job with no known price counts nothing."""
    found = ledger.totals(journal, money.period_starts(now))
    return {g: {period: found.get(g, {}).get(period, 0.0) for period in money.PERIODS}
            for g in money.CURRENCIES}


def per_job(usage: money.Usage) -> money.Usage:
    """What one job of a node's run uses (a run of `count` is `count` jobs)."""
    runs = max(usage.runs, 1)
    return replace(usage, runs=1, images=usage.images // runs if usage.images else 0)


def charge(prices: money.Prices, gateway: str, names: tuple, usage: money.Usage) -> Charge:
    estimate = prices.estimate(gateway, names, usage)
    return Charge(gateway, estimate.model, estimate.amount, estimate.source, estimate.detail,
                  ledger.billing_key(usage.parameters))


@dataclass(frozen=True)
class Spending:
    """What each job of one create is expected to cost, the budgets it must fit in and the
    balance it must fit in."""
    charge: Charge
    budgets: dict            # {period: amount} of the charge's gateway
    from_env: bool = False   # the budget is MODEL_GATEWAY_BUDGETS's
    balance: balance.Balance | None = None
    # what this create's jobs have taken of the balance reading so far (its jobs run side by side)
    _taken: list = field(default_factory=lambda: [0.0], compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def reserve(self, journal, fp: str, gateway_title: str) -> None:
        """Reserve this job's estimate, or refuse it before anything is sent."""
        with self._lock:
            if self.balance is not None and self.charge.amount is not None:
                if not self.balance.covers(self._taken[0] + self.charge.amount):
                    raise balance.short(self.balance, gateway_title, self.charge.model,
                                        self.charge.amount, self.charge.detail)
                self._taken[0] += self.charge.amount
        refusal = ledger.reserve(journal, fp, self.charge, self.budgets, money.period_starts())
        if refusal is not None:
            if self.balance is not None and self.charge.amount is not None:
                with self._lock:
                    self._taken[0] -= self.charge.amount
            raise refused(gateway_title, self.charge, refusal, self.from_env)


def spending(tables: Tables, gateway: str, names: tuple, usage: money.Usage) -> Spending:
    """What each job of a node's run reserves (a run of `count` is `count` jobs)."""
    return Spending(charge(tables.prices, gateway, names, per_job(usage)),
                    tables.budgets_of(gateway), bool(tables.budgets_from_env.get(gateway)),
                    tables.balance_of(gateway))


def queue_refusal(tables: Tables, gateway: str, names: tuple, usage: money.Usage,
                  spent_now: dict) -> GatewayError | None:
    """Why a node's whole run (all its jobs) does not fit in what its gateway's budgets have
    left (`spent_now`: money.spent) or in its balance, or None: the check at queue time."""
    whole = charge(tables.prices, gateway, names, usage)
    if whole.amount is None and tables.prices.published_pending(gateway):
        return None  # its price list is being fetched: the check before the create holds
    reading = tables.balance_of(gateway)
    if reading is not None and not reading.covers(whole.amount):
        return balance.short(reading, GATEWAYS[gateway].title, whole.model, whole.amount,
                             whole.detail)
    refusal = ledger.first_refusal(whole, tables.budgets_of(gateway), spent_now.get(gateway, {}))
    if refusal is None:
        return None
    return refused(GATEWAYS[gateway].title, whole, refusal,
                   bool(tables.budgets_from_env.get(gateway)))


def refused(gateway_title: str, charge: Charge, refusal: ledger.Refusal,
            from_env: bool = False) -> GatewayError:
    """The refusal of a job a budget has no room for: what was spent, the budget, the estimate,
    and how to raise it. Nothing was sent."""
    return GatewayError(gateway_title, over_budget(charge, refusal),
                        hint=raise_hint(refusal.period, from_env, charge.amount is None),
                        transient=False)


def over_budget(charge: Charge, refusal: ledger.Refusal) -> str:
    fmt = lambda amount: money.format_amount(charge.gateway, amount)  # noqa: E731
    title = GATEWAYS[charge.gateway].title
    period = "today" if refusal.period == "day" else "this month"
    if charge.amount is None:
        return (f"not sent: no price is known for {charge.model}, and {title} has a "
                f"{refusal.period} budget of {fmt(refusal.budget)} (spent {fmt(refusal.used)} "
                f"{period}) that a run of unknown cost could pass")
    return (f"not sent: this run's estimate {fmt(charge.amount)} ({charge.detail}) would take "
            f"{title} past its {refusal.period} budget of {fmt(refusal.budget)} "
            f"(spent {fmt(refusal.used)} {period}, {fmt(max(refusal.budget - refusal.used, 0))} "
            f"left)")


def raise_hint(period: str, from_env: bool, unpriced: bool) -> str:
    if unpriced:
        return PRICE_HINT
    where = ("MODEL_GATEWAY_BUDGETS (set where ComfyUI starts)" if from_env else
             "Settings → Model Gateway → Prices and budgets")
    later = "tomorrow" if period == "day" else "next month"
    return f"Raise the {period} budget in {where}, or run it {later}."
