"""The model lists gateways publish, fetched live (the calls are free) and cached in the data
directory, so that a model a gateway adds after a release can be used by name.

- OpenComputing: GET /llmage/v1/models?catelogid=t2t|t2i|t2v|i2v|ref2v (api_zh.md,
  "查询可用模型列表"), each model with its llmid. The video nodes' custom_model looks names up
  here; the catalog's own rows keep their parameter rules, an unknown model gets generic ones.
- SeaCloud: GET /llm/v1/models (OpenAI's list shape) for its LLMs; the chat nodes take any id
  through custom_model, so the list only counts and caches them (Test connection).
- GPTunnel publishes GET /v1/models for its chat models only (the pack has no GPTunnel chat
  node) and no list of its media models; CloudBase publishes none (a documentation page only).
See docs/GATEWAYS.md."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import catalog, http
from .catalog import OPERATION_CATALOGS, VideoModel
from .credentials import KeyStore
from .errors import GatewayError
from .json_file import write_whole

log = logging.getLogger("model_gateway.model_lists")

OPENCOMPUTING_CATALOGS = ("t2t", "t2i", "t2v", "i2v", "ref2v")
MAX_AGE = 24 * 3600.0  # a cached list older than this is fetched again when a name is missing
LIST_TIMEOUT = 20.0
FOLDER = "model_lists"


@dataclass(frozen=True)
class ListedModel:
    name: str                 # the model's name at the gateway ("model")
    llmid: str | None = None  # OpenComputing's id for this model in this catalog
    title: str = ""


# -- reading a list, in whichever of the shapes it comes -----------------------------------------

def entries(reply) -> list[dict]:
    """The model entries of a list answer: OpenAI's {"object": "list", "data": [...]}, the
    envelope {"status": "ok", "data": [...]}, a table {"total", "rows": [...]}, or a bare list."""
    if isinstance(reply, dict):
        for key in ("data", "rows", "models"):
            value = reply.get(key)
            if isinstance(value, dict):  # {"data": {"rows": [...]}}
                return entries(value)
            if isinstance(value, list):
                return [item for item in value if isinstance(item, dict)]
        return []
    return [item for item in reply if isinstance(item, dict)] if isinstance(reply, list) else []


def parse(reply) -> list[ListedModel]:
    models = []
    for entry in entries(reply):
        name = _text(entry.get("model")) or _text(entry.get("name")) or _text(entry.get("id"))
        if not name:
            continue
        llmid = _text(entry.get("llmid")) or _text(entry.get("id"))
        models.append(ListedModel(name, llmid, _text(entry.get("title")) or
                                  _text(entry.get("name")) or ""))
    return models


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# -- fetching and caching ------------------------------------------------------------------------

def fetch_opencomputing(store: KeyStore) -> dict[str, list[ListedModel]]:
    """Every catalog id's list, fresh from the gateway (five GETs, retried like any poll)."""
    access = store.access("opencomputing")
    lists = {}
    for catelogid in OPENCOMPUTING_CATALOGS:
        reply = http.call_json(access, "GET", "/llmage/v1/models",
                               params={"catelogid": catelogid}, idempotent=True,
                               read_timeout=LIST_TIMEOUT)
        from .opencomputing import classify, raise_error
        answer = classify(reply)
        if not answer.ok:
            raise_error(answer)
        lists[catelogid] = parse(reply)
    return lists


def fetch_seacloud(store: KeyStore) -> dict[str, list[ListedModel]]:
    access = store.access("seacloud", "llm")
    reply = http.call_json(access, "GET", "/v1/models", idempotent=True,
                           read_timeout=LIST_TIMEOUT)
    return {"llm": [ListedModel(m.name) for m in parse(reply)]}


FETCHERS = {"opencomputing": fetch_opencomputing, "seacloud": fetch_seacloud}


def path(directory: Path, gateway: str) -> Path:
    return Path(directory) / FOLDER / f"{gateway}.json"


def save(directory: Path, gateway: str, lists: dict[str, list[ListedModel]]) -> None:
    write_whole(path(directory, gateway), {
        "fetched_at": time.time(),
        "lists": {key: [asdict(m) for m in models] for key, models in lists.items()}})


def load(directory: Path, gateway: str) -> tuple[dict[str, list[ListedModel]], float] | None:
    """(lists, when fetched) from the cache, or None when there is none readable."""
    try:
        data = json.loads(path(directory, gateway).read_text(encoding="utf-8"))
        lists = {key: [ListedModel(**m) for m in models]
                 for key, models in data["lists"].items()}
        return lists, float(data["fetched_at"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def refresh(store: KeyStore, directory: Path | None, gateway: str
            ) -> dict[str, list[ListedModel]]:
    lists = FETCHERS[gateway](store)
    if directory is not None:
        try:
            save(directory, gateway, lists)
        except OSError as error:  # a read-only data folder: the lists still serve this run
            log.warning("could not cache %s's model list: %s", gateway, type(error).__name__)
    return lists


def lists_for(store: KeyStore, directory: Path, gateway: str, *, fresh: bool = False
              ) -> dict[str, list[ListedModel]]:
    """The cached lists, fetched first when there are none, they are older than MAX_AGE, or
    `fresh` is asked. When the gateway cannot be reached, a cache of any age serves."""
    cached = load(directory, gateway)
    if cached is not None and not fresh and time.time() - cached[1] < MAX_AGE:
        return cached[0]
    try:
        return refresh(store, directory, gateway)
    except GatewayError:
        if cached is None:
            raise
        log.warning("%s's model list could not be fetched; using the cached one", gateway)
        return cached[0]


def cached_names(directory: Path) -> dict:
    """What the cache holds, for the page: {gateway: {list: [names]}}, no network."""
    found = {}
    for gateway in FETCHERS:
        cached = load(directory, gateway)
        if cached is not None:
            found[gateway] = {key: [m.name for m in models] for key, models in cached[0].items()}
    return found


# -- a video model by name: the catalog's row, or the live list's with generic rules ------------

def find(models: list[ListedModel], wanted: str) -> ListedModel | None:
    wanted = wanted.strip()
    return next((m for m in models if wanted in (m.name, m.llmid)), None) or next(
        (m for m in models if m.name.lower() == wanted.lower()), None)


def video_model(store: KeyStore, directory: Path, operation: str, wanted: str,
                *, node: str, field: str = "custom_model") -> VideoModel:
    """The model a video node's custom_model names: a catalog row (by its name, or by the
    llmid and model name OpenComputing lists it under), else a model from OpenComputing's live
    list with generic rules. A name on neither is a ValueError naming what is listed."""
    known = catalog.video_model(operation, wanted)
    if known is not None:
        return known
    catelogid = OPERATION_CATALOGS[operation]
    listed = find(lists_for(store, directory, "opencomputing").get(catelogid, []), wanted)
    if listed is None:  # maybe added since the cache was written
        listed = find(lists_for(store, directory, "opencomputing", fresh=True)
                      .get(catelogid, []), wanted)
    if listed is None:
        names = [m.name for m in lists_for(store, directory, "opencomputing")
                 .get(catelogid, [])]
        raise ValueError(f"{node}: {field} {wanted!r} is not in OpenComputing's {catelogid} "
                         f"model list ({', '.join(names[:20]) or 'empty'}).")
    return catalog.video_model_listed(operation, listed.llmid, listed.name) or \
        catalog.generic_video_model(operation, listed.name, listed.llmid or listed.name)
