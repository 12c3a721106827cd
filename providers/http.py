"""The pack's one transport: sessions with retry policy and timeouts, error mapping, and calls
that a ComfyUI interrupt can stop within a fraction of a second."""
from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .credentials import Access
from .errors import GatewayError, read_error

log = logging.getLogger("model_gateway.http")

CONNECT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 30.0
CANCEL_POLL = 0.1

T = TypeVar("T")
CancelCheck = Callable[[], None]  # raises when the user interrupted


class _Retry(Retry):
    """urllib3's Retry, but a Retry-After of minutes does not freeze a node."""

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


def retry_policy(idempotent: bool, balance_429: bool) -> Retry:
    """Idempotent calls (status, result, download) retry on connection errors, 408, 429 and
    502/503/504. A call that creates something (a task, a chat reply someone pays for) retries only
    where the gateway cannot have accepted it: the connection failed, or it answered 429."""
    throttled = set() if balance_429 else {429}
    if idempotent:
        return _Retry(total=5, connect=3, read=2, status=3, other=0, backoff_factor=0.5,
                      status_forcelist=throttled | {408, 502, 503, 504}, allowed_methods=None,
                      raise_on_status=False, respect_retry_after_header=True)
    return _Retry(total=3, connect=3, read=0, status=2 if throttled else 0, other=0,
                  backoff_factor=1.0, status_forcelist=throttled, allowed_methods=None,
                  raise_on_status=False, respect_retry_after_header=True)


_sessions: dict[tuple, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(access: Access, idempotent: bool) -> requests.Session:
    loopback = urlsplit(access.base_url).hostname in ("127.0.0.1", "localhost", "::1")
    key = (idempotent, access.gateway.balance_429, loopback)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = requests.Session()
            # Proxies come from the environment, except for the loopback sandbox.
            session.trust_env = not loopback
            adapter = HTTPAdapter(max_retries=retry_policy(idempotent, access.gateway.balance_429),
                                  pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _sessions[key] = session
        return session


def send(access: Access, method: str, path: str, *, idempotent: bool, read_timeout: float,
         json=None, data=None, files=None, params=None, headers=None, stream: bool = False,
         request_id: str | None = None) -> requests.Response:
    """One HTTP call. Returns a 2xx/3xx response; raises GatewayError for anything else."""
    url = access.url(path)
    all_headers = {**access.auth_headers_for(url), **(headers or {})}
    if request_id:
        all_headers["X-Request-Id"] = request_id
    title = access.gateway.title
    # For a create request, only a failure to connect proves the gateway never got it.
    unsure = not idempotent
    try:
        response = session_for(access, idempotent).request(
            method, url, json=json, data=data, files=files, params=params, headers=all_headers,
            timeout=(CONNECT_TIMEOUT, read_timeout), stream=stream)
    except requests.exceptions.ConnectTimeout:
        raise GatewayError(title, f"could not connect to {_origin(url)} within {CONNECT_TIMEOUT:.0f} s",
                           request_id=request_id,
                           hint="Check your network, proxy settings, or base URL override.") from None
    except requests.exceptions.ReadTimeout:
        raise GatewayError(title, f"no answer from {_origin(url)} within {read_timeout:.0f} s",
                           request_id=request_id, maybe_accepted=unsure,
                           hint="The gateway is slow or stuck; try again later.") from None
    except requests.exceptions.ConnectionError as exc:
        connected = not _never_connected(exc)
        raise GatewayError(title, f"could not reach {_origin(url)} ({_reason(exc)})",
                           request_id=request_id, maybe_accepted=unsure and connected,
                           hint="Check your network, proxy settings, or base URL override.") from None
    log.debug("%s %s %s -> %s", title, method, _origin(url) + urlsplit(url).path, response.status_code)
    if response.status_code >= 400:
        try:
            error = error_from_response(access, response, request_id)
            error.maybe_accepted = unsure and response.status_code in (502, 504)
            raise error
        finally:
            response.close()
    return response


def error_from_response(access: Access, response: requests.Response,
                        request_id: str | None = None) -> GatewayError:
    text = response.text
    try:
        payload = response.json()
    except ValueError:
        payload = None
    code, message = read_error(payload)
    if message is None:
        message = (text.strip()[:300] or response.reason or "no details")
    if isinstance(payload, dict) and isinstance(payload.get("request_id"), str):
        request_id = request_id or payload["request_id"]
    request_id = request_id or response.headers.get("X-Request-Id")
    status = response.status_code
    return GatewayError(access.gateway.title, message, status=status, code=code,
                        request_id=request_id, hint=access.gateway.hint(status, code, message),
                        raw=text)


def read_json(access: Access, response: requests.Response, request_id: str | None = None):
    """The body as JSON, or a GatewayError that quotes what came instead."""
    try:
        return response.json()
    except ValueError:
        raise GatewayError(access.gateway.title,
                           f"answered something that is not JSON: {response.text[:200]!r}",
                           status=response.status_code, request_id=request_id,
                           hint="The gateway or a proxy in between is misbehaving; try again "
                                "later, and check any base URL override.",
                           raw=response.text) from None


def in_background(produce: Callable[[], Iterator[T]], check_cancelled: CancelCheck | None,
                  ) -> Iterator[T]:
    """Run a blocking producer in a worker thread and yield its items here, calling
    check_cancelled every CANCEL_POLL seconds so an interrupt is honoured at once even while the
    network is silent. The abandoned worker ends at its read timeout or next item."""
    items: queue.Queue = queue.Queue()
    stop = threading.Event()
    done = object()

    def work():
        try:
            for item in produce():
                if stop.is_set():
                    return
                items.put((item, None))
            items.put((done, None))
        except BaseException as exc:  # handed to the consumer thread
            items.put((done, exc))

    threading.Thread(target=work, daemon=True, name="model-gateway-call").start()
    try:
        while True:
            try:
                item, error = items.get(timeout=CANCEL_POLL)
            except queue.Empty:
                if check_cancelled:
                    check_cancelled()
                continue
            if error is not None:
                raise error
            if item is done:
                return
            yield item
            if check_cancelled:
                check_cancelled()
    finally:
        stop.set()


def call_json(access: Access, method: str, path: str, *, idempotent: bool, read_timeout: float,
              check_cancelled: CancelCheck | None = None, request_id: str | None = None,
              **kwargs):
    """send() + read_json(), interruptible."""
    def produce():
        response = send(access, method, path, idempotent=idempotent, read_timeout=read_timeout,
                        request_id=request_id, **kwargs)
        with response:
            yield read_json(access, response, request_id)

    return next(iter(in_background(produce, check_cancelled)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _never_connected(exc: Exception) -> bool:
    from urllib3.exceptions import NameResolutionError, NewConnectionError
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the cause
    return isinstance(reason, (NewConnectionError, NameResolutionError))


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "Temporary failure in name resolution", "Max retries exceeded"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def parallel(calls: list[Callable[[], T]], check_cancelled: CancelCheck | None,
             workers: int = 8) -> list[T | BaseException]:
    """Run the calls concurrently, interruptibly; each result is its value or its exception."""
    from concurrent.futures import ThreadPoolExecutor

    def guarded(call):
        try:
            return call()
        except Exception as exc:
            return exc

    def produce():
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(calls))),
                                thread_name_prefix="model-gateway") as pool:
            yield list(pool.map(guarded, calls))

    return next(iter(in_background(produce, check_cancelled))) if calls else []
