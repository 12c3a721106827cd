"""The emulator misbehaving on request, the way real gateways and networks do.

A fault either refuses a request before the gateway looks at it (the job is never made), or
spoils the delivery of an answer the gateway did make (the job exists, the client may not know):

  before: "500", "503", "429" (with Retry-After), "reset_before" (connection reset, no answer)
  after:  "502", "504" (a proxy lost the answer), "reset" (connection reset after the work),
          "truncated" (body cut short), "non_json" (an HTML page with 200), "slow" (answers
          after `delay`), "late" (answers after `delay`, meant to outlast the client's timeout),
          "cut_stream" (a stream closed midway), "stall" (a stream that goes silent for
          `delay`), "trickle" (one byte every `delay` seconds), "gzip" (content-encoded: not a
          fault, but what some proxies do), "cr_lines" (SSE with CR-only line endings)
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

BEFORE = {"500", "503", "429", "reset_before"}
AFTER = {"502", "504", "reset", "truncated", "non_json", "slow", "late", "cut_stream", "stall",
         "trickle", "gzip", "cr_lines"}
KINDS = BEFORE | AFTER
# What a random mix draws from: every kind that a well-behaved client must survive.
CHAOS_KINDS = ("500", "503", "429", "reset_before", "502", "504", "reset", "truncated",
               "non_json", "slow", "late", "cut_stream", "stall")


@dataclass
class Fault:
    kind: str
    delay: float = 0.0  # seconds, for slow / late / stall / trickle / Retry-After

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(sorted(KINDS))}")

    @property
    def before(self) -> bool:
        return self.kind in BEFORE


@dataclass
class _Scripted:
    gateway: str
    path_contains: str
    fault: Fault
    times: int


@dataclass
class _Chaos:
    rate: float
    rng: random.Random
    kinds: tuple[str, ...]
    gateways: tuple[str, ...] | None
    delays: dict[str, float]


@dataclass
class FaultPlan:
    """Faults scripted for the next matching requests, and an optional random mix."""
    scripted: list[_Scripted] = field(default_factory=list)
    chaos: _Chaos | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, gateway: str, path_contains: str, fault: Fault, times: int) -> None:
        with self._lock:
            self.scripted.append(_Scripted(gateway, path_contains, fault, times))

    def mix(self, rate: float, seed: int, kinds=CHAOS_KINDS, gateways=None,
            delays: dict[str, float] | None = None) -> None:
        """Faults on about `rate` of the requests (to `gateways`, default all, "cdn" included),
        drawn from `kinds`; `delays` gives the seconds of slow/late/stall/trickle (a "late"
        answer should outlast the client's timeout, a "slow" one not)."""
        with self._lock:
            self.chaos = _Chaos(rate, random.Random(seed), tuple(kinds),
                                tuple(gateways) if gateways else None,
                                {"slow": 0.2, "late": 2.0, "stall": 2.0, "trickle": 0.01,
                                 **(delays or {})})

    def clear(self) -> None:
        with self._lock:
            self.scripted.clear()
            self.chaos = None

    def draw(self, gateway: str, path: str, *, chaos: bool = True,
             aimed=lambda path, text: text in path) -> Fault | None:
        """The fault for this request, if any (a scripted one first, then chaos where
        `chaos`); `aimed(path, text)` says whether a fault scripted for `text` is meant for it."""
        with self._lock:
            for scripted in self.scripted:
                if scripted.gateway == gateway and aimed(path, scripted.path_contains):
                    scripted.times -= 1
                    if scripted.times <= 0:
                        self.scripted.remove(scripted)
                    return scripted.fault
            if not chaos:
                return None
            chaos = self.chaos
            if chaos is None or (chaos.gateways and gateway not in chaos.gateways):
                return None
            if chaos.rng.random() >= chaos.rate:
                return None
            kind = chaos.rng.choice(chaos.kinds)
            return Fault(kind, chaos.delays.get(kind, 1.0))
