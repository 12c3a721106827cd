"""A small, fixed-seed run of benchmarks/chaos.py: every paid operation under a random fault
mix, re-run as a user would, with nothing lost, paid twice, wrong, unclear or hung."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import PACK, submodule

spec = importlib.util.spec_from_file_location(
    "chaos_bench", Path(__file__).resolve().parent.parent / "benchmarks" / "chaos.py")
chaos = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = chaos  # its dataclasses look their module up
spec.loader.exec_module(chaos)


@pytest.fixture
def chaotic(emulator, monkeypatch):
    monkeypatch.setenv("MODEL_GATEWAY_TIMEOUT_SCALE", "0.01")
    emulator.jobs.queue_seconds, emulator.jobs.run_seconds = 0.1, 0.2
    return emulator


def test_every_operation_under_a_fault_mix(chaotic):
    results = chaos.run_chaos(PACK, chaotic, requests=3, rate=0.3, seed=11)
    assert len(results) == len(chaos.operations(PACK))
    defects = {name: {c: getattr(t, c) for c in chaos.DEFECTS if getattr(t, c)}
               for name, t in results.items()}
    assert not any(defects.values()), (defects, [t.examples for t in results.values()])
    assert sum(t.completed for t in results.values()) >= len(results), "mostly completes"
    faulted = [r for r in chaotic.requests if r.fault]
    assert len({r.fault for r in faulted}) >= 8, "the mix really misbehaved in many ways"


def test_the_chaos_run_sees_a_create_paid_twice(chaotic, monkeypatch):
    """The check can fail: with the old journal, which dropped its claim when an answer was
    cut, every re-run creates the job again."""
    journal = submodule("providers.journal").Journal
    monkeypatch.setattr(journal, "mark_unknown",
                        lambda self, fp, owner, note, hint="": self.release(fp, owner))
    results = chaos.run_chaos(PACK, chaotic, requests=1, rate=1.0, seed=3, kinds=("truncated",),
                              names=["SeaCloud queue image"])
    assert results["SeaCloud queue image"].duplicate >= 2
