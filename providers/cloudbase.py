"""CloudBase: chat in the three protocols its docs list (Chat Completions, Responses API,
Anthropic Messages), all under one base URL per provider:
https://ENV_ID.api.tcloudbasegateway.com/v1/ai/PROVIDER (docs.cloudbase.net ai/ai-tools/protocol,
ai/model/anthropic-sdk-access). Bearer auth for all three; the wire formats are the pack's one
dialect table (dialects.DIALECTS)."""
from __future__ import annotations

from . import answers
from .chat import ChatRoute
from .credentials import KeyStore
from .dialects import DIALECTS

# Under the documented base URL, each protocol at the path its vendor's SDK appends: the OpenAI
# SDK adds /chat/completions and /responses, the Anthropic SDK /v1/messages (docs/GATEWAYS.md).
PROTOCOL_PATHS = {
    "chat_completions": "/chat/completions",
    "anthropic_messages": "/v1/messages",
    "responses": "/responses",
}
PROTOCOLS = tuple(PROTOCOL_PATHS)


def base_path(provider: str) -> str:
    """The docs' base URL, as a path under the environment's origin."""
    return f"/v1/ai/{provider}"


def chat_path(provider: str, protocol: str) -> str:
    return base_path(provider) + PROTOCOL_PATHS[protocol]


def chat_route(store: KeyStore, provider: str, protocol: str = "chat_completions") -> ChatRoute:
    dialect = DIALECTS[protocol]
    return ChatRoute(store.access("cloudbase"), chat_path(provider, protocol), dialect,
                     headers=dict(dialect.headers), extend_body=_documented_fields_only,
                     classify=classify)


SUCCESS_CODES = (None, 0, "0", "", "OK", "SUCCESS")


def classify(reply) -> answers.Answer:
    """CloudBase's 2xx answers: a reply in the protocol's shape, or one of its errors, which
    some models send with HTTP 200: {"code": "AI_MODEL_DISABLED", "message": ...} (its error
    code pages), or an OpenAI / Anthropic style {"error": {...}} from the model behind it."""
    if not isinstance(reply, dict):
        return answers.error(f"answered {answers.shown(reply)}")
    code = reply.get("code")
    if code not in SUCCESS_CODES and not isinstance(code, bool):
        return answers.error(answers.text(reply.get("message") or reply.get("msg"))
                             or str(code), code, reply)
    error = reply.get("error")
    if isinstance(error, dict):
        return answers.error(answers.text(error), error.get("code") or error.get("type"), reply)
    if isinstance(error, str) and error:
        return answers.error(error, data=reply)
    return answers.ok(reply)


# The request fields its cURL page (ai/model/curl-access) lists for Chat Completions; models
# refuse others with AI_MODEL_PARAM_INVALID.
CHAT_COMPLETIONS_FIELDS = ("model", "messages", "stream", "temperature", "top_p", "max_tokens")


def _documented_fields_only(body, request):
    # The seed is on no CloudBase page: it stays home, in every protocol.
    body.pop("seed", None)
    return body
