"""The journal's ledger of what paid jobs cost (the `spend` table): a job's estimate is reserved
before its request is sent, in the same transaction that checks its gateway's budgets, and
settled to what the gateway reported (or the estimate, or unknown) once it answers.

Reservations of one gateway are serialized — on PostgreSQL by locking that gateway's row of
`spend_locks`, on SQLite by the file's write lock (BEGIN IMMEDIATE) — so however many workers,
prompts and branches create at once, the sum they check is the sum they commit."""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select, update

from .identity import worker_id
from .schema import spend, spend_locks

RESERVED, REPORTED, ESTIMATED, UNKNOWN = "reserved", "reported", "estimated", "unknown"
HISTORY = 20      # recent reported costs a history price is the median of
EPSILON = 1e-9    # landing exactly on a budget is allowed; float sums are not exact


@dataclass(frozen=True)
class Charge:
    """What one job is expected to cost: `amount` None where no price is known."""
    gateway: str
    model: str
    amount: float | None
    source: str | None
    detail: str
    billing: str = ""   # the billing parameters (JSON), for history prices


@dataclass(frozen=True)
class Refusal:
    period: str
    budget: float
    used: float         # spent and reserved in the period, before this job
    amount: float | None


def first_refusal(charge: Charge, budgets: dict, used: dict) -> Refusal | None:
    """The first budget ({period: amount}) that `charge` does not fit in, given what each
    period has `used` already; a charge with no known price fits in none."""
    for period, budget in budgets.items():
        already = used.get(period, 0.0)
        if charge.amount is None or already + charge.amount > budget + EPSILON:
            return Refusal(period, budget, already, charge.amount)
    return None


def _charged():
    """What a row counts against a budget: its amount, else the estimate it was reserved at."""
    return func.coalesce(spend.c.amount, spend.c.estimate, 0.0)


def reserve(journal, fp: str, charge: Charge, budgets: dict, since: dict) -> Refusal | None:
    """Hold `charge` against its gateway's budgets ({period: amount}, periods starting at
    `since[period]`): None when it fits (and the row is written), else the first budget it
    would pass (nothing written). A job with no known price does not fit under any budget."""
    def work(db):
        if budgets:
            _lock(journal, db, charge.gateway)
            used = {period: float(db.execute(select(func.coalesce(func.sum(_charged()), 0.0))
                                             .where(spend.c.gateway == charge.gateway,
                                                    spend.c.at >= since[period],
                                                    spend.c.fingerprint != fp)).scalar())
                    for period in budgets}
            refusal = first_refusal(charge, budgets, used)
            if refusal is not None:
                return refusal
        values = {"gateway": charge.gateway, "model": charge.model, "billing": charge.billing,
                  "amount": None, "estimate": charge.amount, "basis": RESERVED,
                  "at": time.time(), "worker": worker_id()}
        statement = journal.insert_statement(spend).values(fingerprint=fp, **values)
        db.execute(statement.on_conflict_do_update(index_elements=[spend.c.fingerprint],
                                                   set_=values))
        return None
    return journal.transact(work, immediate=bool(budgets))


def _lock(journal, db, gateway: str) -> None:
    if journal.where.backend != "postgresql":
        return  # BEGIN IMMEDIATE took the file's write lock already
    db.execute(journal.insert_statement(spend_locks).values(gateway=gateway)
               .on_conflict_do_nothing(index_elements=[spend_locks.c.gateway]))
    db.execute(select(spend_locks.c.gateway).where(spend_locks.c.gateway == gateway)
               .with_for_update())


def settle(db, fp: str, reported: float | None) -> None:
    """The job was accepted: its cost is what the gateway reported, else its estimate (or
    unknown where it had none). A reported cost, once there, is kept."""
    if reported is not None:
        db.execute(update(spend).where(spend.c.fingerprint == fp).values(
            amount=reported, basis=REPORTED))
        return
    db.execute(update(spend).where(spend.c.fingerprint == fp, spend.c.basis == RESERVED).values(
        amount=spend.c.estimate,
        basis=case((spend.c.estimate.is_(None), UNKNOWN), else_=ESTIMATED)))


def cancel(db, fp: str) -> None:
    """The gateway surely refused the request: nothing was paid."""
    db.execute(delete(spend).where(spend.c.fingerprint == fp, spend.c.basis == RESERVED))


def totals(journal, since: dict) -> dict:
    """{gateway: {period: amount}} of what counts against budgets since each period's start
    (reported and estimated costs, and reservations in flight)."""
    def work(db):
        found: dict = {}
        for period, start in since.items():
            for gateway, amount in db.execute(
                    select(spend.c.gateway, func.sum(_charged())).where(spend.c.at >= start)
                    .group_by(spend.c.gateway)):
                found.setdefault(gateway, {})[period] = round(float(amount or 0.0), 6)
        return found
    return journal.transact(work)


def cost_of(journal, fp: str) -> dict | None:
    """A job's cost as the ledger has it: amount (None when unknown) and basis."""
    return costs_of(journal, [fp]).get(fp)


def costs_of(journal, fps: list[str]) -> dict:
    """{fingerprint: {"amount", "basis"}} of the jobs the ledger has (one query for a page)."""
    if not fps:
        return {}
    rows = journal.transact(lambda db: db.execute(select(
        spend.c.fingerprint, spend.c.amount, spend.c.estimate, spend.c.basis).where(
        spend.c.fingerprint.in_(fps))).all())
    found = {}
    for fp, amount, estimate, basis in rows:
        shown = estimate if basis == RESERVED else amount
        found[fp] = {"amount": shown, "basis": UNKNOWN if shown is None else basis}
    return found


def history_price(journal, gateway: str, model: str, billing: str) -> float | None:
    """The median of the recent reported costs of one job of this model with these billing
    parameters, or None when it has none."""
    amounts = journal.transact(lambda db: [r[0] for r in db.execute(
        select(spend.c.amount).where(spend.c.gateway == gateway, spend.c.model == model,
                                     spend.c.billing == billing, spend.c.basis == REPORTED,
                                     spend.c.amount.is_not(None))
        .order_by(spend.c.at.desc()).limit(HISTORY))])
    return round(statistics.median(amounts), 6) if amounts else None


def billing_key(parameters: dict) -> str:
    return json.dumps({k: v for k, v in (parameters or {}).items() if v is not None},
                      sort_keys=True, default=str)
