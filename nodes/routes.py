"""The pack's server routes under /model_gateway/, registered on ComfyUI's PromptServer:
key status (masked), key writing (to the keys file), connection tests, the catalog, and the
Gateway tasks panel's journal (jobs page by page, spending, resume, forget). No route ever
returns a key.

Who may write what (ComfyUI started with --listen serves these routes to the whole network):
- A key may be written from any client: it still goes only to the gateway's configured origin,
  so writing one cannot send a key anywhere.
- Base URLs and CLOUDBASE_ENV_ID decide where the key goes. They are written only for a local
  request: its peer address is loopback (127.0.0.0/8, ::1), its Host header names a loopback
  host (a DNS-rebound name such as evil.example resolving to 127.0.0.1 does not), its Origin,
  if sent, is a loopback origin, and it carries no proxy forwarding header (a reverse proxy on
  the same machine makes every client look local). Everyone else sets them in the environment
  or the keys file; the panel shows them read-only ("settings_writable" in the status).
- No write is accepted from a browser that says the request is cross-site (Sec-Fetch-Site), so
  a web page cannot post to a ComfyUI it happens to reach.
Left open: a reverse proxy on this machine that rewrites Host to 127.0.0.1 and adds no
forwarding header, reached by a non-browser client that forges a loopback Origin, passes for
local. Behind such a proxy, set base URLs in the environment or the keys file."""
from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from ..providers.gateways import GATEWAYS
from . import comfy

PREFIX = "/model_gateway"
log = logging.getLogger("model_gateway.routes")

FINGERPRINT = re.compile(r"[0-9a-f]{64}")  # a journal row's key (providers/journal/)
_resumer = None


def resumer():
    """The one Resumer of this server: waits the Gateway tasks panel asked for, by job."""
    global _resumer
    if _resumer is None:
        from ..providers.task_list import Resumer
        _resumer = Resumer()
    return _resumer


FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP",
                      "X-Forwarded-Proto")


def loopback_host(host: str | None) -> bool:
    """True for localhost or a loopback IP (brackets and port allowed)."""
    if not host:
        return False
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8188
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:  # 127.0.0.1:8188, localhost:8188
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def local_request(request) -> bool:
    """A request from a browser or tool on this machine, talking to it by a loopback name."""
    if not loopback_host(request.remote):
        return False
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    if not loopback_host(request.headers.get("Host")):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not loopback_host(parts.netloc):
            return False
    return True


def cross_site(request) -> bool:
    return request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site"


def register(routes, key_store=comfy.key_store) -> None:
    """Add the routes to an aiohttp RouteTableDef (ComfyUI's, or a test's)."""
    from aiohttp import web

    def status_body(request):
        from ..providers.credentials import sandbox_enabled
        store = key_store()
        return {"sandbox": sandbox_enabled(), "keys_file": str(store.path),
                "settings_writable": local_request(request),
                "gateways": [store.status(g) for g in GATEWAYS]}

    def refused(text: str, status: int = 403):
        return web.json_response({"error": text}, status=status)

    def gateway_of(request) -> str:
        gateway = request.match_info["gateway"]
        if gateway not in GATEWAYS:
            raise web.HTTPNotFound(text=f"no gateway {gateway}")
        return gateway

    @routes.get(PREFIX + "/status")
    async def status(request):
        try:
            return web.json_response(status_body(request))
        except ValueError as error:  # a broken keys file: say so (its messages hold no value)
            return refused(str(error), status=500)

    @routes.post(PREFIX + "/keys/{gateway}")
    async def write_keys(request):
        gateway = gateway_of(request)
        if cross_site(request):
            return refused("settings are not written for another web site's page")
        store = key_store()
        try:
            values = await request.json()
            if not isinstance(values, dict):
                raise ValueError("send a JSON object of setting names to values")
            where_key_goes = sorted(set(values) & store.setting_names(gateway)
                                    - {GATEWAYS[gateway].key_var})
            if where_key_goes and not local_request(request):
                return refused(
                    f"{', '.join(where_key_goes)} decide where the key is sent, so they can be "
                    f"changed from the panel only on the machine running ComfyUI (opened at "
                    f"http://127.0.0.1:PORT, not through a proxy). Set them in the environment "
                    f"or the keys file {store.path}.")
            store.update(gateway, values)
        except ValueError as error:  # includes malformed JSON; never holds a value
            return refused(str(error), status=400)
        log.info("model gateway settings of %s updated: %s", gateway, ", ".join(sorted(values)))
        return web.json_response(status_body(request))

    @routes.post(PREFIX + "/test/{gateway}")
    async def test(request):
        from ..providers.connection import test_connection
        gateway = gateway_of(request)
        if cross_site(request):
            return refused("connections are not tested for another web site's page")
        result = await asyncio.get_running_loop().run_in_executor(
            None, test_connection, key_store(), gateway, comfy.data_directory())
        return web.json_response(result)

    @routes.get(PREFIX + "/catalog")
    async def catalog(request):
        from ..providers.model_lists import cached_names
        # plus the gateways' live model lists as last fetched (not in the shipped copy: they
        # change without a release)
        return web.json_response({**page_catalog(),
                                  "live_models": cached_names(comfy.data_directory())})

    # -- the Gateway tasks panel: the journal's jobs, never a key (providers/task_list.py) -----

    def job_of(request) -> str:
        fingerprint = request.match_info["job"]
        if not FINGERPRINT.fullmatch(fingerprint):
            raise web.HTTPNotFound(text="no such job")
        return fingerprint

    async def in_thread(function, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: function(*args, **kwargs))

    def journal_route(handler):
        """A panel route: a journal database that cannot answer is a 503 that says so (the
        panel shows it), never a traceback."""
        from ..providers.journal import JournalError

        @functools.wraps(handler)
        async def route(request):
            try:
                return await handler(request)
            except JournalError as error:
                return refused(str(error), status=503)
        return route

    async def journal():
        return await in_thread(comfy.journal)  # a shared one may wait on its database

    @routes.get(PREFIX + "/tasks")
    @journal_route
    async def tasks(request):
        from ..providers import task_list
        try:
            offset = int(request.query.get("offset", 0))
            limit = int(request.query.get("limit", task_list.PAGE_SIZE))
        except ValueError:
            return refused("offset and limit must be whole numbers", status=400)
        body = await in_thread(task_list.list_jobs, await journal(),
                               files_dir=comfy.files_directory(), offset=offset, limit=limit,
                               preview=comfy.preview_entries, resuming=resumer().status())
        return web.json_response(body)

    @routes.get(PREFIX + "/tasks/spending")
    @journal_route
    async def spending(request):
        from ..providers import task_list
        return web.json_response(await in_thread(task_list.spending, await journal()))

    @routes.post(PREFIX + "/tasks/{job}/resume")
    @journal_route
    async def resume(request):
        fingerprint = job_of(request)
        if cross_site(request):
            return refused("jobs are not resumed for another web site's page")
        try:
            state = await in_thread(resumer().resume, await journal(), fingerprint,
                                    store=key_store(), files_dir=comfy.files_directory())
        except LookupError as error:
            return refused(str(error), status=404)
        except ValueError as error:
            return refused(str(error), status=409)
        return web.json_response({"id": fingerprint, "resume": state})

    @routes.post(PREFIX + "/tasks/{job}/forget")
    @journal_route
    async def forget(request):
        fingerprint = job_of(request)
        if cross_site(request):
            return refused("jobs are not forgotten for another web site's page")
        if not await in_thread((await journal()).forget, fingerprint):
            return refused("only a finished job (done, failed or cancelled) can be forgotten",
                           status=409)
        log.info("journal entry %s forgotten from the Gateway tasks panel", fingerprint[:12])
        return web.json_response({"id": fingerprint, "forgotten": True})

    register_money(routes, refused, in_thread, journal_route, journal, key_store)


def register_money(routes, refused, in_thread, journal_route, journal, key_store) -> None:
    """Issue 17's routes: prices, budgets, spending and balances (GET/POST /money), and the
    estimate of a workflow's paid nodes (POST /estimate). Never a key: only tables and
    numbers."""
    from aiohttp import web

    def money_body(journal_now):
        """The tables and what was spent (read in a worker thread: the journal is a database)."""
        from ..providers import balance, budget, money
        from ..providers.credentials import sandbox_enabled
        stored = money.MoneySettings(journal_now).read()
        env_budgets = money.env_table(money.BUDGETS_VAR, money.check_budgets)
        return {"currencies": {g: money.currency(g) for g in money.CURRENCIES},
                "units": list(money.UNITS),
                "prices": {"user": stored["prices"],
                           "env": money.env_table(money.PRICES_VAR, money.check_prices)},
                "budgets": {"user": stored["budgets"], "env": env_budgets,
                            "effective": money.effective_budgets(stored["budgets"],
                                                                 env_budgets)},
                "spent": budget.spent(journal_now), "balance": balance.balances(key_store()),
                "sandbox": sandbox_enabled()}

    @routes.get(PREFIX + "/money")
    @journal_route
    async def money_read(request):
        try:
            return web.json_response(await in_thread(money_body, await journal()))
        except ValueError as error:  # a broken stored or environment table: say which
            return refused(str(error), status=500)

    @routes.post(PREFIX + "/money")
    @journal_route
    async def money_write(request):
        from ..providers.money import MoneySettings
        if cross_site(request):
            return refused("prices and budgets are not written for another web site's page")
        journal_now = await journal()
        try:
            body = await request.json()
            if not isinstance(body, dict) or not ({"prices", "budgets"} & set(body)):
                raise ValueError('send a JSON object with "prices" and/or "budgets"')
            await in_thread(MoneySettings(journal_now).write, prices=body.get("prices"),
                            budgets=body.get("budgets"))
        except ValueError as error:  # malformed JSON too; the text names what is wrong
            return refused(str(error), status=400)
        log.info("model gateway money settings updated: %s", ", ".join(sorted(body)))
        try:
            return web.json_response(await in_thread(money_body, journal_now))
        except ValueError as error:
            return refused(str(error), status=500)

    def workflow_estimate(journal_now, runs):
        from ..providers import budget, money
        tables = budget.tables(comfy.data_directory(), journal_now, key_store())
        gateways = {gateway for gateway, _, _ in runs.values()}
        readings = {gateway: tables.balance_of(gateway) for gateway in gateways}
        return money.workflow_estimate(tables.prices, runs, tables.budgets,
                                       budget.spent(journal_now),
                                       {g: b for g, b in readings.items() if b is not None})

    @routes.post(PREFIX + "/estimate")
    @journal_route
    async def estimate(request):
        from .costs import paid_runs
        try:
            body = await request.json()
            nodes = body.get("nodes") if isinstance(body, dict) else None
            if not isinstance(nodes, dict):
                raise ValueError('send {"nodes": {"<node id>": {"class_type": ..., "inputs": '
                                 '{...}}}}')
            answer = await in_thread(workflow_estimate, await journal(), paid_runs(nodes))
        except ValueError as error:
            return refused(str(error), status=400)
        return web.json_response(answer)


def page_catalog() -> dict:
    """What the page's widget logic reads: the catalog, and the pack's node class names (the
    page finds its nodes by class name: categories arrive translated). The page ships a copy in
    web/js/lib/catalog.js (tools/make_web.py), so registering nodes never waits on a request."""
    from ..providers.catalog import as_json
    from . import NODE_CLASS_MAPPINGS
    from .costs import PAID_NODES
    from .tasks import GatewayTaskFromId
    # which node makes which video operation is the nodes' to say, not the catalog's
    return {**as_json(), "nodes": sorted(NODE_CLASS_MAPPINGS),
            "llm_nodes": sorted(name for name, cls in NODE_CLASS_MAPPINGS.items()
                                if cls.CATEGORY.endswith("/llm") and cls.FUNCTION == "chat"),
            "task_gateways": list(GatewayTaskFromId.GATEWAYS_WITH_TASKS),
            "paid_nodes": PAID_NODES,
            "video_nodes": {name: cls.OPERATION for name, cls in sorted(NODE_CLASS_MAPPINGS.items())
                            if getattr(cls, "OPERATION", "")},
            "media_nodes": {name: cls.MODEL_TABLE for name, cls in sorted(NODE_CLASS_MAPPINGS.items())
                            if getattr(cls, "MODEL_TABLE", "")}}


# What a folder name may hold for ComfyUI to serve it: aiohttp's static routes (the page's
# /extensions/<folder>/..., the templates' /api/workflow_templates/...) find no file for a
# name with a space, a non-ASCII letter, % or # (checked in tests/test_page.py).
SERVABLE_FOLDER = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


def folder_problem(folder: str) -> str | None:
    """The one log line for a pack folder ComfyUI cannot serve the page from, or None."""
    if SERVABLE_FOLDER.fullmatch(folder):
        return None
    suggestion = re.sub(r"[^A-Za-z0-9._-]+", "_", folder).strip("_") or "model_gateway"
    return (f"Model Gateway Nodes: the folder name {folder!r} has a space or a character "
            f"ComfyUI's web server cannot serve (only ASCII letters, digits and -._ are safe), "
            f"so the page extension (widgets, key panel, Gateway tasks) and the example "
            f"workflows will not load; the nodes themselves work. Rename the folder, e.g. to "
            f"{suggestion!r}, and restart ComfyUI.")


def register_with_comfyui() -> bool:
    """Register on ComfyUI's running server; False outside ComfyUI."""
    server = comfy.prompt_server()
    if server is None:
        return False
    # not resolved: ComfyUI serves the folder by the name it found it under (a link's own name)
    problem = folder_problem(Path(__file__).parent.parent.name)
    if problem:
        log.warning("%s", problem)
    register(server.routes)
    return True
