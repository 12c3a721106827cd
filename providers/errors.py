"""The pack's one error type, and the one reader of the error bodies gateways send with an HTTP
error status (>= 400) or as an error event inside a stream. A 2xx answer is read by its own
gateway's classifier (seacloud/gptunnel/cloudbase/opencomputing.classify), and what an error
means for the user comes from that gateway's vocabulary (gateways.Gateway.vocabulary)."""
from __future__ import annotations

import json
import threading

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Remember a key so that no message built by the pack can show it."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


class GatewayError(RuntimeError):
    """Anything a gateway (or reaching it) went wrong with, said so a user can act on it."""

    # ComfyUI titles its error dialog with the exception's module path, which for a custom
    # node is the folder's full path on disk.
    __module__ = "model_gateway"

    def __init__(self, gateway: str, message: str, *, status: int | None = None,
                 code: str | None = None, request_id: str | None = None,
                 hint: str | None = None, raw: str | None = None, maybe_accepted: bool = False,
                 transient: bool | None = None):
        self.gateway = gateway
        # What the gateway's vocabulary says of this error: True when trying again later can
        # help (a poll keeps going), False when it cannot, None when the vocabulary has no word.
        self.transient = transient
        # True when a create request may have reached the gateway although no answer came back
        # (read timeout, connection lost mid-reply, 502/504): it must not be sent again blindly.
        self.maybe_accepted = maybe_accepted
        self.message = redact(message)
        self.status = status
        self.code = redact(code) if code else None
        self.request_id = redact(request_id) if request_id else None
        self.hint = redact(hint) if hint else None
        self.raw = redact(raw)[:2000] if raw else None
        super().__init__(self._text())

    def rehint(self, hint: str) -> "GatewayError":
        """This error with another hint: how to recover is known only to the caller."""
        self.hint = redact(hint)
        self.args = (self._text(),)
        return self

    def _text(self) -> str:
        head = f"{self.gateway}"
        if self.status is not None:
            head += f" answered HTTP {self.status}"
        detail = self.message
        if self.code and self.code not in detail:
            detail = f"{self.code}: {detail}"
        text = f"{head}: {detail}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.hint:
            text += f"\n→ {self.hint}"
        return text


def read_error(payload) -> tuple[str | None, str | None]:
    """(code, message) of an HTTP error body (status >= 400) or a stream's error event, in any
    shape the gateways are known to send, else (None, None). Not for 2xx answers: each
    gateway's classify() reads those.

    Shapes (PROTOCOLS.md): {"error": "text"}, {"error": {"message", "code"|"type"}},
    {"code": "X", "message"} (CloudBase, GPTunnel code != 0 with zod "issues"),
    {"detail": "..."}, {"status": {"code", "message", "error_code"}} (SeaCloud credits),
    {"status": "error", "data": {"message"}} (OpenComputing tasks).
    """
    if not isinstance(payload, dict):
        return None, None
    error = payload.get("error")
    if isinstance(error, str) and error:
        return None, error
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        return _str(code), _str(error.get("message")) or json.dumps(error, ensure_ascii=False)
    status = payload.get("status")
    if isinstance(status, dict) and (status.get("message") or status.get("error_code")):
        return _str(status.get("error_code") or status.get("code")), _str(status.get("message"))
    if status == "error":
        data = payload.get("data")
        message = data.get("message") if isinstance(data, dict) else data
        return None, _str(message) or "error"
    if isinstance(payload.get("detail"), str):
        return None, payload["detail"]
    code = payload.get("code")
    if code not in (None, 0, "0", 200, "200", "OK", "SUCCESS", ""):
        message = _str(payload.get("message") or payload.get("msg"))
        issues = payload.get("issues")
        if isinstance(issues, list) and issues:
            message = "; ".join(_issue_text(i) for i in issues)
        return _str(code), message or json.dumps(payload, ensure_ascii=False)[:500]
    return None, None


def _issue_text(issue) -> str:
    if not isinstance(issue, dict):
        return str(issue)
    path = ".".join(str(p) for p in issue.get("path") or [])
    text = _str(issue.get("message")) or "invalid"
    return f"{path}: {text}" if path else text


def _str(value) -> str | None:
    return None if value is None else str(value)
