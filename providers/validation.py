"""Checks of user input against the catalog, before anything is sent (nor paid for).
Every message names the node, the field, and what is allowed."""
from __future__ import annotations

import re

from . import catalog
from .dialects import DIALECTS


CLOUDBASE_PROVIDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def fail(node: str, field: str, message: str):
    raise ValueError(f"{node}: {field} {message}")


def check_chat(node: str, *, gateway: str, protocol: str, model: str, prompt: str,
               temperature: float, top_p: float, max_tokens: int, image_count: int) -> None:
    if not model.strip():
        fail(node, "model", "is empty: pick one from the list or type one into custom_model.")
    if not prompt.strip():
        fail(node, "prompt", "is empty: write what the model should answer.")
    dialect = DIALECTS[protocol]
    if not 0.0 <= temperature <= dialect.temperature_max:
        fail(node, "temperature", f"must be between 0 and {dialect.temperature_max:g} for the "
                                  f"{protocol} protocol (got {temperature:g}).")
    if not 0.0 <= top_p <= 1.0:
        fail(node, "top_p", f"must be between 0 and 1 (got {top_p:g}).")
    if max_tokens < 1:
        fail(node, "max_tokens", f"must be at least 1 (got {max_tokens}).")
    if image_count:
        known = catalog.chat_model(gateway, model)
        if known is not None and not known.vision:
            vision = [m.id for m in catalog.CHAT_MODELS if m.gateway == gateway and m.vision]
            fail(node, "images", f"cannot be sent to {model}, which takes text only. Vision "
                                 f"models here: {', '.join(vision) or 'none known'}.")
        if image_count > catalog.CHAT_MAX_IMAGES:
            fail(node, "images", f"holds {image_count} images; at most "
                                 f"{catalog.CHAT_MAX_IMAGES} can go in one message.")


def check_cloudbase_provider(node: str, provider: str) -> None:
    if not CLOUDBASE_PROVIDER.fullmatch(provider.strip()):
        fail(node, "provider", f"must be a provider name such as cloudbase, hunyuan-exp or "
                               f"deepseek: letters, digits, '-', '_' or '.' (got {provider!r}).")
