"""OpenComputing (元境): chat (video comes with the video issue)."""
from __future__ import annotations

from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS

CHAT_PATH = "/llmage/v1/chat/completions"


def chat_route(store: KeyStore) -> ChatRoute:
    return ChatRoute(store.access("opencomputing"), CHAT_PATH, DIALECTS["chat_completions"],
                     extend_body=_page_fields)


def _page_fields(body, request):
    # The page documents prompt (required) and sys_prompt; OpenAI messages carry the history.
    body["prompt"] = request.turns[-1].text
    if request.system:
        body["sys_prompt"] = request.system
    return body
