"""SeaCloud: LLM chat in three protocols (the multimodal queue comes with the image issue)."""
from __future__ import annotations

import uuid

from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS

CHAT_PATHS = {
    "chat_completions": "/v1/chat/completions",
    "anthropic_messages": "/v1/messages",
    "responses": "/openai/v1/responses",
}


def chat_route(store: KeyStore, protocol: str) -> ChatRoute:
    headers = {"anthropic-version": "2023-06-01"} if protocol == "anthropic_messages" else {}
    return ChatRoute(store.access("seacloud", "llm"), CHAT_PATHS[protocol], DIALECTS[protocol],
                     headers=headers, request_id=f"mgn-{uuid.uuid4().hex}",
                     extend_body=_ask_stream_usage if protocol == "chat_completions" else None)


def _ask_stream_usage(body, request):
    if request.stream:
        body["stream_options"] = {"include_usage": True}
    return body
