"""Loads the pack the way ComfyUI does (its folder's __init__.py under a module name of ComfyUI's
choosing) and gives tests a running emulator with the pack pointed at it."""
from __future__ import annotations

import importlib
import logging
import sys
import threading
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import pack_loader  # noqa: E402  (shared with the tools; the tools folder is not a package)

PACK_NAME = "custom_nodes_model_gateway_under_test"

KEYS = {
    "seacloud": "sk-sea-TESTKEY-7f3a9c1d2e",
    "gptunnel": "gpt-TESTKEY-55aa11bb22",
    "cloudbase": "cb-TESTKEY-0a1b2c3d4e",
    "opencomputing": "oc-TESTKEY-9z8y7x6w5v",
}


def load_pack(name: str = PACK_NAME):
    return pack_loader.load_pack(name)


PACK = load_pack()
# The nodes as the tests call them: coroutine methods run to their end (see pack_loader).
NODES = pack_loader.SyncNodes(PACK.NODE_CLASS_MAPPINGS)


def run_in_new_process(code: str) -> str:
    """Run code in a fresh interpreter (a ComfyUI restart) that loads the pack as this one
    does, with this environment (same data dir, same emulator); returns its stdout."""
    import os
    import subprocess
    prelude = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
               f"import conftest; nodes = conftest.NODES\n")
    result = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                            text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def submodule(path: str):
    return importlib.import_module(f"{PACK_NAME}.{path}")


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch, tmp_path):
    """Every test journals into its own folder: answers reused across tests would hide calls."""
    monkeypatch.setenv("MODEL_GATEWAY_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def pack():
    return PACK


@pytest.fixture(scope="session")
def _server():
    Emulator = submodule("providers.emulator").Emulator
    emulator = Emulator(keys=KEYS).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(_server, monkeypatch, tmp_path):
    """The emulator, reset, with every gateway's key and base URL set in the environment."""
    _server.reset()
    _server.keys = dict(KEYS)
    _server.stream_delay = 0.002
    _server.reply_delay = 0.0
    monkeypatch.delenv("MODEL_GATEWAY_SANDBOX", raising=False)
    monkeypatch.setenv("MODEL_GATEWAY_KEYS_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("MODEL_GATEWAY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODEL_GATEWAY_POLL_SCALE", "0.02")
    gateways = submodule("providers.gateways").GATEWAYS
    for gateway in gateways.values():
        monkeypatch.setenv(gateway.key_var, KEYS[gateway.id])
        for role, endpoint in gateway.endpoints.items():
            monkeypatch.setenv(endpoint.url_var, _server.base_url(gateway.id, role))
    monkeypatch.setenv("CLOUDBASE_ENV_ID", "env-test-123")
    return _server


class FakeComfy:
    """Stand-ins for the parts of ComfyUI the pack touches: the interrupt flag and
    PromptServer.send_progress_text."""

    class InterruptProcessingException(Exception):
        pass

    def __init__(self):
        self.interrupted = threading.Event()
        self.texts: list[tuple[str, str]] = []
        self.progress: list[tuple[int, int]] = []
        fake = self

        class ProgressBar:
            def __init__(self, total, node_id=None):
                self.total = total

            def update_absolute(self, value, total=None):
                fake.progress.append((value, total or self.total))

        self.ProgressBar = ProgressBar

    def throw_exception_if_processing_interrupted(self):
        if self.interrupted.is_set():
            self.interrupted.clear()
            raise self.InterruptProcessingException()

    def send_progress_text(self, text, node_id):
        self.texts.append((node_id, text))


@pytest.fixture
def fake_comfy(monkeypatch):
    fake = FakeComfy()
    comfy_pkg = types.ModuleType("comfy")
    mm = types.ModuleType("comfy.model_management")
    mm.InterruptProcessingException = FakeComfy.InterruptProcessingException
    mm.throw_exception_if_processing_interrupted = fake.throw_exception_if_processing_interrupted
    comfy_pkg.model_management = mm
    utils = types.ModuleType("comfy.utils")
    utils.ProgressBar = fake.ProgressBar
    comfy_pkg.utils = utils
    monkeypatch.setitem(sys.modules, "comfy.utils", utils)
    server = types.ModuleType("server")
    server.PromptServer = types.SimpleNamespace(instance=fake)
    monkeypatch.setitem(sys.modules, "comfy", comfy_pkg)
    monkeypatch.setitem(sys.modules, "comfy.model_management", mm)
    monkeypatch.setitem(sys.modules, "server", server)
    comfy_glue = submodule("nodes.comfy")
    comfy_glue._module.cache_clear()
    yield fake
    comfy_glue._module.cache_clear()


@pytest.fixture
def all_logs(caplog):
    """Every log record of every logger, down to DEBUG."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    return caplog
