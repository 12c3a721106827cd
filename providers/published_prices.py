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
import threading
import time
from pathlib import Path

from . import catalog, http, money
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
        price = money.lenient_number(item.get("price"))
        factor = money.lenient_number(item.get("factor"))
        if unit is None or price is None:
            continue
        amount = price * (1.0 if factor is None else factor) * unit[1]
        rules.append({"unit": unit[0], "amount": round(amount, 8),
                      "filters": _filters(item.get("filters"))})
    return rules


# -- fetching and caching ------------------------------------------------------------------

def fetch(store: KeyStore, previous: dict) -> tuple[dict[str, list[dict]], bool]:
    """(every catalog model's rules, fresh from OpenComputing, side by side; whether every one
    was read). A model it does not price is left out; one whose read failed keeps its
    `previous` rules. A gateway that answers none of them is a GatewayError."""
    access = store.access("opencomputing")
    models = priced_models()

    def one(catelogid, model):
        return lambda: http.call_json(access, "GET", "/llmage/v1/pricing",
                                      params={"model": model, "catelogid": catelogid},
                                      idempotent=True, read_timeout=READ_TIMEOUT)

    answers = http.parallel([one(*m) for m in models], None, workers=4)
    table, failures = {}, []
    for (catelogid, model), answer in zip(models, answers):
        key = catalog.price_key(catelogid, model)
        if isinstance(answer, BaseException):
            failures.append(answer)
            if key in previous:
                table[key] = previous[key]
            continue
        found = parse(answer)
        if found:
            table[key] = found
    if failures and len(failures) == len(models):
        first = failures[0]
        raise first if isinstance(first, GatewayError) else GatewayError(
            "OpenComputing", f"its price list could not be read ({type(first).__name__})")
    return table, not failures


def path(directory: Path) -> Path:
    return Path(directory) / FOLDER / "opencomputing.json"


def load(directory: Path, base_url: str) -> tuple[dict, float, bool] | None:
    """(rules by price key, when fetched, whether complete) of the cache written for this base
    URL (the sandbox's list is not the real gateway's), or None. Rules of a shape the pack does
    not write are left out."""
    try:
        data = json.loads(path(directory).read_text(encoding="utf-8"))
        if data.get("base_url") != base_url or not isinstance(data.get("prices"), dict):
            return None
        prices = {key: [rule for rule in found if _well_formed(rule)]
                  for key, found in data["prices"].items() if isinstance(found, list)}
        return prices, float(data["fetched_at"]), data.get("complete") is True
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _well_formed(rule) -> bool:
    return (isinstance(rule, dict) and rule.get("unit") in money.UNITS
            and money.lenient_number(rule.get("amount")) is not None
            and isinstance(rule.get("filters"), dict)
            and all(isinstance(v, list) for v in rule["filters"].values()))


def _fresh(cached) -> bool:
    """A complete list serves MAX_AGE; one with models that failed, RETRY_AFTER."""
    return cached is not None and time.time() - cached[1] < (MAX_AGE if cached[2] else
                                                               RETRY_AFTER)


_failed_at: dict[tuple, float] = {}
_fetching: dict[tuple, threading.Event] = {}  # set when that fetch has ended
_lock = threading.Lock()


def rules(store: KeyStore, directory: Path, gateway: str, *, patience: float = 60.0
          ) -> dict | None:
    """{price key: rules} of what `gateway` publishes, for money.Prices: the cache, fetched
    again (in the background) when there is none or it is stale, not within RETRY_AFTER of a
    failed fetch; this waits up to `patience` seconds for a fetch under way, then answers what
    the cache has. None: not known yet (no cache, no answer yet); {} for a gateway that
    publishes nothing, or with no key set."""
    if gateway != "opencomputing":
        return {}
    try:
        access = store.access("opencomputing")
    except GatewayError:  # no key: nothing to ask (a key set later is used at once)
        return {}
    cached = load(directory, access.base_url)
    if _fresh(cached):
        return cached[0]
    where = (str(Path(directory).resolve()), access.account)
    with _lock:
        running = _fetching.get(where)
        if running is None and time.time() - _failed_at.get(where, -RETRY_AFTER) >= RETRY_AFTER:
            running = _fetching[where] = threading.Event()
            threading.Thread(target=_refresh, args=(store, directory, access, where, cached,
                                                    running),
                             daemon=True, name="model-gateway-prices").start()
    if running is not None and patience > 0:
        running.wait(patience)
    now = load(directory, access.base_url)
    return now[0] if now else None


def _refresh(store, directory: Path, access, where: tuple, cached, done: threading.Event
             ) -> None:
    try:
        prices, complete = fetch(store, cached[0] if cached else {})
        write_whole(path(directory), {"fetched_at": time.time(), "complete": complete,
                                      "base_url": access.base_url, "prices": prices})
    except GatewayError as error:
        with _lock:
            _failed_at[where] = time.time()
        log.warning("OpenComputing's price list could not be fetched (%s); %s",
                    error.message, "using the cached one" if cached else "none known")
    except OSError as error:  # a data folder it cannot write: tried again in RETRY_AFTER
        with _lock:
            _failed_at[where] = time.time()
        log.warning("could not cache OpenComputing's prices: %s", type(error).__name__)
    finally:
        with _lock:
            _fetching.pop(where, None)
        done.set()


def forget_failures() -> None:
    with _lock:
        _failed_at.clear()
