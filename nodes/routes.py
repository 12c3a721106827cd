"""The pack's server routes under /model_gateway/, registered on ComfyUI's PromptServer:
key status (masked), key writing (to the keys file), connection tests, and the catalog.
No route ever returns a key.

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
import ipaddress
import logging
from urllib.parse import urlsplit

from ..providers.gateways import GATEWAYS
from . import comfy

PREFIX = "/model_gateway"
log = logging.getLogger("model_gateway.routes")

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
            None, test_connection, key_store(), gateway)
        return web.json_response(result)

    @routes.get(PREFIX + "/catalog")
    async def catalog(request):
        return web.json_response(page_catalog())


def page_catalog() -> dict:
    """What the page's widget logic reads: the catalog, and the pack's node class names (the
    page finds its nodes by class name: categories arrive translated). The page ships a copy in
    web/js/lib/catalog.js (tools/make_web.py), so registering nodes never waits on a request."""
    from ..providers.catalog import as_json
    from . import NODE_CLASS_MAPPINGS
    return {**as_json(), "nodes": sorted(NODE_CLASS_MAPPINGS),
            "llm_nodes": sorted(name for name, cls in NODE_CLASS_MAPPINGS.items()
                                if cls.CATEGORY.endswith("/llm"))}


def register_with_comfyui() -> bool:
    """Register on ComfyUI's running server; False outside ComfyUI."""
    server = comfy.prompt_server()
    if server is None:
        return False
    register(server.routes)
    return True
