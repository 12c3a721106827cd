#!/usr/bin/env python3
"""A throwaway PostgreSQL 15 for the tests (stdlib only; a script and an importable module).

    eval "$(python3 tools/pg_cluster.py start [DIR])"   # prints the two export lines below
    python3 tools/pg_cluster.py stop [DIR]              # stops the server, removes DIR
    python3 tools/pg_cluster.py pause [DIR]             # stops the server, keeps DIR
    python3 tools/pg_cluster.py status [DIR]            # "running" (exit 0) or "stopped" (exit 3)

`start` prints, for the caller's shell:

    export MODEL_GATEWAY_TEST_POSTGRES_URL=postgresql+psycopg://gateway:PASSWORD@127.0.0.1:PORT/gateway
    export MODEL_GATEWAY_TEST_POSTGRES_DIR=DIR

The cluster lives in DIR (a new temporary folder when none is given, owned by the `postgres` OS
user when we are root: Debian's initdb and pg_ctl refuse to run as root, so they run through
`runuser -u postgres --`). The server listens on 127.0.0.1 only, at a free port, and on a unix
socket inside DIR that only its owner may use. Over TCP only the role `gateway` can log in, with
a random password (SCRAM-SHA-256); it owns the database `gateway` and may create databases (the
tests make one per test). The plaintext password never reaches the server: the role is created
with a SCRAM verifier computed here. It is kept in DIR/cluster.json (mode 0600), and printed only
in the URL's export line. Settings are for tests, not for data: fsync and full_page_writes off
(synchronous_commit stays on, so a server crash keeps every commit that returned),
max_connections 200 (8+ worker processes with connection pools).

`start DIR` on a folder that already holds a cluster starts its server again (same port, same
data) and prints the same lines. From Python: `start(dir)`, `stop(dir)`, `start_server(dir)`,
`stop_server(dir)` (a test stopping the database mid-run), `is_running(dir)`.

When the binaries are missing and we are root (CI on a fresh Debian 12), `start` installs them
with apt-get (postgresql-15), without letting the package create and start its default cluster.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("MODEL_GATEWAY_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
ROLE = "gateway"
DATABASE = "gateway"
URL_VAR = "MODEL_GATEWAY_TEST_POSTGRES_URL"
DIR_VAR = "MODEL_GATEWAY_TEST_POSTGRES_DIR"
MARKER = "cluster.json"  # marks a folder this script made (nothing else is ever removed)
CONF = "model_gateway_tests.conf"
SOCKET_PATH_MAX = 107  # sun_path of a unix socket, less its terminating NUL


class ClusterError(RuntimeError):
    pass


@dataclass(frozen=True)
class Cluster:
    dir: Path
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{ROLE}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def exports(self) -> str:
        return (f"export {URL_VAR}={shlex.quote(self.url)}\n"
                f"export {DIR_VAR}={shlex.quote(str(self.dir))}\n")


def _log(message: str) -> None:
    print(f"pg_cluster: {message}", file=sys.stderr, flush=True)


def _as_root() -> bool:
    return os.geteuid() == 0


def _owner_ids() -> tuple[int, int] | None:
    if not _as_root():
        return None
    import pwd
    try:
        entry = pwd.getpwnam(OS_USER)
    except KeyError:
        raise ClusterError(f"no '{OS_USER}' OS user (it comes with the postgresql-15 package)")
    return entry.pw_uid, entry.pw_gid


def _env() -> dict[str, str]:
    # PG* variables of the caller (PGHOST, PGOPTIONS, PGSSLMODE...) must not steer our tools.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _run(args: list[str], directory: Path, *, stdin: str | None = None,
         check: bool = True) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the cluster's owner (the postgres OS user when we are root)."""
    command = (["runuser", "-u", OS_USER, "--"] if _as_root() else []) + args
    result = subprocess.run(command, cwd=directory, env=_env(), input=stdin, text=True,
                            capture_output=True, timeout=120)
    if check and result.returncode != 0:
        raise ClusterError(f"{Path(args[0]).name} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout).strip()}")
    return result


def _write(path: Path, text: str, *, mode: int = 0o600, give_to_owner: bool = True) -> None:
    path.write_text(text)
    path.chmod(mode)
    ids = _owner_ids()
    if ids and give_to_owner:
        os.chown(path, *ids)


def ensure_binaries() -> None:
    if (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists():
        return
    if not _as_root() or shutil.which("apt-get") is None:
        raise ClusterError(f"PostgreSQL 15 is not installed ({PG_BIN} has no initdb/pg_ctl): "
                           f"install postgresql-15 (as root: apt-get install postgresql-15), or "
                           f"set MODEL_GATEWAY_PG_BIN to the folder of its binaries")
    _log("installing postgresql-15 with apt-get (one time)")
    # The package would create and start a default cluster on port 5432; we want none.
    override = Path("/etc/postgresql-common/createcluster.d/zz-model-gateway-tests.conf")
    made_folder = not override.parent.exists()
    made_override = not override.exists()
    if made_override:
        override.parent.mkdir(parents=True, exist_ok=True)
        override.write_text("create_main_cluster = false\n")
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for args in (["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "postgresql-15"]):
            subprocess.run(args, env=env, stdout=sys.stderr, check=True)
    except subprocess.CalledProcessError as error:
        raise ClusterError(f"{' '.join(error.cmd)} failed ({error.returncode})") from None
    finally:
        if made_override:
            override.unlink(missing_ok=True)
        if made_folder and not any(override.parent.iterdir()):
            override.parent.rmdir()
    if not (PG_BIN / "initdb").exists():
        raise ClusterError(f"postgresql-15 installed, but {PG_BIN}/initdb is not there")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802/7677): giving the server
    this instead of the password keeps the password out of its statements and logs."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return (f"SCRAM-SHA-256${iterations}:{b64(salt)}"
            f"${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}")


def load(directory: str | os.PathLike) -> Cluster:
    directory = Path(directory).resolve()
    try:
        state = json.loads((directory / MARKER).read_text())
    except FileNotFoundError:
        raise ClusterError(f"{directory} holds no cluster made by pg_cluster.py") from None
    return Cluster(directory, int(state["port"]), state["password"])


def is_running(directory: str | os.PathLike) -> bool:
    directory = Path(directory).resolve()
    if not (directory / "data" / "PG_VERSION").exists():
        return False
    # pg_ctl status: 0 running, 3 not running, 4 no data folder.
    return _run([str(PG_BIN / "pg_ctl"), "status", "-D", str(directory / "data")],
                directory, check=False).returncode == 0


def _server_log_tail(directory: Path, lines: int = 15) -> str:
    try:
        return "\n".join((directory / "server.log").read_text(errors="replace")
                         .splitlines()[-lines:])
    except OSError:
        return ""


def start_server(directory: str | os.PathLike) -> Cluster:
    """Start the server of an existing cluster (same port, same data); returns at once when it
    already runs, else when it accepts connections."""
    cluster = load(directory)
    if is_running(cluster.dir):
        return cluster
    result = _run([str(PG_BIN / "pg_ctl"), "start", "-D", str(cluster.dir / "data"),
                   "-l", str(cluster.dir / "server.log"), "-w", "-t", "60", "-s"],
                  cluster.dir, check=False)
    if result.returncode != 0:
        raise ClusterError(f"the server did not start on 127.0.0.1:{cluster.port} "
                           f"(pg_ctl: {result.stderr.strip()}); its log ends:\n"
                           f"{_server_log_tail(cluster.dir)}")
    return cluster


def stop_server(directory: str | os.PathLike, mode: str = "fast") -> None:
    """Stop the server, keep its data. mode "fast" disconnects clients and shuts down cleanly,
    "immediate" is a crash (recovery on the next start)."""
    directory = Path(directory).resolve()
    if not is_running(directory):
        return
    _run([str(PG_BIN / "pg_ctl"), "stop", "-D", str(directory / "data"), "-m", mode,
          "-w", "-t", "60", "-s"], directory)


def _configure(directory: Path, port: int) -> None:
    _write(directory / "data" / CONF, "\n".join([
        "# Written by tools/pg_cluster.py: a throwaway server for tests.",
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{directory}'",
        "unix_socket_permissions = 0700",
        "max_connections = 200",
        "password_encryption = 'scram-sha-256'",
        # Only an OS crash could notice these; a server crash (a test's stop("immediate"))
        # keeps every commit that returned. synchronous_commit stays on: off, such a crash
        # loses the last commits, and a test of "committed before sent" would fail for it.
        "fsync = off",
        "full_page_writes = off",
        "",
    ]))


def _init(directory: Path) -> Cluster:
    password = secrets.token_urlsafe(24)
    port = _free_port()
    cluster = Cluster(directory, port, password)
    _write(directory / MARKER, json.dumps({"port": port, "password": password}),
           give_to_owner=False)
    data = directory / "data"
    _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
          "--no-locale", "--no-sync", "--no-instructions", "-A", "peer"], directory)
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(f"\ninclude '{CONF}'\n")
    # The unix socket (in DIR, owner only) is for the postgres OS user as role postgres, which
    # has no password; over TCP, 127.0.0.1 only and only with a password.
    _write(data / "pg_hba.conf", "# TYPE  DATABASE  USER      ADDRESS        METHOD\n"
                                 "local   all       postgres                 peer\n"
                                 "host    all       all       127.0.0.1/32   scram-sha-256\n")
    for attempt in range(5):
        _configure(directory, port)
        try:
            start_server(directory)
            break
        except ClusterError:
            # Someone took the free port between our probe and the server's bind: another one.
            if attempt == 4 or "could not bind" not in _server_log_tail(directory):
                raise
            port = _free_port()
            cluster = Cluster(directory, port, password)
            _write(directory / MARKER, json.dumps({"port": port, "password": password}),
                   give_to_owner=False)
    _run([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(directory),
          "-p", str(port), "-U", "postgres", "-d", "postgres"], directory,
         stdin=f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{scram_verifier(password)}';\n"
               f"CREATE DATABASE {DATABASE} OWNER {ROLE};\n")
    return cluster


def start(directory: str | os.PathLike | None = None) -> Cluster:
    """Make a cluster in directory (a new temporary folder when None) and start it; a folder that
    already holds one has its server started again."""
    ensure_binaries()
    made = directory is None
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="mg-pg-"))
    directory = Path(directory).resolve()
    if (directory / MARKER).exists():
        return start_server(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ClusterError(f"{directory} is not empty and holds no cluster made by pg_cluster.py")
    if len(str(directory / ".s.PGSQL.65535")) > SOCKET_PATH_MAX:
        raise ClusterError(f"{directory} is too long a path for a unix socket; choose a shorter "
                           f"one")
    made = made or not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        directory.chmod(0o700)
        ids = _owner_ids()
        if ids:
            os.chown(directory, *ids)
            if _run(["test", "-w", str(directory)], directory.parent, check=False).returncode:
                raise ClusterError(f"the {OS_USER} OS user cannot reach {directory}; choose a "
                                   f"folder it can (under /tmp, say)")
        return _init(directory)
    except BaseException:
        try:
            stop_server(directory, mode="immediate")
        finally:
            if made:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                _empty(directory)
        raise


def _empty(directory: Path) -> None:
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def stop(directory: str | os.PathLike) -> None:
    """Stop the server and remove its folder (only a folder this script made)."""
    directory = Path(directory).resolve()
    if not directory.exists():
        return
    load(directory)  # refuses a folder that is not ours
    stop_server(directory)
    shutil.rmtree(directory)


def _directory_argument(args: list[str], required: bool) -> str | None:
    if len(args) > 1:
        raise ClusterError("one folder at most")
    if args:
        return args[0]
    if os.environ.get(DIR_VAR):
        return os.environ[DIR_VAR]
    if required:
        raise ClusterError(f"give the cluster's folder (or set {DIR_VAR})")
    return None


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "stop", "pause", "status"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "start":
            began = time.monotonic()
            if len(rest) > 1:
                raise ClusterError("one folder at most")
            # Without a folder, a new cluster: whatever the environment names may be in use.
            cluster = start(rest[0] if rest else None)
            _log(f"PostgreSQL on 127.0.0.1:{cluster.port}, folder {cluster.dir} "
                 f"({time.monotonic() - began:.1f} s)")
            sys.stdout.write(cluster.exports())
        elif command == "stop":
            directory = _directory_argument(rest, True)
            stop(directory)
            _log(f"stopped, {directory} removed")
        elif command == "pause":
            directory = _directory_argument(rest, True)
            stop_server(directory)
            _log(f"stopped, {directory} kept (start it again with: start {directory})")
        else:
            running = is_running(_directory_argument(rest, True))
            print("running" if running else "stopped")
            return 0 if running else 3
    except ClusterError as error:
        _log(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
