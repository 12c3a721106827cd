"""One chat call on any gateway: a route (where and in which dialect) plus a neutral request,
run plain or streamed, interruptible, into a ChatReply."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import http, sse
from .credentials import Access
from .dialects import ChatRequest, Dialect, Progress
from .errors import GatewayError, read_error

REPLY_TIMEOUT = 300.0   # a whole reply from a slow model
STREAM_GAP_TIMEOUT = 120.0  # silence allowed between two streamed events


@dataclass
class ChatRoute:
    access: Access
    path: str
    dialect: Dialect
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None  # sent as X-Request-Id where the gateway traces it
    extend_body: Callable[[dict, ChatRequest], dict] | None = None


@dataclass
class ChatReply:
    text: str
    usage: dict


def complete(route: ChatRoute, request: ChatRequest, *,
             check_cancelled: http.CancelCheck | None = None,
             on_text: Callable[[str], None] | None = None) -> ChatReply:
    """Run the request; on_text gets the whole text so far after every streamed piece."""
    body = route.dialect.body(request)
    if route.extend_body:
        body = route.extend_body(body, request)
    progress = Progress()
    if request.stream:
        for kind, item in http.in_background(lambda: _stream(route, body), check_cancelled):
            if kind == "json":
                _read_whole(route, item, progress)
            elif route.dialect.read_event(item, progress) and on_text:
                on_text(progress.full_text)
            if progress.error:
                code, message = progress.error
                raise _error(route, message, code=code)
    else:
        payload = http.call_json(route.access, "POST", route.path, json=body,
                                 headers=route.headers, idempotent=False,
                                 read_timeout=REPLY_TIMEOUT, request_id=route.request_id,
                                 check_cancelled=check_cancelled)
        _read_whole(route, payload, progress)
    if not progress.full_text.strip():
        raise _error(route, "the model returned no text",
                     hint="Raise max_tokens, rephrase the prompt, or try another model.")
    usage = {"gateway": route.access.gateway.id, "model": progress.model or request.model,
             "request_id": route.request_id or progress.reply_id, **progress.usage}
    if route.access.sandbox:
        usage["sandbox"] = True
    return ChatReply(progress.full_text, usage)


def _stream(route: ChatRoute, body: dict):
    response = http.send(route.access, "POST", route.path, json=body,
                         headers={**route.headers, "Accept": "text/event-stream"},
                         idempotent=False, read_timeout=STREAM_GAP_TIMEOUT, stream=True,
                         request_id=route.request_id)
    with response:
        if "text/event-stream" not in response.headers.get("Content-Type", ""):
            # Some gateways answer a stream request (often an error) with one JSON body.
            yield "json", http.read_json(route.access, response, route.request_id)
            return
        for event in sse.read_events(response):
            yield "event", event


def _read_whole(route: ChatRoute, payload, progress: Progress) -> None:
    if isinstance(payload, dict):
        route.dialect.read_reply(payload, progress)
        if progress.full_text:
            return
    code, message = read_error(payload)
    if message:  # an error inside an HTTP 200 (CloudBase and others do this)
        raise _error(route, message, code=code, status=200, raw=str(payload))
    if not progress.done:
        raise _error(route, f"sent a reply in an unexpected shape: {str(payload)[:200]}",
                     hint="Check the protocol chosen for this model; report it if it persists.",
                     raw=str(payload))


def _error(route: ChatRoute, message: str, *, code=None, status=None, hint=None, raw=None):
    gateway = route.access.gateway
    return GatewayError(gateway.title, message, status=status, code=code,
                        request_id=route.request_id,
                        hint=hint or gateway.hint(status, code, message), raw=raw)
