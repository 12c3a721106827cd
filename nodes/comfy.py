"""The only module that touches ComfyUI (comfy.*, server, folder_paths). Every access is guarded,
so the pack imports and its tests run without ComfyUI."""
from __future__ import annotations

import functools
import importlib
import logging
import os
from pathlib import Path

from ..providers.credentials import KEYS_FILE_VAR, KeyStore

log = logging.getLogger("model_gateway")


@functools.lru_cache(maxsize=None)
def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def check_interrupted() -> None:
    """Raise ComfyUI's InterruptProcessingException if the user pressed Cancel."""
    mm = _module("comfy.model_management")
    if mm is not None:
        mm.throw_exception_if_processing_interrupted()


def show_text(node_id: str | None, text: str) -> None:
    """Show text on the node while it runs (ComfyUI with send_progress_text only)."""
    server = _module("server")
    instance = getattr(getattr(server, "PromptServer", None), "instance", None)
    if node_id is None or not hasattr(instance, "send_progress_text"):
        return
    try:
        instance.send_progress_text(text, node_id)
    except Exception as exc:  # the UI is a nicety; never fail a paid call over it
        log.debug("progress text not sent: %s", exc)


def user_directory() -> Path:
    folder_paths = _module("folder_paths")
    if folder_paths is not None and hasattr(folder_paths, "get_user_directory"):
        return Path(folder_paths.get_user_directory())
    return Path.home() / ".config" / "comfyui"


def keys_file() -> Path:
    override = os.environ.get(KEYS_FILE_VAR, "").strip()
    return Path(override) if override else user_directory() / "model_gateway" / "keys.json"


def key_store() -> KeyStore:
    return KeyStore(keys_file())
