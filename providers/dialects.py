"""The three chat wire protocols: how a neutral ChatRequest becomes a body, and how a reply or a
stream of events becomes text and usage."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from .errors import read_error
from .sse import Event


@dataclass
class Turn:
    role: str  # "user" or "assistant"
    text: str
    images: list[str] = field(default_factory=list)  # data URLs


@dataclass
class ChatRequest:
    model: str
    turns: list[Turn]  # the history, then the new user turn
    system: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stream: bool = False
    # Sampling fields the model's family refuses (catalog.sampling): kept in the request's
    # identity, left out of the body.
    omit: tuple[str, ...] = ()


@dataclass
class Progress:
    """What a reply (whole or streamed) has told so far."""
    text: list[str] = field(default_factory=list)
    usage: dict = field(default_factory=dict)
    model: str | None = None
    reply_id: str | None = None
    error: tuple[str | None, str] | None = None  # (code, message) sent inside the stream
    done: bool = False
    # The gateway's classifier of a 2xx answer (ChatRoute.classify), for a stream chunk that
    # carries no text: some gateways put their error there.
    classify: Callable | None = None

    @property
    def full_text(self) -> str:
        return "".join(self.text)


def _tokens(usage) -> dict:
    if not isinstance(usage, dict):
        return {}
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens"))
    total = usage.get("total_tokens")
    if total is None and isinstance(prompt, int) and isinstance(completion, int):
        total = prompt + completion
    found = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
    return {k: v for k, v in found.items() if v is not None}


def _with_set(body: dict, request: ChatRequest, *names: str) -> dict:
    """body plus those of the request's sampling fields that are set and not omitted."""
    body.update({name: getattr(request, name) for name in names
                 if getattr(request, name) is not None and name not in request.omit})
    return body


def _split_data_url(url: str) -> tuple[str, str]:
    head, _, data = url.partition(",")
    return head[len("data:"):].split(";")[0] or "image/png", data


def _typed(event: Event) -> tuple[str, dict | None]:
    """(event type, data) of an Anthropic or Responses event; data None when not JSON."""
    data = _json(event)
    if not isinstance(data, dict):
        return event.event, None
    return data.get("type") or event.event, data


def _json(event: Event):
    try:
        return json.loads(event.data)
    except ValueError:
        return None


def _chunk_error(chunk: dict, progress: Progress) -> tuple[str | None, str | None]:
    """(code, message) of an error a gateway sent as a stream chunk, by its own classifier."""
    if progress.classify is None:
        return read_error(chunk)
    answer = progress.classify(chunk)
    return (None, None) if answer.ok else (answer.code, answer.reason)


class Dialect:
    name: str
    temperature_max = 2.0
    end_marker: str  # the event that ends a complete stream (read_event sets progress.done)
    headers: dict[str, str] = {}  # request headers the protocol itself wants, on any gateway

    def body(self, request: ChatRequest) -> dict:
        raise NotImplementedError

    def read_reply(self, payload: dict, progress: Progress) -> None:
        """Fill progress from a whole (non-streamed) reply; leave text empty if it has none."""
        raise NotImplementedError

    def read_event(self, event: Event, progress: Progress) -> str:
        """Apply one stream event; return the new text it carries."""
        raise NotImplementedError


class ChatCompletions(Dialect):
    name = "chat_completions"
    end_marker = "data: [DONE]"

    def body(self, request):
        messages = [{"role": "system", "content": request.system}] if request.system else []
        for turn in request.turns:
            if turn.images:
                content = [{"type": "text", "text": turn.text}] + [
                    {"type": "image_url", "image_url": {"url": url}} for url in turn.images]
            else:
                content = turn.text
            messages.append({"role": turn.role, "content": content})
        body = {"model": request.model, "messages": messages, "stream": request.stream}
        return _with_set(body, request, "temperature", "top_p", "max_tokens", "seed")

    def read_reply(self, payload, progress):
        choices = payload.get("choices")
        if isinstance(choices, list) and choices:
            message = choices[0].get("message") or {}
            content = message.get("content")
            if isinstance(content, list):  # content parts
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if content is not None:
                progress.text.append(str(content))
        elif isinstance(payload.get("content"), str) and "choices" not in payload:
            progress.text.append(payload["content"])  # OpenComputing's top-level copy
        progress.usage.update(_tokens(payload.get("usage")))
        progress.model = payload.get("model") or progress.model
        progress.reply_id = payload.get("id") or payload.get("llmusageid") or progress.reply_id
        progress.done = "choices" in payload or "content" in payload

    def read_event(self, event, progress):
        if event.data.strip() == "[DONE]":
            progress.done = True
            return ""
        chunk = _json(event)
        if chunk is None and "\n" in event.data:
            # Without blank lines between them SSE joins "data:" lines into one event (the
            # OpenComputing page shows its stream so): read each line as its own chunk.
            return "".join(self.read_event(Event(event.event, line), progress)
                           for line in event.data.split("\n") if line.strip())
        if not isinstance(chunk, dict):
            return ""
        if chunk.get("finish") == "1":
            progress.done = True  # OpenComputing's last chunk (usage), before [DONE]
        if "choices" not in chunk and "content" not in chunk:
            code, message = _chunk_error(chunk, progress)
            if message:
                progress.error = (code, message)
                return ""
        progress.usage.update(_tokens(chunk.get("usage")))
        progress.model = chunk.get("model") or progress.model
        progress.reply_id = progress.reply_id or chunk.get("id") or chunk.get("llmusageid")
        choices = chunk.get("choices")
        if isinstance(choices, list):
            # OpenComputing repeats each delta as a top-level "content": read only one of them.
            pieces = [(c.get("delta") or {}).get("content") or "" for c in choices[:1]]
        else:
            pieces = [chunk.get("content") or ""]
        text = "".join(str(p) for p in pieces)
        progress.text.append(text)
        return text


class AnthropicMessages(Dialect):
    name = "anthropic_messages"
    temperature_max = 1.0
    end_marker = "message_stop"
    headers = {"anthropic-version": "2023-06-01"}  # what Anthropic's own SDK sends

    def body(self, request):
        messages = []
        for turn in request.turns:
            if turn.images:
                content = [{"type": "image", "source": {"type": "base64", "media_type": media,
                                                        "data": data}}
                           for media, data in map(_split_data_url, turn.images)]
                content.append({"type": "text", "text": turn.text})
            else:
                content = turn.text
            messages.append({"role": turn.role, "content": content})
        body = {"model": request.model, "messages": messages,
                "max_tokens": request.max_tokens or 1024, "stream": request.stream}
        if request.system:
            body["system"] = request.system
        return _with_set(body, request, "temperature", "top_p")

    def read_reply(self, payload, progress):
        for block in payload.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "text":
                progress.text.append(block.get("text", ""))
        progress.usage.update(_tokens(payload.get("usage")))
        progress.model = payload.get("model") or progress.model
        progress.reply_id = payload.get("id") or progress.reply_id
        progress.done = "content" in payload

    def read_event(self, event, progress):
        kind, data = _typed(event)
        if data is None:
            return ""
        if kind == "message_start":
            message = data.get("message") or {}
            progress.model = message.get("model") or progress.model
            progress.reply_id = message.get("id") or progress.reply_id
            progress.usage.update(_tokens(message.get("usage")))
        elif kind == "content_block_delta":
            text = (data.get("delta") or {}).get("text") or ""
            progress.text.append(text)
            return text
        elif kind == "message_delta":
            usage = dict(progress.usage)
            usage.update(_tokens(data.get("usage")))
            if "prompt_tokens" in usage and "completion_tokens" in usage:
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            progress.usage = usage
        elif kind == "message_stop":
            progress.done = True
        elif kind == "error":
            progress.error = read_error(data)
        return ""


class Responses(Dialect):
    name = "responses"
    end_marker = "response.completed"

    def body(self, request):
        items = []
        for turn in request.turns:
            if turn.role == "user" and turn.images:
                content = [{"type": "input_text", "text": turn.text}] + [
                    {"type": "input_image", "image_url": url} for url in turn.images]
            else:
                content = turn.text
            items.append({"role": turn.role, "content": content})
        body = {"model": request.model, "input": items, "stream": request.stream}
        if request.system:
            body["instructions"] = request.system
        if request.max_tokens is not None:
            body["max_output_tokens"] = request.max_tokens
        return _with_set(body, request, "temperature", "top_p")

    def read_reply(self, payload, progress):
        if isinstance(payload.get("output_text"), str):
            progress.text.append(payload["output_text"])
        else:
            for item in payload.get("output") or []:
                for part in (item.get("content") or []) if isinstance(item, dict) else []:
                    if isinstance(part, dict) and part.get("type") == "output_text":
                        progress.text.append(part.get("text", ""))
        progress.usage.update(_tokens(payload.get("usage")))
        progress.model = payload.get("model") or progress.model
        progress.reply_id = payload.get("id") or progress.reply_id
        progress.done = "output" in payload or "output_text" in payload

    def read_event(self, event, progress):
        kind, data = _typed(event)
        if data is None:
            return ""
        if kind == "response.output_text.delta":
            text = data.get("delta") or ""
            progress.text.append(text)
            return text
        if kind in ("response.created", "response.completed"):
            response = data.get("response") or {}
            progress.model = response.get("model") or progress.model
            progress.reply_id = response.get("id") or progress.reply_id
            progress.usage.update(_tokens(response.get("usage")))
            progress.done = kind == "response.completed"
        elif kind in ("response.failed", "error"):
            response = data.get("response") or data
            code, message = read_error(response)
            progress.error = (code, message or "the response failed")
        return ""


DIALECTS: dict[str, Dialect] = {d.name: d for d in (ChatCompletions(), AnthropicMessages(),
                                                    Responses())}
