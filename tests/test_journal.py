"""The journal under concurrency: workers opening a fresh journal and claiming at once."""
from __future__ import annotations

import asyncio
import threading

from conftest import submodule

comfy = submodule("nodes.comfy")
tasks = submodule("providers.tasks")
lifecycle = submodule("providers.lifecycle")


def test_many_workers_open_and_use_a_fresh_journal_at_once(emulator):
    workers = 16
    barrier = threading.Barrier(workers)
    errors, jobs = [], []

    def work(index):
        try:
            barrier.wait()
            journal = comfy.journal()
            job = asyncio.run(lifecycle.submit_once(
                journal, f"fp-{index % 4}",  # four requests, each wanted by four workers
                lambda fp: tasks.Job("gptunnel", "seedream3", f"task-{index}", fp,
                                     "seedream-3", "image"),
                lease=30, gateway_title="GPTunnel"))
            jobs.append(job)
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # each request was submitted once; everyone wanting it got that same job
    by_request = {}
    for job in jobs:
        by_request.setdefault(job.fingerprint, set()).add(job.task_id)
    assert len(by_request) == 4 and all(len(ids) == 1 for ids in by_request.values())


def test_journals_opened_at_once_on_a_fresh_file(tmp_path):
    """Switching to WAL fails at once (it does not wait) while another connection is busy;
    opening must tolerate that. The race is rare, so it is run many times."""
    journal = submodule("providers.journal")
    for round_ in range(40):
        path = tmp_path / f"journal-{round_}.sqlite3"
        barrier = threading.Barrier(12)
        errors = []

        def work(index):
            try:
                barrier.wait()
                opened = journal.Journal(journal.place(tmp_path, f"sqlite:///{path}"))
                opened.save(tasks.Job("gptunnel", "seedream3", f"t{index}", f"fp{index}",
                                      "seedream-3", "image"))
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"round {round_}: {errors[0]!r}"
