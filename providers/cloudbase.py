"""CloudBase: OpenAI-style chat under https://ENV_ID.api.tcloudbasegateway.com/v1/ai/PROVIDER/."""
from __future__ import annotations

from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS

def chat_route(store: KeyStore, provider: str) -> ChatRoute:
    return ChatRoute(store.access("cloudbase"), f"/v1/ai/{provider}/chat/completions",
                     DIALECTS["chat_completions"], extend_body=_documented_fields_only)


def _documented_fields_only(body, request):
    # The page lists model, messages, stream, temperature, top_p, max_tokens; models refuse
    # unknown parameters with AI_MODEL_PARAM_INVALID, so the seed stays home.
    body.pop("seed", None)
    return body
