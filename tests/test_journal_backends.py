"""The journal's promises on both engines it speaks: SQLite (always) and PostgreSQL (with
MODEL_GATEWAY_TEST_POSTGRES_URL; CI starts one). Writes never go backwards, a fingerprint is
claimed once however many race for it, a claim lives while its heartbeat does and not after,
and the database's own faults are retried or said plainly — never raw."""
from __future__ import annotations

import threading
import time

import pytest

from conftest import submodule

journal_pkg = submodule("providers.journal")
store = submodule("providers.journal.store")
database = submodule("providers.journal.database")
tasks = submodule("providers.tasks")
GatewayError = submodule("providers.errors").GatewayError
Job, State = tasks.Job, tasks.State


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path):
    if request.param == "sqlite":
        return journal_pkg.open_journal(tmp_path)
    url = request.getfixturevalue("postgres_url")
    return journal_pkg.open_journal(tmp_path, url)


def job(state=State.QUEUED, fp="a" * 64, **fields):
    return Job("gptunnel", "seedream3", "task-1", fp, "seedream-3", "image", state=state, **fields)


def test_a_job_never_moves_backwards(journal):
    assert journal.save(job(State.QUEUED))
    assert journal.save(job(State.RUNNING, progress=0.5))
    assert journal.save(job(State.SUCCEEDED, files=["/x/one.png"]))
    assert journal.save(job(State.RUNNING)) is False
    assert journal.save(job(State.QUEUED)) is False
    assert journal.save(job(State.FAILED, message="late word")) is False  # finished stays as is
    assert journal.save(job(State.SUCCEEDED, files=["/y/one.png"]))  # files fetched elsewhere
    kept = journal.get("a" * 64)
    assert kept.state is State.SUCCEEDED and kept.files == ["/y/one.png"]


def test_one_claim_however_many_race(journal):
    owners = [journal.new_owner() for _ in range(12)]
    barrier = threading.Barrier(len(owners))
    won, errors = [], []

    def race(owner):
        try:
            barrier.wait()
            claimed, _, _ = journal.claim_step("b" * 64, owner, "GPTunnel")
            if claimed:
                won.append(owner)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(won) == 1
    assert journal.claim_step("b" * 64, journal.new_owner(), "GPTunnel") == (False, None, won[0])


def test_a_claim_lives_with_its_heartbeat_and_not_after(journal, monkeypatch):
    monkeypatch.setattr(store, "LEASE", 1.0)
    monkeypatch.setattr(store, "HEARTBEAT", 0.2)
    owner = journal.new_owner()
    assert journal.claim_step("c" * 64, owner, "SeaCloud")[0]
    with journal.heartbeat("c" * 64, owner, longest=60):
        time.sleep(2.0)  # twice the lease: only the heartbeat keeps it
        assert journal.claim_step("c" * 64, journal.new_owner(), "SeaCloud")[2] == owner
    time.sleep(1.3)
    with pytest.raises(GatewayError, match="may have been accepted and charged"):
        journal.claim_step("c" * 64, journal.new_owner(), "SeaCloud")
    # the real answer, when it comes after all, is better than "unknown"
    journal.finish("c" * 64, owner, job(State.QUEUED, fp="c" * 64))
    assert journal.get("c" * 64).task_id == "task-1"


def test_a_failed_job_may_be_sent_again_by_one_run(journal):
    journal.save(job(State.FAILED, fp="d" * 64))
    first, second = journal.new_owner(), journal.new_owner()
    assert journal.claim_step("d" * 64, first, "GPTunnel") == (True, None, None)
    assert journal.claim_step("d" * 64, second, "GPTunnel") == (False, None, first)


def test_forget_deletes_only_finished_jobs(journal):
    journal.save(job(State.SUCCEEDED, fp="e" * 64))
    journal.save(job(State.RUNNING, fp="f" * 64))
    assert journal.forget("e" * 64) and journal.row("e" * 64) is None
    assert not journal.forget("f" * 64) and journal.row("f" * 64) is not None


class Refusal(Exception):
    """What a driver raises, with the SQLSTATE it carries."""

    def __init__(self, sqlstate, text="refused"):
        super().__init__(text)
        self.sqlstate = sqlstate


def operational(sqlstate, text="refused"):
    import sqlalchemy.exc
    return sqlalchemy.exc.OperationalError("UPDATE jobs ...", {}, Refusal(sqlstate, text))


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_retried_never_shown(journal, sqlstate):
    tries = []

    def work(db):
        tries.append(1)
        if len(tries) < 3:
            raise operational(sqlstate)
        return "done"

    assert database.run(journal.engine, journal.where, work) == "done" and len(tries) == 3


def test_a_database_fault_reaches_the_user_as_a_journal_error_only(journal):
    def work(db):
        raise operational(None, "disk I/O error on the server")

    with pytest.raises(journal_pkg.JournalError) as caught:
        database.run(journal.engine, journal.where, work)
    assert caught.value.__suppress_context__ and caught.value.__cause__ is None
    assert journal.where.shown in str(caught.value)


def test_the_password_is_never_shown(tmp_path):
    where = database.place(tmp_path, "postgresql+psycopg://alice:s3cr%40t-pw@db.example:6543/jobs")
    assert where.shown == "PostgreSQL at db.example:6543/jobs"
    error = database.failure(where, "cannot be reached")
    text = str(error) + error.hint
    assert "s3cr" not in text and "alice" not in text
    redact = submodule("providers.errors").redact
    assert "s3cr@t-pw" not in redact("login s3cr@t-pw failed")


@pytest.mark.parametrize("url, words", [
    ("mysql://u:p@h/db", "does not speak"),
    ("postgresql+psycopg2://u:p@h/db", "does not speak"),
    ("postgresql+psycopg://u:p@:5432/db", "no usable host"),
    ("sqlite://", "without a file"),
])
def test_an_unusable_url_says_what_would_work(tmp_path, url, words):
    with pytest.raises(journal_pkg.JournalError, match=words) as caught:
        database.place(tmp_path, url)
    assert "postgresql+psycopg://user:password@host:5432/database" in str(caught.value) or \
        "sqlite:" in str(caught.value)


def test_a_data_directory_that_cannot_be_made_is_a_journal_error(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(journal_pkg.JournalError, match="cannot be opened"):
        journal_pkg.open_journal(blocked / "data")
