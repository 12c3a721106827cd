"""The prices a gateway publishes, fetched (the calls are free) and cached in the data directory
like the live model lists. Only OpenComputing publishes them for the models the pack runs:

    GET /llmage/v1/pricing?model=<model>&catelogid=<t2t|t2v|i2v|ref2v>
    → {"data": {"items": [{"factor", "price", "unit", "filters"}]}}, in ¥

(docs/GATEWAYS.md, "Money"; the fields' meaning is not confirmed, so they are read leniently:
an item costs price × factor per unit, and applies to a run whose billing parameters match its
filters, the item with the most matching filters winning). GPTunnel's GET /v1/models prices
only chat models, which the pack has no node for; SeaCloud and CloudBase publish none.

A published price is keyed "<catelogid>/<model>" (nodes/costs.py names every run by that key
too), because one model name can be listed, and priced, under several catalog ids."""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from pathlib import Path

from . import catalog, http
from .credentials import KeyStore
from .errors import GatewayError
from .json_file import write_whole

log = logging.getLogger("model_gateway.prices")

MAX_AGE = 24 * 3600.0   # a cached price list older than this is fetched again
RETRY_AFTER = 600.0     # after a failed fetch, the cache (or nothing) serves this long
READ_TIMEOUT = 15.0
FOLDER = "prices"


def priced_models() -> list[tuple[str, str]]:
    """(catelogid, model) of every OpenComputing model the catalog runs."""
    found = [(catalog.OPERATION_CATALOGS[m.operation], m.listed_name) for m in catalog.VIDEO_MODELS]
    found += [("t2t", m.id) for m in catalog.CHAT_MODELS if m.gateway == "opencomputing"]
    return list(dict.fromkeys(found))


# -- reading an answer ---------------------------------------------------------------------

def unit_of(text) -> tuple[str, float] | None:
    """(the pack's unit, what one of the gateway's units is in it) for a unit's name in
    English or Chinese: "second", "秒", "minute", "1k_input_tokens", "百万tokens输出", "image",
    "次"...; None for a unit the pack cannot count."""
    if not isinstance(text, str) or not text.strip():
        return None
    t = text.strip().lower().replace(" ", "").replace("_", "")
    if "token" in t:
        scale = 1 / 1000 if any(w in t for w in ("1m", "million", "百万")) else \
            1.0 if any(w in t for w in ("1k", "thousand", "千")) else 1000.0
        if any(w in t for w in ("output", "completion", "输出")):
            return "per_1k_output_tokens", scale
        if any(w in t for w in ("input", "prompt", "输入")):
            return "per_1k_input_tokens", scale
        return None
    if any(w in t for w in ("minute", "分钟")):
        return "per_second", 1 / 60
    if any(w in t for w in ("second", "秒")) or t.lstrip("/") in ("s", "sec", "secs"):
        return "per_second", 1.0
    if any(w in t for w in ("image", "picture", "张", "图")):
        return "per_image", 1.0
    if any(w in t for w in ("run", "request", "call", "task", "video", "次", "条", "个")):
        return "per_run", 1.0
    return None


def _number(value) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        return None
    return float(value)


def _filters(value) -> dict:
    """{name: [allowed values as lower-case texts]} from {"resolution": "720p"} or
    [{"key"|"name"|"field": ..., "value"|"values": ...}]."""
    pairs = []
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                name = item.get("key") or item.get("name") or item.get("field")
                pairs.append((name, item.get("value", item.get("values"))))
    found = {}
    for name, allowed in pairs:
        if not isinstance(name, str) or allowed in (None, "", "*", "all"):
            continue
        allowed = allowed if isinstance(allowed, list) else [allowed]
        found[name] = [str(a).strip().lower() for a in allowed]
    return found


def parse(reply) -> list[dict]:
    """The price rules of one pricing answer: [{"unit", "amount", "filters"}]."""
    data = reply.get("data", reply) if isinstance(reply, dict) else reply
    items = data.get("items") if isinstance(data, dict) else data
    rules = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        unit = unit_of(item.get("unit"))
        price = _number(item.get("price"))
        factor = _number(item.get("factor"))
        if unit is None or price is None:
            continue
        amount = price * (1.0 if factor is None else factor) * unit[1]
        rules.append({"unit": unit[0], "amount": round(amount, 8),
                      "filters": _filters(item.get("filters"))})
    return rules


# -- fetching and caching ------------------------------------------------------------------

def fetch(store: KeyStore) -> dict[str, list[dict]]:
    """Every catalog model's rules, fresh from OpenComputing, side by side. A model it does not
    price is left out; a gateway that cannot be reached is a GatewayError."""
    access = store.access("opencomputing")
    models = priced_models()

    def one(catelogid, model):
        return lambda: http.call_json(access, "GET", "/llmage/v1/pricing",
                                      params={"model": model, "catelogid": catelogid},
                                      idempotent=True, read_timeout=READ_TIMEOUT)

    answers = http.parallel([one(*m) for m in models], None, workers=4)
    table, failures = {}, []
    for (catelogid, model), answer in zip(models, answers):
        if isinstance(answer, GatewayError):
            failures.append(answer)
        elif not isinstance(answer, BaseException):
            rules = parse(answer)
            if rules:
                table[catalog.price_key(catelogid, model)] = rules
    if failures and len(failures) == len(models):
        raise failures[0]
    return table


def path(directory: Path) -> Path:
    return Path(directory) / FOLDER / "opencomputing.json"


def load(directory: Path) -> tuple[dict, float] | None:
    try:
        data = json.loads(path(directory).read_text(encoding="utf-8"))
        return dict(data["prices"]), float(data["fetched_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


_failed_at: dict[str, float] = {}
_lock = threading.Lock()


def rules(store: KeyStore, directory: Path, gateway: str, *, fetch_missing: bool = True
          ) -> dict:
    """{price key: rules} of what `gateway` publishes, for money.Prices: the cache, fetched
    first when there is none or it is older than MAX_AGE (not within RETRY_AFTER of a failed
    fetch, and not at all with fetch_missing=False). No key set: nothing published is known."""
    if gateway != "opencomputing":
        return {}
    cached = load(directory)
    fresh = cached is not None and time.time() - cached[1] < MAX_AGE
    if fresh or not fetch_missing:
        return cached[0] if cached else {}
    try:
        store.access("opencomputing")
    except GatewayError:  # no key: nothing to ask (a key set later is used at once)
        return cached[0] if cached else {}
    where = str(Path(directory).resolve())
    with _lock:  # one fetch at a time; the others then read what it wrote
        cached = load(directory)
        if cached is not None and time.time() - cached[1] < MAX_AGE:
            return cached[0]
        if time.time() - _failed_at.get(where, -RETRY_AFTER) < RETRY_AFTER:
            return cached[0] if cached else {}
        try:
            prices = fetch(store)
        except GatewayError as error:
            _failed_at[where] = time.time()
            log.warning("OpenComputing's price list could not be fetched (%s); %s",
                        error.message, "using the cached one" if cached else "none known")
            return cached[0] if cached else {}
        try:
            write_whole(path(directory), {"fetched_at": time.time(), "prices": prices})
        except OSError as error:
            log.warning("could not cache OpenComputing's prices: %s", type(error).__name__)
        return prices


def forget_failures() -> None:
    with _lock:
        _failed_at.clear()
