"""What a gateway's answer (an HTTP 2xx body) means, as its own module classifies it:
ok (with the useful payload), failed (the job ended badly, with the gateway's reason), or
error (the gateway refused or could not serve this call). Each gateway module owns one
classifier of its answers; this is only the shape they share."""
from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Answer:
    verdict: str                      # "ok" | "failed" | "error"
    data: dict = field(default_factory=dict)
    reason: str = ""                  # failed / error: in the gateway's words
    code: str | None = None           # error: the gateway's code, where it sends one

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def ok(data: dict) -> Answer:
    return Answer("ok", data)


def failed(reason: str, data: dict | None = None) -> Answer:
    return Answer("failed", data or {}, reason=reason or "failed")


def error(reason: str, code=None, data: dict | None = None) -> Answer:
    return Answer("error", data or {}, reason=reason or "error",
                  code=None if code is None else str(code))


def text(value) -> str:
    """A reason field of any shape (string, {message, code}, list) as one line."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("message") or value.get("msg") or value.get("code")
                   or json.dumps(value, ensure_ascii=False))
    return json.dumps(value, ensure_ascii=False, default=str)


def shown(reply, limit: int = 200) -> str:
    """A short quote of an unexpected answer."""
    return (reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False,
                                                           default=str))[:limit]
