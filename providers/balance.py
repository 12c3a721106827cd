"""What is left on a gateway account, where the gateway tells it for an API key: only GPTunnel
does (`GET /v1/balance` → {"balance", "creditLimit"}, ₽; docs/GATEWAYS.md, "Money"). A run whose
estimate the balance and credit limit cannot cover is refused before anything is sent
(providers/budget.py); the page shows the balance next to the key and in Gateway tasks.

A balance is read at most every MAX_AGE seconds per key: creates side by side share one
reading, and the gateway's own refusal (never retried, nothing charged) covers the seconds in
between."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from . import http, money
from .credentials import Access, KeyStore
from .errors import GatewayError
from .gateways import GATEWAYS

MAX_AGE = 30.0
READ_TIMEOUT = 10.0
BALANCE_PATHS = {"gptunnel": "/v1/balance"}  # the gateways that tell a balance by API key


@dataclass(frozen=True)
class Balance:
    gateway: str
    amount: float | None        # None when it could not be read (then `problem` says why)
    credit_limit: float = 0.0   # how far below zero the account may go
    checked_at: float = 0.0
    problem: str | None = None

    @property
    def available(self) -> float | None:
        return None if self.amount is None else self.amount + self.credit_limit

    def covers(self, amount: float | None) -> bool:
        """Whether it can pay `amount`; an unread balance or an unknown amount is not judged."""
        return amount is None or self.available is None or amount <= self.available + 1e-9

    def body(self) -> dict:
        """For the page (no key, only numbers)."""
        return {"amount": self.amount, "credit_limit": self.credit_limit,
                "checked_at": self.checked_at, "problem": self.problem,
                "currency": money.currency(self.gateway)["code"],
                "sign": money.currency(self.gateway)["sign"]}


def parse(gateway: str, reply) -> Balance:
    """GPTunnel's {"balance", "creditLimit"} (numbers or numeric texts), read leniently."""
    data = reply.get("data") if isinstance(reply, dict) and isinstance(reply.get("data"), dict) \
        else reply
    amount = money.lenient_number(data.get("balance"), negative=True) \
        if isinstance(data, dict) else None
    if amount is None:
        return Balance(gateway, None, checked_at=time.time(),
                       problem="the answer holds no balance")
    credit = money.lenient_number(data.get("creditLimit", data.get("credit_limit"))) or 0.0
    return Balance(gateway, amount, max(credit, 0.0), time.time())


_readings: dict[tuple, Balance] = {}
_lock = threading.Lock()


STALE_AFTER = 300.0  # a reading older than this refuses nothing at queue time


def balance(store: KeyStore, gateway: str, *, max_age: float = MAX_AGE, fetch: bool = True
            ) -> Balance | None:
    """The gateway's balance (read again when older than max_age), a Balance with a problem
    when it could not be read, or None where the gateway tells none or no key is set. With
    fetch=False (ComfyUI's event loop) no network: the last reading if younger than
    STALE_AFTER, else None, and a reading is started in the background when it is stale."""
    if gateway not in BALANCE_PATHS:
        return None
    try:
        access = store.access(gateway)
    except GatewayError:  # no key (or an unusable one): nothing to ask about
        return None
    with _lock:
        known = _readings.get(access.account)
    age = time.time() - known.checked_at if known is not None else math.inf
    if age < max_age:
        return known
    if not fetch:
        _read_in_background(access)
        return known if age < STALE_AFTER else None
    return _read(access)


def _read(access: Access) -> Balance:
    gateway = access.gateway.id
    try:
        found = parse(gateway, http.call_json(access, "GET", BALANCE_PATHS[gateway],
                                              idempotent=True, read_timeout=READ_TIMEOUT))
    except GatewayError as error:
        found = Balance(gateway, None, checked_at=time.time(), problem=error.message)
    with _lock:
        _readings[access.account] = found
    return found


_reading_now: set = set()


def _read_in_background(access: Access) -> None:
    with _lock:
        if access.account in _reading_now:
            return
        _reading_now.add(access.account)

    def work():
        try:
            _read(access)
        finally:
            with _lock:
                _reading_now.discard(access.account)
    threading.Thread(target=work, daemon=True, name="model-gateway-balance").start()


def forget() -> None:
    """Drop every reading (after a charge the page wants to see at once, or in tests)."""
    with _lock:
        _readings.clear()


def balances(store: KeyStore) -> dict:
    """{gateway: its balance's body} for the gateways that tell one and have a key."""
    found = {}
    for gateway in BALANCE_PATHS:
        reading = balance(store, gateway)
        if reading is not None:
            found[gateway] = reading.body()
    return found


def short(reading: Balance, title: str, model: str, amount: float, detail: str) -> GatewayError:
    """The refusal of a run the balance cannot cover. Nothing was sent."""
    fmt = lambda value: money.format_amount(reading.gateway, value)  # noqa: E731
    credit = f" and a credit limit of {fmt(reading.credit_limit)}" if reading.credit_limit else ""
    return GatewayError(
        title, f"not sent: this run's estimate {fmt(amount)} ({detail}) for {model} is more than "
               f"the {title} balance of {fmt(reading.amount)}{credit}",
        hint=GATEWAYS[reading.gateway].hint(402, None, None), transient=False)
