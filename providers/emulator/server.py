"""The emulator's HTTP machinery: routing by gateway prefix, auth checks in each gateway's own
form, a record of every request, and failures scripted by tests."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import billing, chat, gptunnel, queue, video
from .auth import check
from .faults import Fault, FaultPlan
from .jobs import JobBook
from .routing import Recorded, Reply, Route

VIDEO_DEFAULTS = {"width": 160, "height": 96, "seconds": 1.0, "fps": 24}

# Base path of each gateway endpoint on the emulator, by (gateway, role).
PREFIXES = {
    ("seacloud", "llm"): "/seacloud/llm",
    ("seacloud", "model"): "/seacloud/model",
    ("gptunnel", "main"): "/gptunnel",
    ("cloudbase", "main"): "/cloudbase/{env_id}",
    ("opencomputing", "main"): "/opencomputing",
}


@dataclass
class _Scripted:
    gateway: str
    path_contains: str
    reply: Reply
    times: int


FAULT_BODY = "<html><head><title>{0}</title></head><body>emulated fault {0}</body></html>"


class Emulator:
    """Start with start() (or as a context manager); base_url(gateway, role) gives the URL to
    point the pack at. `keys` maps a gateway to the only key it accepts (default: any)."""

    def __init__(self, keys: dict[str, str] | None = None, stream_delay: float = 0.005):
        self.keys = dict(keys or {})
        self.stream_delay = stream_delay
        self.reply_delay = 0.0  # seconds to wait before answering anything
        self.short_submit_reply = False  # SeaCloud answers {"request_id", "status"} only
        self.seedream4_url_only = False  # Seedream 4 answers a URL even when asked for base64
        self.wrapped_tasks = False  # OpenComputing's newer {"status": "ok", "data": ...} shape
        self.video = dict(VIDEO_DEFAULTS)  # size of the mp4s the emulator makes
        # models OpenComputing "added after the release": {"catelogid", "llmid", "model"}
        self.opencomputing_models: list[dict] = []
        self.jobs = JobBook()
        self.ledger = billing.Ledger()  # GPTunnel's balance
        self.requests: list[Recorded] = []
        self.faults = FaultPlan()
        self._scripted: list[_Scripted] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._routes: list[Route] = [*chat.ROUTES, *queue.ROUTES, *gptunnel.ROUTES,
                                     *video.ROUTES, *billing.ROUTES]

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "Emulator":
        emulator = self

        class Handler(_Handler):
            owner = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="model-gateway-emulator").start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, gateway: str, role: str = "main") -> str:
        return self.origin + PREFIXES[(gateway, role)]

    # -- test controls -----------------------------------------------------------------------
    def fail(self, gateway: str, path_contains: str, reply: Reply, times: int = 1) -> None:
        """Answer the next `times` requests to this gateway whose path contains the text
        with `reply` instead of the normal behaviour."""
        with self._lock:
            self._scripted.append(_Scripted(gateway, path_contains, reply, times))

    def fault(self, gateway: str, path_contains: str, kind: str, times: int = 1,
              delay: float = 0.0) -> None:
        """Misbehave (see faults.py) on the next `times` requests to this gateway ("cdn" for
        result files) whose path contains the text."""
        self.faults.add(gateway, path_contains, Fault(kind, delay), times)

    def chaos(self, rate: float, seed: int, **options) -> None:
        """A random fault on about `rate` of all requests, reproducible from the seed."""
        self.faults.mix(rate, seed, **options)

    def calls(self, gateway: str | None = None, path_contains: str = "", *,
              with_billing: bool = False) -> list[Recorded]:
        """The requests received. The free reads of prices and balances the pack makes before
        a create (billing.READS) are left out unless `with_billing`: they are not the work a test
        counts; every request, those included, is in self.requests."""
        with self._lock:
            return [r for r in self.requests
                    if (gateway is None or r.gateway == gateway) and path_contains in r.path
                    and (with_billing or r.path not in billing.READS)]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripted.clear()
        self.faults.clear()
        self.reply_delay = 0.0
        self.jobs = JobBook()
        self.ledger = billing.Ledger()
        self.short_submit_reply = False
        self.seedream4_url_only = False
        self.wrapped_tasks = False
        self.video = dict(VIDEO_DEFAULTS)
        self.opencomputing_models = []

    # -- dispatch ----------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        if parts.path.startswith("/cdn/"):  # result files, on a "storage host" of their own
            return self._serve_file(method, parts.path, headers)
        gateway, path = _split_prefix(parts.path)
        if gateway is None:
            return Reply(404, json={"detail": f"no gateway at {parts.path}"})
        record = Recorded(method, path, gateway, parse_qs(parts.query), headers, body, parts.path)
        with self._lock:
            self.requests.append(record)
            scripted = next((s for s in self._scripted
                             if s.gateway == gateway and billing.aimed(path, s.path_contains)),
                            None)
            if scripted:
                scripted.times -= 1
                if scripted.times <= 0:
                    self._scripted.remove(scripted)
        if self.reply_delay:
            time.sleep(self.reply_delay)
        if scripted:
            return scripted.reply
        fault = self.faults.draw(gateway, path, chaos=path not in billing.READS,
                                 aimed=billing.aimed)
        if fault is not None:
            record.fault = fault.kind
            if fault.before:
                return _refusal(fault)
        reply = self._answer(gateway, method, path, headers, record)
        if fault is not None:
            reply.fault = fault
        return reply

    def _answer(self, gateway, method, path, headers, record) -> Reply:
        refused = self._check_auth(gateway, path, headers)
        if refused:
            return refused
        for route in self._routes:
            if route.gateway == gateway and route.method == method and route.path.fullmatch(path):
                record.handled = True
                return route.handler(self, record)
        return Reply(404, json={"error": f"no route {method} {path}"})

    def _serve_file(self, method: str, path: str, headers: dict) -> Reply:
        record = Recorded(method, path, "cdn", {}, headers, b"", path)
        with self._lock:
            self.requests.append(record)
        fault = self.faults.draw("cdn", path)
        if fault is not None:
            record.fault = fault.kind
            if fault.before:
                return _refusal(fault)
        outcomes = {job_id: job.outcome for job_id, job in self.jobs.jobs.items()}
        status, data, ctype = self.jobs.serve(path[len("/cdn/"):], outcomes)
        return Reply(status, data=data, headers={"Content-Type": ctype}, fault=fault)

    def _check_auth(self, gateway: str, path: str, headers: dict) -> Reply | None:
        return check(gateway, path, headers.get("authorization", ""), self.keys.get(gateway))


def _refusal(fault: Fault) -> Reply:
    """A fault that answers instead of the gateway."""
    if fault.kind == "reset_before":
        return Reply(fault=fault)
    status = int(fault.kind)
    headers = {"Retry-After": str(max(1, round(fault.delay)))} if status in (429, 503) else {}
    return Reply(status, json={"error": {"message": f"emulated fault {status}",
                                         "code": "EMULATED"}}, headers=headers)


def _split_prefix(path: str) -> tuple[str | None, str]:
    for (gateway, _role), prefix in PREFIXES.items():
        if "{env_id}" in prefix:
            head = prefix.split("{env_id}")[0]
            if path.startswith(head):
                rest = path[len(head):]
                env_id, _, tail = rest.partition("/")
                return gateway, "/" + tail if env_id else ""
        elif path.startswith(prefix + "/"):
            # keep the role's prefix visible for SeaCloud's two bases
            tail = path[len(prefix):]
            return gateway, (f"/{_role}" if gateway == "seacloud" else "") + tail
    return None, path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: Emulator

    def log_message(self, *args):  # quiet
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.owner.handle(self.command, self.path, headers, body)
        except Exception as exc:  # a bug in the emulator shows as a 500 with the reason
            reply = Reply(500, json={"error": f"emulator: {type(exc).__name__}: {exc}"})
        fault = reply.fault.kind if reply.fault else None
        if fault in ("reset", "reset_before"):
            return self._reset()
        if fault in ("slow", "late"):
            time.sleep(reply.fault.delay)
        if fault in ("502", "504"):
            reply = Reply(int(fault), text=FAULT_BODY.format(fault),
                          headers={"Content-Type": "text/html"})
        elif fault == "non_json":
            reply = Reply(200, text=FAULT_BODY.format("proxy"),
                          headers={"Content-Type": "text/html"})
        try:
            if reply.events is not None:
                self._send_events(reply, fault, reply.fault.delay if reply.fault else 0.0)
            else:
                self._send_body(reply, fault, reply.fault.delay if reply.fault else 0.0)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def _reset(self):
        """Close with a TCP reset, answering nothing."""
        import socket
        import struct
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send_body(self, reply: Reply, fault: str | None = None, delay: float = 0.0):
        if reply.data is not None:
            data, ctype = reply.data, "application/octet-stream"
        elif reply.text is not None:
            data, ctype = reply.text.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = json.dumps(reply.json, ensure_ascii=False).encode(), "application/json"
        if fault == "gzip":
            import gzip
            data = gzip.compress(data)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.headers.get("Content-Type", ctype))
        for name, value in reply.headers.items():
            if name != "Content-Type":
                self.send_header(name, value)
        if fault == "gzip":
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault in ("truncated", "cut_stream", "stall"):
            self.wfile.write(data[:max(1, len(data) // 2)])
            self.wfile.flush()
            if fault == "stall":
                time.sleep(delay)
            self.close_connection = True
            return
        if fault == "trickle":
            for index in range(len(data)):
                self.wfile.write(data[index:index + 1])
                self.wfile.flush()
                time.sleep(delay)
            return
        self.wfile.write(data)

    def _send_events(self, reply: Reply, fault: str | None = None, delay: float = 0.0):
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if fault == "gzip":
            import zlib
            packer = zlib.compressobj(wbits=31)  # a gzip stream, flushed after every event
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        frames = list(reply.events)
        end = "\r" if fault == "cr_lines" else "\n"
        for index, (event, data) in enumerate(frames):
            if fault in ("cut_stream", "truncated", "stall") and index >= len(frames) // 2:
                if fault == "stall":
                    time.sleep(delay)
                self.close_connection = True
                return  # no terminal chunk: the stream is cut
            frame = ((f"event: {event}{end}" if event else "") + f"data: {data}{end}{end}").encode()
            if fault == "gzip":
                frame = packer.compress(frame) + packer.flush(zlib.Z_SYNC_FLUSH)
            self._chunk(frame)
            if reply.event_delay:
                time.sleep(reply.event_delay)
        if fault == "gzip":
            self._chunk(packer.flush())
        self._chunk(b"")

    def _chunk(self, data: bytes):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
