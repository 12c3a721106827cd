"""Result downloads: capped in size, checked for type, bounded by the node's deadline, written
atomically under a name of their own, and careful about where they go: no private or local
address unless the gateway itself is on one, and the key only to the gateway's own origin,
never across a redirect."""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from .credentials import Access
from .errors import GatewayError
from .http import CONNECT_TIMEOUT, _origin, _reason, session_for

log = logging.getLogger("model_gateway.download")

DOWNLOAD_TIMEOUT = 60.0
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "")
MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
CHUNK = 1 << 16
SLACK = 0.1  # a read timeout this close to the deadline is the deadline
KEPT = "Run again to retry the download; the task is kept."


def download(url: str, dest: Path, *, access: Access, max_bytes: int,
             accept: tuple[str, ...], deadline: float | None = None,
             limit_hint: str | None = None) -> Path:
    """Fetch a result file to dest, at most max_bytes, refusing content that is not of the
    accepted types (an expired link often answers with an HTML or XML error page).

    deadline (a time.monotonic() value, or None) bounds the whole download, however slowly the
    storage host sends. The file appears at dest only when complete; downloads of the same
    file at once (two nodes, two processes) each write a temporary file of their own.
    limit_hint says how to raise max_bytes (the setting), for the error when it is exceeded."""
    title = access.gateway.title
    response = _open(url, access, deadline)
    with response:
        where = _origin(response.url or url)
        if response.status_code >= 400:
            raise GatewayError(title, f"the result file at {where} answered HTTP "
                                      f"{response.status_code}",
                               status=response.status_code,
                               transient=response.status_code >= 500 or
                               response.status_code == 429,
                               hint="Result links expire (about a day): if this task is old, "
                                    "its result is gone; otherwise run again to retry.")
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not ctype.startswith(accept) and ctype not in GENERIC_TYPES:
            raise GatewayError(title, f"the result link gave {ctype} instead of "
                                      f"{' or '.join(a.rstrip('/') for a in accept)}",
                               hint="The link has probably expired, or the gateway returned an "
                                    "error page.", raw=_text_start(response), transient=True)
        try:
            declared = int(response.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > max_bytes:
            raise _too_large(title, declared, max_bytes, limit_hint)
        _save(response, dest, title=title, where=where, max_bytes=max_bytes,
              deadline=deadline, limit_hint=limit_hint)
    return dest


# --------------------------------------------------------------------------- where it goes

def _open(url: str, access: Access, deadline: float | None) -> requests.Response:
    """The streamed answer at the end of the redirects, each hop checked before it is asked:
    http(s) only, no private address (unless the gateway is on one), the key only under the
    gateway's own base URL."""
    title = access.gateway.title
    session = session_for(access, idempotent=True)
    private_ok = _private_host(urlsplit(access.base_url).hostname or "")
    keyed = True  # until a hop leaves the gateway: a host elsewhere must not steer keyed calls
    for _hop in range(MAX_REDIRECTS + 1):
        _check_target(url, title, private_ok, session)
        # Connection: close, so the deadline's cut (see _Cutoff) can only ever hit this
        # download's own socket, never a pooled one another request reuses.
        headers = {"Connection": "close"}
        keyed = keyed and _under_base(url, access.base_url)
        if keyed:
            headers.update(access.auth_headers())
        try:
            response = session.get(url, headers=headers, stream=True, allow_redirects=False,
                                   timeout=(CONNECT_TIMEOUT, _read_timeout(title, url, deadline)))
        except requests.exceptions.RequestException as exc:
            if _passed(deadline, SLACK):
                raise _deadline_error(title, _origin(url), 0) from None
            raise GatewayError(title, f"could not download the result from {_origin(url)} "
                                      f"({_reason(exc)})", hint=KEPT, transient=True) from None
        if response.status_code not in REDIRECT_STATUSES:
            return response
        location = response.headers.get("Location", "").strip()
        response.close()
        if not location:
            raise GatewayError(title, f"the result link at {_origin(url)} redirected "
                                      f"(HTTP {response.status_code}) to nowhere", hint=KEPT)
        url = urljoin(url, location)
    raise GatewayError(title, f"the result link redirected more than {MAX_REDIRECTS} times "
                              f"(last to {_origin(url)})",
                       hint="The storage host is misconfigured or the link has expired.")


def _check_target(url: str, title: str, private_ok: bool, session: requests.Session) -> None:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable:
        raise GatewayError(title, f"the result link is not an http(s) URL ({url[:80]!r})",
                           hint="The gateway sent an unusable result link; report it to them.")
    if private_ok:
        return
    host = parts.hostname
    try:
        addresses = _addresses(host)
    except (OSError, ValueError):  # not found, or a name IDNA cannot encode
        if _proxied(session, url):
            return  # the proxy resolves the name; this machine may not be able to
        raise GatewayError(title, f"could not resolve {host}, the host of the result link",
                           hint="Check your network and DNS; the task is kept.") from None
    private = next((a for a in addresses if not _public(a)), None)
    if private is not None:
        raise GatewayError(title, f"the result link points to {host} ({private}), a private or "
                                  f"local address: refused",
                           hint="Result files are fetched only from public hosts, unless the "
                                "gateway's base URL is itself a local or private address.")


def _addresses(host: str) -> list:
    """Every address the host resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    # getaddrinfo may append "%scope" to IPv6 link-local addresses
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _public(address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_global and not address.is_multicast


def _private_host(host: str) -> bool:
    """True when the host is loopback, private, link-local... (the sandbox, a proxy on the
    LAN). A name that does not resolve counts as public."""
    if not host:
        return False
    try:
        return any(not _public(a) for a in _addresses(host))
    except (OSError, ValueError):
        return False


def _proxied(session: requests.Session, url: str) -> bool:
    if session.proxies.get(urlsplit(url).scheme):
        return True
    if not session.trust_env:
        return False
    return bool(requests.utils.get_environ_proxies(url))


def _under_base(url: str, base_url: str) -> bool:
    """The key goes only to the gateway's own origin (scheme, host, port), and there only under
    its base path: a storage host may share the origin (the sandbox serves files beside it)."""
    if _origin_tuple(url) != _origin_tuple(base_url):
        return False
    base_path = urlsplit(base_url).path.rstrip("/")
    path = urlsplit(url).path
    return not base_path or path == base_path or path.startswith(base_path + "/")


def _origin_tuple(url: str) -> tuple:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return (scheme, parts.hostname, "bad port")
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


# --------------------------------------------------------------------------- writing it

def _save(response: requests.Response, dest: Path, *, title: str, where: str, max_bytes: int,
          deadline: float | None, limit_hint: str | None) -> None:
    """Stream the body into a temporary file of its own beside dest, then move it into place
    (atomic, and the last complete writer wins: every writer has the same bytes)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise _disk_error(title, dest, exc) from None
    written = 0
    try:
        with os.fdopen(handle, "wb") as file, _Cutoff(response, deadline) as cutoff:
            try:
                for chunk in response.iter_content(chunk_size=CHUNK):
                    if cutoff.expired:
                        raise _deadline_error(title, where, written)
                    written += len(chunk)
                    if written > max_bytes:
                        raise _too_large(title, written, max_bytes, limit_hint)
                    file.write(chunk)
            except GatewayError:
                raise
            except requests.exceptions.RequestException as exc:  # cut off midway (or by us)
                if cutoff.expired or _passed(deadline, SLACK):
                    raise _deadline_error(title, where, written) from None
                raise GatewayError(title, f"the download from {where} broke off after "
                                          f"{written // 1024} KiB ({_reason(exc)})",
                                   hint=KEPT, transient=True) from None
            except (OSError, ValueError) as exc:  # the socket we cut, or the disk
                if cutoff.expired:
                    raise _deadline_error(title, where, written) from None
                raise _disk_error(title, dest, exc) from None
            if cutoff.expired:  # a body without a length just ends when its socket is cut
                raise _deadline_error(title, where, written)
        if written == 0:
            raise GatewayError(title, "the result file is empty",
                               hint="Run again; if it persists the generation failed.")
        try:
            os.replace(temp, dest)
        except OSError as exc:
            raise _disk_error(title, dest, exc) from None
    finally:
        Path(temp).unlink(missing_ok=True)


def save_bytes(data: bytes, dest: Path, *, title: str, max_bytes: int,
               limit_hint: str | None = None) -> Path:
    """A result that came inline (base64) written to dest the same way as a download: within
    the cap, never empty, atomically under a temporary name of its own."""
    if not data:
        raise GatewayError(title, "the result file is empty",
                           hint="Run again; if it persists the generation failed.")
    if len(data) > max_bytes:
        raise _too_large(title, len(data), max_bytes, limit_hint)
    temp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, dest)
    except OSError as exc:
        raise _disk_error(title, dest, exc) from None
    finally:
        if temp:
            Path(temp).unlink(missing_ok=True)
    return dest


class _Cutoff:
    """Ends a download when its deadline passes. A read timeout alone cannot: a storage host
    that trickles a byte at a time keeps every read inside it. So a timer shuts the socket
    down at the deadline, which ends the blocked read at once; the reader then sees `expired`.
    Where the socket cannot be found (another urllib3), the deadline is checked between
    chunks and each read is still bounded by the read timeout."""

    def __init__(self, response: requests.Response, deadline: float | None):
        self.deadline = deadline
        self._cut = False
        self._sock = self._timer = None
        if deadline is not None:
            self._sock = _socket_of(response)
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._shut)
            self._timer.daemon = True

    @property
    def expired(self) -> bool:
        return self._cut or _passed(self.deadline)

    def _shut(self) -> None:
        self._cut = True
        if self._sock is not None:
            try:  # the plain socket's shutdown, also under TLS (it ends the read, not the object)
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "_Cutoff":
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _socket_of(response: requests.Response):
    raw = response.raw
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # http.client's file object over the socket
        buffered = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(buffered, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _read_timeout(title: str, url: str, deadline: float | None) -> float:
    """A silent socket waits at most DOWNLOAD_TIMEOUT, and never past the deadline."""
    if deadline is None:
        return DOWNLOAD_TIMEOUT
    left = deadline - time.monotonic()
    if left <= 0:
        raise _deadline_error(title, _origin(url), 0)
    return min(DOWNLOAD_TIMEOUT, left)


def _passed(deadline: float | None, slack: float = 0.0) -> bool:
    """The deadline has passed (a read that timed out `slack` before it was cut by it)."""
    return deadline is not None and time.monotonic() >= deadline - slack


def _text_start(response: requests.Response) -> str:
    try:
        return next(response.iter_content(chunk_size=500), b"").decode("utf-8", "replace")
    except requests.exceptions.RequestException:
        return ""


# --------------------------------------------------------------------------- errors

def _deadline_error(title: str, where: str, written: int) -> GatewayError:
    got = f" ({written // 1024} KiB received)" if written else ""
    return GatewayError(title, f"the download from {where} did not finish within the node's "
                               f"timeout{got}",
                        hint="Nothing is lost: the task is kept, and running again resumes "
                             "the download (it is not paid again). Raise the timeout if the "
                             "storage host is this slow.")


def _too_large(title: str, size: int, limit: int, limit_hint: str | None = None
               ) -> GatewayError:
    return GatewayError(title, f"the result file is larger than the {_mib(limit)} MiB "
                               f"this pack accepts ({_mib(size)} MiB so far)",
                        hint=limit_hint or "Raise the download limit if this is expected.")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f}".removesuffix(".0")


def _disk_error(title: str, dest: Path, exc: Exception) -> GatewayError:
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return GatewayError(title, f"could not save the result in {dest.parent} ({reason})",
                        hint="Check free disk space and permissions of the output folder; the "
                             "task is kept, run again to retry.")
