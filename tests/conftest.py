"""Loads the pack the way ComfyUI does (its folder's __init__.py under a module name of ComfyUI's
choosing) and gives tests a running emulator with the pack pointed at it, and, where
MODEL_GATEWAY_TEST_POSTGRES_URL is set (tools/pg_cluster.py), a fresh PostgreSQL database."""
from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import threading
import types
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import pack_loader  # noqa: E402  (shared with the tools; the tools folder is not a package)
import pg_cluster  # noqa: E402

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
    # a balance read or a failed price fetch of an earlier test is not this test's
    submodule("providers.balance").forget()
    submodule("providers.published_prices").forget_failures()
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


# PostgreSQL: tools/pg_cluster.py starts a throwaway server and exports these two variables (CI
# always does; see README, Development). Without the URL, tests that need PostgreSQL are skipped.

def _postgres_setting(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        pytest.skip(f"needs PostgreSQL: {var} is unset (eval \"$(python3 tools/pg_cluster.py "
                    f"start)\" sets it)")
    return value


def postgres_connect_args(url) -> dict:
    """psycopg.connect keyword arguments for a SQLAlchemy URL (a string or a URL)."""
    from sqlalchemy.engine import make_url
    url = make_url(url)
    return dict(host=url.host, port=url.port, user=url.username, password=url.password,
                dbname=url.database, connect_timeout=10, **url.query)


def _ensure_cluster_running() -> None:
    """A test may have stopped the server of MODEL_GATEWAY_TEST_POSTGRES_DIR: start it again."""
    directory = os.environ.get(pg_cluster.DIR_VAR)
    if directory and not pg_cluster.is_running(directory):
        pg_cluster.start_server(directory)


@contextlib.contextmanager
def fresh_postgres_database(base_url: str):
    """A new, empty database on the server of base_url, made and dropped with base_url's
    credentials (its role may create databases); yields its SQLAlchemy URL."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url
    base = make_url(base_url)
    name = f"mgtest_{uuid.uuid4().hex[:16]}"
    admin = postgres_connect_args(base.set(database="postgres"))
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0")
                     .format(sql.Identifier(name)))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        _ensure_cluster_running()
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


@pytest.fixture
def postgres_url():
    """The SQLAlchemy URL (postgresql+psycopg://...) of a fresh, empty database, dropped after
    the test (open connections and all). Skips the test without MODEL_GATEWAY_TEST_POSTGRES_URL."""
    with fresh_postgres_database(_postgres_setting(pg_cluster.URL_VAR)) as url:
        yield url


class PostgresServer:
    """The server of the test cluster, for tests that take the database away mid-run. stop()
    waits until it is down (mode "fast": clients are cut off; "immediate": a crash), start()
    until it accepts connections again, on the same port with the same data."""

    def __init__(self, directory: str):
        self.dir = directory

    def stop(self, mode: str = "fast") -> None:
        pg_cluster.stop_server(self.dir, mode=mode)

    def start(self) -> None:
        pg_cluster.start_server(self.dir)

    @property
    def running(self) -> bool:
        return pg_cluster.is_running(self.dir)


@contextlib.contextmanager
def running_postgres_server(directory: str):
    """A PostgresServer that runs when this is entered and again when it is left, however."""
    server = PostgresServer(directory)
    if not server.running:
        server.start()
    try:
        yield server
    finally:
        if not server.running:
            server.start()


@pytest.fixture
def postgres_server():
    """Controls the cluster of MODEL_GATEWAY_TEST_POSTGRES_DIR (skips the test when unset); it
    runs again after the test, whatever happened. The cluster is shared by the whole run: do
    not stop it in tests that run side by side (pytest-xdist)."""
    with running_postgres_server(_postgres_setting(pg_cluster.DIR_VAR)) as server:
        yield server
