"""A small Chrome DevTools Protocol client for tools/browser_check.py: one page target, JS
evaluation, screenshots, clicks. It needs websocket-client (ComfyUI's venv has it when built by
shared/comfyui/setup.sh; `pip install websocket-client` otherwise) and nothing else."""
from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

# What Chromium may not do here: no network of its own (updates, sync, QUIC), no GPU, no
# first-run pages. It loads only the ComfyUI page it is given.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--mute-audio")


class CdpError(RuntimeError):
    pass


class Chromium:
    """A headless Chromium process with its own profile, and its DevTools endpoint."""

    def __init__(self, executable: str = "/usr/bin/chromium", port: int = 9230,
                 size: tuple[int, int] = (1600, 1000)):
        self.executable, self.port, self.size = executable, port, size
        self.profile = Path(tempfile.mkdtemp(prefix="mg-chromium-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> "Chromium":
        self.process = subprocess.Popen(
            [self.executable, *CHROMIUM_FLAGS, f"--remote-debugging-port={self.port}",
             "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
             f"--window-size={self.size[0]},{self.size[1]}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.version()
                return self
            except OSError:
                time.sleep(0.2)
        raise CdpError(f"Chromium did not open its DevTools port {self.port}")

    def version(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/version", timeout=2) as r:
            return json.load(r)

    def page(self) -> "Page":
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
            targets = [t for t in json.load(r) if t.get("type") == "page"]
        if not targets:
            raise CdpError("Chromium has no page")
        return Page(targets[0]["webSocketDebuggerUrl"])

    def stop(self) -> None:
        stop_process_group(self.process, grace=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def stop_process_group(process: subprocess.Popen | None, grace: float) -> None:
    """SIGTERM to a process started with start_new_session, SIGKILL after `grace` seconds."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Page:
    """One page target: commands are sent and answered in order; events are kept in a list."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client

        self.ws = websocket.create_connection(ws_url, timeout=120, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        self.console: list[str] = []
        self.lock = threading.Lock()
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params):
        with self.lock:
            message_id = next(self.ids)
            self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
            while True:
                message = json.loads(self.ws.recv())
                if message.get("id") == message_id:
                    if "error" in message:
                        raise CdpError(f"{method}: {message['error']}")
                    return message.get("result", {})
                self._event(message)

    def _event(self, message: dict) -> None:
        self.events.append(message)
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append(f"{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.console.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded":
            self.console.append(f"{params['entry']['level']}: {params['entry']['text']}")

    def js(self, expression: str, timeout: float = 60):
        """The JSON value of a JS expression (awaited if it is a promise)."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True, timeout=int(timeout * 1000))
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(details.get("exception", {}).get("description") or details.get("text"))
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60, interval: float = 0.25):
        deadline = time.time() + timeout
        while True:
            try:
                value = self.js(expression)
            except CdpError:
                value = None
            if value:
                return value
            if time.time() > deadline:
                raise CdpError(f"timed out waiting for: {expression}")
            time.sleep(interval)

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def reload(self) -> None:
        self.send("Page.reload", ignoreCache=False)

    def screenshot(self, path: Path, clip: dict | None = None) -> Path:
        """The page as PNG; clip: {x, y, width, height} in CSS pixels, a part of it."""
        extra = {"clip": {**clip, "scale": 1}} if clip else {}
        data = self.send("Page.captureScreenshot", format="png", **extra)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self) -> None:
        self.ws.close()
