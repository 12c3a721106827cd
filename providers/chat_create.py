"""A chat answer is a paid result like any task: journalled under the fingerprint of its
request (gateway, path — protocol and provider —, model, every message and image, sampling
fields, seed) and reused across workflows and restarts. Streamed and plain alike: streaming
is how the answer travels, not what it is."""
from __future__ import annotations

import uuid
from typing import Callable

from . import chat
from .chat import ChatRoute
from .dialects import ChatRequest
from .lifecycle import Create, digest, endpoint_identity
from .tasks import Job, State

# A streamed answer may take a while; a run waiting on another one gives up after this.
ANSWER_LEASE = chat.REPLY_TIMEOUT + 60


def chat_identity(route: ChatRoute, request: ChatRequest) -> dict:
    return {"gateway": route.access.gateway.id, "operation": "chat", "path": route.path,
            "endpoint": endpoint_identity(), "model": request.model, "system": request.system,
            "turns": [[turn.role, turn.text, [digest(url) for url in turn.images]]
                      for turn in request.turns],
            "temperature": request.temperature, "top_p": request.top_p,
            "max_tokens": request.max_tokens, "seed": request.seed}


def chat_create(route: ChatRoute, request: ChatRequest,
                on_text: Callable[[str], None] | None = None) -> Create:
    def send(index: int, fp: str) -> Job:
        reply = chat.complete(route, request, on_text=on_text)
        return Job(route.access.gateway.id, "chat", str(reply.usage.get("request_id")
                                                        or f"chat-{uuid.uuid4().hex[:12]}"),
                   fp, request.model, "text", state=State.SUCCEEDED, usage=reply.usage,
                   text=reply.text)

    return Create(route.access.gateway.title, chat_identity(route, request), send, ANSWER_LEASE,
                  unknown_hint=UNKNOWN_HINT, prompt=request.turns[-1].text)


UNKNOWN_HINT = ("The model may have answered, and charged for it, without the answer arriving "
                "whole. Change the seed to ask again.")
