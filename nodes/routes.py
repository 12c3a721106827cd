"""The pack's server routes under /model_gateway/, registered on ComfyUI's PromptServer:
key status (masked), key writing (to the keys file), connection tests, and the catalog.
No route ever returns a key."""
from __future__ import annotations

import asyncio
import logging

from ..providers.gateways import GATEWAYS
from . import comfy

PREFIX = "/model_gateway"
log = logging.getLogger("model_gateway.routes")


def register(routes, key_store=comfy.key_store) -> None:
    """Add the routes to an aiohttp RouteTableDef (ComfyUI's, or a test's)."""
    from aiohttp import web

    def status_body():
        from ..providers.credentials import sandbox_enabled
        store = key_store()
        return {"sandbox": sandbox_enabled(), "keys_file": str(store.path),
                "gateways": [store.status(g) for g in GATEWAYS]}

    def gateway_of(request) -> str:
        gateway = request.match_info["gateway"]
        if gateway not in GATEWAYS:
            raise web.HTTPNotFound(text=f"no gateway {gateway}")
        return gateway

    @routes.get(PREFIX + "/status")
    async def status(request):
        return web.json_response(status_body())

    @routes.post(PREFIX + "/keys/{gateway}")
    async def write_keys(request):
        gateway = gateway_of(request)
        try:
            values = await request.json()
            if not isinstance(values, dict):
                raise ValueError("send a JSON object of setting names to values")
            key_store().update(gateway, values)
        except ValueError as error:  # includes malformed JSON
            return web.json_response({"error": str(error)}, status=400)
        log.info("model gateway settings of %s updated: %s", gateway, ", ".join(sorted(values)))
        return web.json_response(status_body())

    @routes.post(PREFIX + "/test/{gateway}")
    async def test(request):
        from ..providers.connection import test_connection
        gateway = gateway_of(request)
        result = await asyncio.get_running_loop().run_in_executor(
            None, test_connection, key_store(), gateway)
        return web.json_response(result)

    @routes.get(PREFIX + "/catalog")
    async def catalog(request):
        from ..providers.catalog import as_json
        from . import NODE_CLASS_MAPPINGS
        # the page finds the pack's nodes by class name: categories arrive translated
        return web.json_response({**as_json(), "nodes": sorted(NODE_CLASS_MAPPINGS)})


def register_with_comfyui() -> bool:
    """Register on ComfyUI's running server; False outside ComfyUI."""
    server = comfy.prompt_server()
    if server is None:
        return False
    register(server.routes)
    return True
