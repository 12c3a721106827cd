"""The pack's one transport: sessions with retry policy and timeouts, error mapping, and calls
that a ComfyUI interrupt can stop within a fraction of a second."""
from __future__ import annotations

import http.client
import logging
import os
import queue
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .credentials import Access
from .errors import GatewayError, read_error, redact

log = logging.getLogger("model_gateway.http")

CONNECT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 30.0
CANCEL_POLL = 0.1

T = TypeVar("T")
CancelCheck = Callable[[], None]  # raises when the user interrupted


class _Retry(Retry):
    """urllib3's Retry, but a Retry-After of minutes does not freeze a node, and only the
    statuses listed are retried: urllib3 would also retry any 413, 429 or 503 that carries
    Retry-After, and send() decides on a 429 once it has read what it says."""

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    def is_retry(self, method, status_code, has_retry_after=False):
        return bool(self.status_forcelist) and status_code in self.status_forcelist


def retry_policy(idempotent: bool) -> Retry:
    """What urllib3 retries: for idempotent calls (status, result, download) connection errors,
    408 and 502/503/504; for a call that creates something (a task, a chat reply someone pays
    for) only a connection that failed, where the gateway cannot have accepted it. A 429 is
    judged by send(), which reads it first (THROTTLE_RETRIES)."""
    if idempotent:
        return _Retry(total=5, connect=3, read=2, status=3, other=0, backoff_factor=0.5,
                      status_forcelist={408, 502, 503, 504}, allowed_methods=None,
                      raise_on_status=False, respect_retry_after_header=True)
    return _Retry(total=3, connect=3, read=0, status=0, other=0, backoff_factor=1.0,
                  status_forcelist=set(), allowed_methods=None, raise_on_status=False,
                  respect_retry_after_header=True)


# A 429 that throttled the call is sent again this many times (a create too: a 429 proves the
# gateway refused it), after its Retry-After or a backoff; a 429 that says the balance or quota
# ran out (CloudBase's token quota, OpenComputing's every 429) never is.
THROTTLE_RETRIES = {True: 3, False: 2}
THROTTLE_BACKOFF = {True: 0.5, False: 1.0}


def throttle_wait(response: requests.Response, retry: int, idempotent: bool) -> float:
    """Seconds to wait before sending again after a 429: its Retry-After (capped), else a
    doubling backoff."""
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds >= 0:
        return min(seconds, MAX_RETRY_AFTER)
    return THROTTLE_BACKOFF[idempotent] * (2 ** retry)


_sessions: dict[tuple, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(access: Access, idempotent: bool) -> requests.Session:
    try:
        loopback = urlsplit(access.base_url).hostname in ("127.0.0.1", "localhost", "::1")
    except ValueError:  # not a URL: the request itself will say so
        loopback = False
    key = (idempotent, loopback)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = requests.Session()
            # Proxies come from the environment, except for the loopback sandbox.
            session.trust_env = not loopback
            adapter = HTTPAdapter(max_retries=retry_policy(idempotent), pool_maxsize=16)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _sessions[key] = session
        return session


def timeout_scale() -> float:
    """MODEL_GATEWAY_TIMEOUT_SCALE (a float, default 1) multiplies every read timeout send()
    uses, so tests can make a "late" or "stalled" emulator outlast the client within a second
    (like MODEL_GATEWAY_POLL_SCALE for poll intervals). A value that is not a positive number
    counts as 1. The connect timeout is not scaled."""
    try:
        scale = float(os.environ.get("MODEL_GATEWAY_TIMEOUT_SCALE", "") or 1.0)
    except ValueError:
        return 1.0
    return scale if scale > 0 else 1.0


@dataclass(frozen=True)
class Sent:
    """What send() knows about a call, kept on its response for whoever reads the body."""
    url: str
    unsure: bool  # a create: once sent, the gateway may have accepted it
    request_id: str | None
    read_timeout: float


SENT = "model_gateway_sent"  # the attribute of a response that holds its Sent


def send(access: Access, method: str, path: str, *, idempotent: bool, read_timeout: float,
         json=None, data=None, files=None, params=None, headers=None, stream: bool = False,
         request_id: str | None = None) -> requests.Response:
    """One HTTP call. Returns a 2xx/3xx response; raises GatewayError for anything else.
    With stream=False the body has been read when it returns (and a body that broke off is a
    GatewayError); with stream=True the caller reads it, mapping failures with reading_error()."""
    url = access.url(path)
    all_headers = {**access.auth_headers_for(url), **(headers or {})}
    if request_id:
        all_headers["X-Request-Id"] = request_id
    title = access.gateway.title
    sent = Sent(url, not idempotent, request_id, read_timeout * timeout_scale())
    # The error is raised outside the except block so that the raw exception (an invalid
    # header's carries the whole key) is not even its __context__.
    for retry in range(THROTTLE_RETRIES[idempotent] + 1):
        failure = None
        try:
            response = session_for(access, idempotent).request(
                method, url, json=json, data=data, files=files, params=params,
                headers=all_headers, timeout=(CONNECT_TIMEOUT, sent.read_timeout), stream=True)
        except TRANSPORT_ERRORS as exc:
            failure = _failed(access, exc, sent, "sending")
        if failure is not None:
            raise failure
        setattr(response, SENT, sent)
        log.debug("%s %s %s -> %s", title, method, _origin(url) + _path(url),
                  response.status_code)
        if response.status_code < 400:
            break
        with response:
            error = error_from_response(
                access, response, request_id,
                maybe_accepted=sent.unsure and response.status_code in MAYBE_ACCEPTED_STATUSES)
            throttled = response.status_code == 429 and not access.gateway.out_of_money(
                error.status, error.code, error.message)
            if not throttled or retry == THROTTLE_RETRIES[idempotent]:
                raise error
            wait = throttle_wait(response, retry, idempotent)
        log.info("%s is rate limiting (429): sending again in %.1f s", title, wait)
        time.sleep(wait)
    if not stream:
        try:
            response.content  # noqa: B018  (reads and keeps the body)
        except TRANSPORT_ERRORS as exc:
            failure = _failed(access, exc, sent, "reading")
        if failure is not None:
            response.close()
            raise failure
    return response


# A proxy's "bad gateway" or "gateway timeout" (and Cloudflare's "unknown error" and "timeout")
# may come after the gateway took the request; 500, 503, 429 and 4xx are refusals.
MAYBE_ACCEPTED_STATUSES = frozenset({502, 504, 520, 524})


def error_from_response(access: Access, response: requests.Response,
                        request_id: str | None = None, *, maybe_accepted: bool = False
                        ) -> GatewayError:
    """The GatewayError for an HTTP error answer: what the gateway said, in any of its shapes.
    maybe_accepted: the call was a create and this status does not prove it was refused."""
    try:
        text = response.text
    except TRANSPORT_ERRORS:  # the error page itself broke off: the status says enough
        text = ""
    try:
        payload = response.json() if text else None
    except ValueError:
        payload = None
    code, message = read_error(payload)
    if message is None:
        message = (text.strip()[:300] or response.reason or "no details")
    if isinstance(payload, dict) and isinstance(payload.get("request_id"), str):
        request_id = request_id or payload["request_id"]
    request_id = request_id or response.headers.get("X-Request-Id")
    status = response.status_code
    hint = access.gateway.hint(status, code, message)
    if maybe_accepted:
        hint = f"{_maybe_charged(access)} {hint}".strip()
    return GatewayError(access.gateway.title, message, status=status, code=code,
                        request_id=request_id, hint=hint, raw=text, maybe_accepted=maybe_accepted)


def read_json(access: Access, response: requests.Response, request_id: str | None = None):
    """The body as JSON, or a GatewayError: for a body that broke off, or one that is not JSON
    (quoted). For a create, a 2xx that cannot be read may have been accepted."""
    sent = _sent(response, request_id)
    failure = None
    try:
        response.content  # noqa: B018  (reads the body, if send() has not)
    except TRANSPORT_ERRORS as exc:
        failure = _failed(access, exc, sent, "reading")
    if failure is not None:
        raise failure
    try:
        return response.json()
    except ValueError:
        pass
    unsure = sent.unsure and 200 <= response.status_code < 300
    hint = ("The gateway or a proxy in between is misbehaving; try again later, and check any "
            "base URL override.")
    if unsure:
        hint = f"{_maybe_charged(access)} {hint}"
    raise GatewayError(access.gateway.title,
                       f"answered something that is not JSON: {response.text[:200]!r}",
                       status=response.status_code, request_id=request_id or sent.request_id,
                       hint=hint,
                       raw=response.text, maybe_accepted=unsure)


def reading_error(access: Access, response: requests.Response, exc: BaseException
                  ) -> GatewayError:
    """The GatewayError for a body (or stream) of a response from send() that broke off,
    stalled or could not be decoded."""
    return _failed(access, exc, _sent(response, None), "reading")


def _sent(response: requests.Response, request_id: str | None) -> Sent:
    sent = getattr(response, SENT, None)
    if sent is None:  # not from send(): judge by the method
        method = getattr(response.request, "method", None) or "POST"
        sent = Sent(response.url or "", method.upper() not in IDEMPOTENT_METHODS, request_id,
                    0.0)
    return sent


def _failed(access: Access, exc: BaseException, sent: Sent, phase: str) -> GatewayError:
    return transport_error(access, exc, sent.url, request_id=sent.request_id,
                           unsure=sent.unsure, phase=phase, read_timeout=sent.read_timeout)


# -- the one place where transport exceptions become GatewayError ----------------------------

# What requests, urllib3, http.client and the socket raise while sending or reading (an
# invalid header is a ValueError, a key that is not Latin-1 a UnicodeEncodeError).
TRANSPORT_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
                    http.client.HTTPException, OSError, UnicodeError)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# What went wrong, from the raw exception. The first four mean nothing reached the gateway.
UNSENDABLE_HEADER = "header"
BAD_URL = "url"
UNSENDABLE_BODY = "body"
NO_CONNECTION = "connect"
TIMED_OUT = "timeout"
GARBLED = "decode"
REDIRECTS = "redirects"
LOST = "lost"
NOTHING_SENT = frozenset({UNSENDABLE_HEADER, BAD_URL, UNSENDABLE_BODY, NO_CONNECTION})


def transport_error(access: Access, exc: BaseException, url: str, *, request_id: str | None,
                    unsure: bool, phase: str = "sending", read_timeout: float | None = None
                    ) -> GatewayError:
    """The GatewayError for an exception raised while sending a request (phase "sending") or
    reading its answer (phase "reading"). `unsure` is True for a create: then maybe_accepted is
    True for every failure after which the gateway may have taken the request (a timeout, a
    connection lost after sending, a cut or garbled answer) and False where nothing reached it.
    The message is built from the kind of failure only, never from str(exc): an invalid
    header's message holds the whole header, key included."""
    title = access.gateway.title
    origin = _origin(url)
    kind, detail = classify(exc)
    maybe_accepted = unsure and kind not in NOTHING_SENT
    if kind == UNSENDABLE_HEADER:
        message = ("the request was not sent: the API key (or another header) holds a line "
                   "break, a non-Latin character or another character HTTP headers cannot carry")
        hint = (f"Set {access.gateway.key_var} again with only the key itself: one line, no "
                f"quotes or spaces around it (see README, 'Keys').")
    elif kind == BAD_URL:
        message = f"the request was not sent: {redact(url)[:200]!r} is not a usable URL ({detail})"
        hint = f"Check the base URL override ({_url_vars(access)})."
    elif kind == UNSENDABLE_BODY:
        message = f"the request was not sent: its body could not be encoded ({detail})"
        hint = "Check the node's inputs (a number that is not finite?); report it if it persists."
    elif kind == NO_CONNECTION:
        message = f"could not reach {origin} ({detail}); nothing was sent"
        hint = "Check your network, proxy settings, or base URL override."
    elif kind == TIMED_OUT:
        within = f" within {_seconds(read_timeout)}" if read_timeout else " in time"
        message = (f"no answer from {origin}{within}" if phase == "sending" else
                   f"{origin} went silent in the middle of its answer (nothing more{within})")
        hint = "The gateway is slow or stuck; try again later."
    elif kind == GARBLED:
        message = f"the answer from {origin} could not be decoded ({detail})"
        hint = "A proxy in between may be mangling the answer; try again later."
    elif kind == REDIRECTS:
        message = f"{origin} redirected the request too many times"
        hint = "Check the base URL override and any proxy in between."
    elif phase == "sending":
        message = f"the connection to {origin} was lost before an answer came ({detail})"
        hint = "Check your network and proxy settings, then try again."
    else:
        message = f"the answer from {origin} broke off midway ({detail})"
        hint = "The network or a proxy dropped the connection; try again."
    if maybe_accepted:
        hint = f"{_maybe_charged(access)} {hint}"
    return GatewayError(title, message, request_id=request_id, hint=hint,
                        maybe_accepted=maybe_accepted)


def classify(exc: BaseException) -> tuple[str, str]:
    """(kind, a short fixed description) of a transport exception, looking through the
    wrappers requests and urllib3 put around the cause."""
    chain = list(_causes(exc))
    for item in chain:
        if isinstance(item, requests.exceptions.InvalidHeader) or isinstance(item, UnicodeError):
            return UNSENDABLE_HEADER, "invalid header"
        if isinstance(item, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                             requests.exceptions.InvalidSchema, requests.exceptions.URLRequired,
                             urllib3.exceptions.LocationValueError)):
            return BAD_URL, type(item).__name__
        if (isinstance(item, requests.exceptions.InvalidJSONError)
                and not isinstance(item, requests.exceptions.JSONDecodeError)):
            return UNSENDABLE_BODY, "not valid JSON"
    for item in chain:
        if isinstance(item, urllib3.exceptions.NameResolutionError):
            return NO_CONNECTION, "the host name could not be resolved"
        if isinstance(item, urllib3.exceptions.NewConnectionError):
            return NO_CONNECTION, _connect_reason(item)
        if isinstance(item, (urllib3.exceptions.ConnectTimeoutError,
                             requests.exceptions.ConnectTimeout)):
            return NO_CONNECTION, f"no connection within {CONNECT_TIMEOUT:.0f} s"
        if isinstance(item, ssl.SSLCertVerificationError) or isinstance(
                item, ssl.CertificateError):
            return NO_CONNECTION, "its TLS certificate was not accepted"
    for item in chain:
        if isinstance(item, (urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout,
                             TimeoutError)):
            return TIMED_OUT, "timed out"
        if isinstance(item, (urllib3.exceptions.DecodeError,
                             requests.exceptions.ContentDecodingError)):
            return GARBLED, "corrupt content encoding"
        if isinstance(item, requests.exceptions.TooManyRedirects):
            return REDIRECTS, "too many redirects"
    for item in chain:
        if isinstance(item, (http.client.IncompleteRead, requests.exceptions.ChunkedEncodingError)):
            return LOST, "the connection closed early"
        if isinstance(item, ConnectionResetError):
            return LOST, "connection reset"
        if isinstance(item, (http.client.RemoteDisconnected, BrokenPipeError)):
            return LOST, "connection closed"
    return LOST, "connection lost"


def _causes(exc: BaseException, depth: int = 0):
    """exc and what it wraps: args that are exceptions, .reason (MaxRetryError), .original_error
    (ProxyError) and __cause__."""
    if exc is None or depth > 6:
        return
    yield exc
    inner = [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
    for name in ("reason", "original_error", "__cause__"):
        value = getattr(exc, name, None)
        if isinstance(value, BaseException):
            inner.append(value)
    for item in inner:
        if item is not exc:
            yield from _causes(item, depth + 1)


def _connect_reason(exc: BaseException) -> str:
    text = str(exc)  # only compared with fixed markers, never shown
    if "refused" in text.lower():
        return "connection refused"
    if "timed out" in text.lower():
        return f"no connection within {CONNECT_TIMEOUT:.0f} s"
    if "unreachable" in text.lower():
        return "network unreachable"
    return "could not connect"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"


def _maybe_charged(access: Access) -> str:
    gateway = access.gateway
    return (f"{gateway.title} may have received the request and charged for it: check your "
            f"usage at {gateway.console} before running it again.")


def _url_vars(access: Access) -> str:
    return " or ".join(endpoint.url_var for endpoint in access.gateway.endpoints.values())


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
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a base URL override that is not a URL
        return "the configured base URL"
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


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
