"""One chat call on any gateway: a route (where and in which dialect) plus a neutral request,
run plain or streamed, interruptible, into a ChatReply."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import http, sse
from .answers import Answer
from .credentials import Access
from .dialects import ChatRequest, Dialect, Progress
from .errors import GatewayError, redact

REPLY_TIMEOUT = 300.0   # a whole reply from a slow model
STREAM_GAP_TIMEOUT = 120.0  # silence allowed between two streamed events
PARTIAL_SHOWN = 500  # characters of a cut-off answer quoted in its error


@dataclass
class ChatRoute:
    access: Access
    path: str
    dialect: Dialect
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None  # sent as X-Request-Id where the gateway traces it
    extend_body: Callable[[dict, ChatRequest], dict] | None = None
    # The gateway's own reading of a 2xx answer (its module's classify): an error it sends
    # with HTTP 200, whole or as a stream chunk, is found there, not by a generic reader.
    classify: Callable[[dict], Answer] | None = None


@dataclass
class ChatReply:
    text: str
    usage: dict


class CutOff(GatewayError):
    """A streamed answer that stopped before its end: the gateway took (and probably charged for)
    the request, but only part of the text arrived. The text that did is kept here and quoted,
    shortened, in the message."""

    __module__ = "model_gateway"  # as GatewayError: ComfyUI titles its dialog with it

    def __init__(self, gateway: str, message: str, *, partial_text: str, **details):
        self.partial_text = redact(partial_text)
        self.characters = len(partial_text)
        super().__init__(gateway, message, maybe_accepted=True, **details)


def complete(route: ChatRoute, request: ChatRequest, *,
             check_cancelled: http.CancelCheck | None = None,
             on_text: Callable[[str], None] | None = None) -> ChatReply:
    """Run the request; on_text gets the whole text so far after every streamed piece.
    A stream counts only when its dialect's end marker arrived; one that ends, breaks off or
    stalls before it is a CutOff error carrying the text that did arrive."""
    body = route.dialect.body(request)
    if route.extend_body:
        body = route.extend_body(body, request)
    progress = Progress(classify=route.classify)
    if request.stream:
        for kind, item in http.in_background(lambda: _stream(route, body), check_cancelled):
            if kind == "json":
                _read_whole(route, item, progress)
            elif kind == "broken":
                raise _cut_off(route, progress, item.message)
            elif route.dialect.read_event(item, progress) and on_text:
                on_text(progress.full_text)
            if progress.error:
                code, message = progress.error
                raise _error(route, message, code=code)
            if progress.done:
                break  # nothing after the end marker matters; the reader is let go
        if not progress.done:
            raise _cut_off(route, progress, f"the stream ended without its end marker "
                                            f"({route.dialect.end_marker})")
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
    """("json", payload) for a stream request answered with one JSON body; else ("event", e)
    per event, and ("broken", GatewayError) if reading broke off or stalled."""
    response = http.send(route.access, "POST", route.path, json=body,
                         headers={**route.headers, "Accept": "text/event-stream"},
                         idempotent=False, read_timeout=STREAM_GAP_TIMEOUT, stream=True,
                         request_id=route.request_id)
    with response:
        if "text/event-stream" not in response.headers.get("Content-Type", ""):
            # Some gateways answer a stream request (often an error) with one JSON body.
            yield "json", http.read_json(route.access, response, route.request_id)
            return
        broken = None
        try:
            for event in sse.read_events(response):
                yield "event", event
        except http.TRANSPORT_ERRORS as exc:
            # Only its message is used: the CutOff built from it says the rest.
            broken = http.reading_error(route.access, response, exc)
        if broken is not None:
            yield "broken", broken


def _cut_off(route: ChatRoute, progress: Progress, reason: str) -> CutOff:
    text = progress.full_text
    if text:
        excerpt = text[:PARTIAL_SHOWN] + ("…" if len(text) > PARTIAL_SHOWN else "")
        message = (f"the answer was cut off after {len(text)} characters: {reason}. "
                   f"What arrived: «{excerpt}»")
    else:
        message = f"the answer was cut off before any text arrived: {reason}"
    gateway = route.access.gateway
    return CutOff(gateway.title, message, partial_text=text, request_id=route.request_id,
                  hint=f"{gateway.title} has probably charged for this answer (see your usage at "
                       f"{gateway.console}). Run again for a complete one.")


def _read_whole(route: ChatRoute, payload, progress: Progress) -> None:
    if isinstance(payload, dict):
        route.dialect.read_reply(payload, progress)
        if progress.full_text:
            return
        answer = route.classify(payload) if route.classify else None
        if answer is not None and not answer.ok:
            # an error inside an HTTP 200 (CloudBase and others do this), in the gateway's words
            raise _error(route, answer.reason, code=answer.code, status=200, raw=str(payload))
    if not progress.done:
        # A 2xx the pack cannot read may still be an answer the gateway charged for.
        raise _error(route, f"sent a reply in an unexpected shape: {str(payload)[:200]}",
                     hint="Check the protocol chosen for this model; report it if it persists.",
                     raw=str(payload), maybe_accepted=True)


def _error(route: ChatRoute, message: str, *, code=None, status=None, hint=None, raw=None,
           maybe_accepted: bool = False):
    gateway = route.access.gateway
    return GatewayError(gateway.title, message, status=status, code=code,
                        request_id=route.request_id,
                        hint=hint or gateway.hint(status, code, message), raw=raw,
                        maybe_accepted=maybe_accepted, transient=gateway.transient(code, message))
