"""The settings panel's "test connection": the cheapest real call each gateway offers, and what
its answer says about the key."""
from __future__ import annotations

import logging
from pathlib import Path

from . import http
from .credentials import KeyStore
from .errors import GatewayError, redact

log = logging.getLogger("model_gateway.connection")

TEST_TIMEOUT = 20.0


def _seacloud(store, access, directory):
    from . import model_lists
    lists = model_lists.refresh(store, directory, "seacloud")
    return f"key accepted; {len(lists['llm'])} models listed"


def _gptunnel(store, access, directory):
    # Asking for a task that does not exist costs nothing: "record not found" (code 4) means
    # the key was accepted; CreativeLab refuses a bad key with HTTP 401 or, per its error
    # table, with HTTP 200 and code 2.
    from . import gptunnel
    answer = gptunnel.classify(http.call_json(access, "POST", "/v1/media/result",
                                              json={"task_id": "0" * 24}, idempotent=True,
                                              read_timeout=TEST_TIMEOUT))
    if answer.code == "2":
        raise GatewayError(access.gateway.title, answer.reason, code="2", status=401,
                           hint=access.gateway.hint(401, "2", answer.reason))
    return "key accepted"


def _cloudbase(store, access, directory):
    # CloudBase has no free call: a one-token chat costs next to nothing.
    http.call_json(access, "POST", "/v1/ai/cloudbase/chat/completions", idempotent=False,
                   read_timeout=TEST_TIMEOUT,
                   json={"model": "hy3-preview", "max_tokens": 1, "stream": False,
                         "messages": [{"role": "user", "content": "ping"}]})
    return "key accepted (a one-token chat was made)"


def _opencomputing(store, access, directory):
    # Its model list is free and needs the key: fetched, counted and cached for the video nodes.
    from . import model_lists
    lists = model_lists.refresh(store, directory, "opencomputing")
    counts = ", ".join(f"{name} {len(models)}" for name, models in lists.items())
    return f"key accepted; {sum(map(len, lists.values()))} models listed ({counts})"


PROBES = {"seacloud": ("llm", _seacloud), "gptunnel": ("main", _gptunnel),
          "cloudbase": ("main", _cloudbase), "opencomputing": ("main", _opencomputing)}


def test_connection(store: KeyStore, gateway_id: str, directory: Path | None = None) -> dict:
    """{"ok", "message"[, "sandbox"]} for the panel; every failure becomes a result, never an
    exception (the route would answer 500 and the panel would show nothing useful). A model
    list fetched on the way is cached in `directory` (the data directory), when given."""
    role, probe = PROBES[gateway_id]
    try:
        access = store.access(gateway_id, role)
        message = probe(store, access, directory)
        return {"ok": True, "sandbox": access.sandbox,
                "message": ("sandbox: " if access.sandbox else "") + message}
    except GatewayError as error:
        refused = error.status in (401, 403) or error.status is None
        if not refused:  # the gateway answered, and not with "bad key"
            return {"ok": True, "message": f"reached {error.gateway}; the key was not refused "
                                           f"({error.message})"}
        return {"ok": False, "message": str(error)}
    except Exception as error:  # noqa: BLE001 - the panel must get an answer
        return {"ok": False, "message": _unexpected(error)}


def _unexpected(error: Exception) -> str:
    """A message for a failure the pack did not map. Only the pack's own ValueErrors (a broken
    keys file) are quoted: a library's text may hold a header, and so the key."""
    import requests
    name = type(error).__name__
    log.warning("connection test failed: %s", name)
    if isinstance(error, ValueError) and not isinstance(
            error, (requests.RequestException, UnicodeError)):
        return redact(str(error))
    return f"the test failed ({name}); check the key and base URL settings"
