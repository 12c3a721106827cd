"""The PostgreSQL the tests run against (tools/pg_cluster.py) and its fixtures: a fresh database
per test, a server a test can stop and start, a password that stays out of what is printed."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import pg_cluster
from conftest import (ROOT, fresh_postgres_database, postgres_connect_args,
                      running_postgres_server)


@pytest.fixture
def postgres_base_url():
    url = os.environ.get(pg_cluster.URL_VAR)
    if not url:
        pytest.skip(f"needs PostgreSQL: {pg_cluster.URL_VAR} is unset")
    return url


def database_names(base_url) -> set[str]:
    with psycopg.connect(**postgres_connect_args(base_url)) as conn:
        return {name for (name,) in conn.execute("SELECT datname FROM pg_database")}


def test_a_fresh_database_is_empty_and_writable(postgres_url):
    url = make_url(postgres_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.database != make_url(os.environ[pg_cluster.URL_VAR]).database
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            assert conn.scalar(sa.text("SELECT current_database()")) == url.database
            assert conn.scalar(sa.text(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")) == 0
            conn.execute(sa.text("CREATE TABLE t (id integer PRIMARY KEY, v text)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1, 'one')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, v FROM t")).all() == [(1, "one")]
    finally:
        engine.dispose()


def test_each_database_is_new_and_dropped_afterwards_even_with_connections_open(
        postgres_base_url):
    with fresh_postgres_database(postgres_base_url) as first, \
            fresh_postgres_database(postgres_base_url) as second:
        names = {make_url(first).database, make_url(second).database}
        assert len(names) == 2 and names <= database_names(postgres_base_url)
        left_open = psycopg.connect(**postgres_connect_args(first))
        left_open.execute("CREATE TABLE t (id integer)")
        left_open.commit()
        with psycopg.connect(**postgres_connect_args(second)) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'"
                                ).fetchone() == (0,)
    try:
        assert not names & database_names(postgres_base_url)
        with pytest.raises(psycopg.OperationalError):
            left_open.execute("SELECT 1")
    finally:
        left_open.close()


def test_the_server_takes_only_password_logins_on_127_0_0_1(postgres_url):
    args = postgres_connect_args(postgres_url)
    with psycopg.connect(**args) as conn:
        assert conn.execute("SELECT current_setting('listen_addresses')").fetchone() == (
            "127.0.0.1",)
        assert conn.execute("SELECT rolsuper, rolcreatedb FROM pg_roles "
                            "WHERE rolname = current_user").fetchone() == (False, True)
        assert int(conn.execute("SHOW max_connections").fetchone()[0]) >= 200
    for wrong in (dict(password="wrong"), dict(user="postgres", password="")):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(**{**args, **wrong})


def test_stop_cuts_connections_off_and_start_brings_back_the_same_url_and_data(
        postgres_url, postgres_server):
    args = postgres_connect_args(postgres_url)
    held = psycopg.connect(**args)
    try:
        held.execute("CREATE TABLE t (id integer)")
        held.execute("INSERT INTO t VALUES (1)")
        held.commit()
        postgres_server.stop()
        assert not postgres_server.running
        with pytest.raises(psycopg.OperationalError):
            held.execute("SELECT 1")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(**args)
    finally:
        held.close()
    postgres_server.start()
    assert postgres_server.running
    with psycopg.connect(**args) as conn:
        assert conn.execute("SELECT id FROM t").fetchall() == [(1,)]


def test_a_crash_keeps_what_was_committed(postgres_url, postgres_server):
    """stop("immediate") is a server crash: a commit that returned must survive it (the test
    settings turn fsync off, which only an OS crash could notice, not synchronous_commit)."""
    args = postgres_connect_args(postgres_url)
    with psycopg.connect(**args) as conn:
        conn.execute("CREATE TABLE t (id integer)")
        conn.commit()
        for i in range(50):
            conn.execute("INSERT INTO t VALUES (%s)", (i,))
            conn.commit()
    postgres_server.stop(mode="immediate")
    postgres_server.start()
    with psycopg.connect(**args) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (50,)


def test_the_server_fixture_leaves_the_server_running_whatever_the_test_did(postgres_server):
    # What the fixture does after a test, done here by hand: after a clean exit with the
    # server stopped, and after a failure with the server stopped.
    with running_postgres_server(postgres_server.dir) as server:
        server.stop()
    assert postgres_server.running
    with pytest.raises(ZeroDivisionError):
        with running_postgres_server(postgres_server.dir) as server:
            server.stop(mode="immediate")
            1 / 0
    assert postgres_server.running


def run_script(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in (pg_cluster.URL_VAR, pg_cluster.DIR_VAR)}
    return subprocess.run([sys.executable, str(ROOT / "tools" / "pg_cluster.py"), *args],
                          capture_output=True, text=True, timeout=180, env=env)


def test_the_password_is_printed_only_in_the_url_export_line(postgres_base_url):
    """A cluster of its own, through the script as CI and the README run it."""
    start = run_script("start")
    assert start.returncode == 0, start.stderr
    exports = dict(re.fullmatch(r"export (\w+)=(\S+)", line).groups()
                   for line in start.stdout.splitlines())
    assert set(exports) == {pg_cluster.URL_VAR, pg_cluster.DIR_VAR}
    directory = exports[pg_cluster.DIR_VAR]
    try:
        url = make_url(exports[pg_cluster.URL_VAR])
        password = url.password
        assert len(password) >= 24 and url.host == "127.0.0.1"
        assert url.username == "gateway" and url.drivername == "postgresql+psycopg"
        assert [line for line in start.stdout.splitlines() if password in line] == [
            f"export {pg_cluster.URL_VAR}={exports[pg_cluster.URL_VAR]}"]
        with psycopg.connect(**postgres_connect_args(url)) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("gateway",)
        outputs = [start.stderr]
        for command, says in (("status", "running\n"), ("pause", ""), ("status", "stopped\n")):
            result = run_script(command, directory)
            assert result.stdout == says, result.stderr
            outputs.append(result.stderr)
        again = run_script("start", directory)  # the same server again: same lines
        assert again.stdout == start.stdout, again.stderr
        outputs.append(again.stderr)
        with psycopg.connect(**postgres_connect_args(url)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with open(os.path.join(directory, "server.log")) as log:
            outputs.append(log.read())  # the server never saw it either
    finally:
        stop = run_script("stop", directory)
    assert stop.returncode == 0, stop.stderr
    outputs += [stop.stdout, stop.stderr]
    assert not os.path.exists(directory)
    assert not [text for text in outputs if password in text]


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("Run the tests (the same commands CI runs):", 1)[1]
    block = block.split("```bash\n", 1)[1].split("```", 1)[0]
    ci = (ROOT / ".ci" / "run").read_text().split('cd "$(dirname "$0")/.."\n', 1)[1]
    assert block.splitlines() == [line for line in ci.splitlines() if line.strip()]
