"""Waiting without holding a thread: blocking work (an HTTP call, a decode) runs in a thread of
its own, only while it runs, and the event loop awaits it, checking for Cancel as it goes.

A thread of its own, not the loop's default executor: ComfyUI's loop has min(32, cores + 4)
executor threads (6 on two cores), so long sends and streams parked there would cap how many
branches can wait side by side and starve ComfyUI's own use of it."""
from __future__ import annotations

import asyncio
import threading
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")
CancelCheck = Callable[[], None]  # raises when the user pressed Cancel
TICK = 0.1  # how often a wait looks at Cancel


def in_thread(work: Callable[[], T]) -> "asyncio.Future[T]":
    """Start work() in a daemon thread; the future gets its value or exception. The thread
    runs to its end even if nobody awaits the future any more."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        try:
            loop.call_soon_threadsafe(outcome)
        except RuntimeError:  # the loop is gone (its run ended): nobody is waiting
            pass

    def run():
        try:
            value = work()
        except BaseException as exc:  # handed to the awaiting coroutine
            # (bound now: the name `exc` is gone once this block ends, before the loop runs it)
            settle(lambda error=exc: future.done() or future.set_exception(error))
        else:
            settle(lambda: future.done() or future.set_result(value))

    threading.Thread(target=run, daemon=True, name="model-gateway-work").start()
    return future


async def until_done(awaitable: Awaitable[T], check_cancelled: CancelCheck | None = None,
                     every: Callable[[], None] | None = None) -> T:
    """Await it, calling check_cancelled every TICK seconds (Cancel raises here; what runs
    behind the awaitable goes on) and `every` about once a second (a clock on the node)."""
    future = asyncio.ensure_future(awaitable)
    ticks = 0
    while True:
        # Looked at before every wait, not only after a full TICK: a loop of short waits (a
        # poll, a brief sleep) must notice Cancel too.
        if check_cancelled:
            check_cancelled()
        done, _ = await asyncio.wait({future}, timeout=TICK)
        if done:
            return future.result()
        ticks += 1
        if every and ticks % round(1 / TICK) == 0:
            every()


async def sleep(seconds: float, check_cancelled: CancelCheck | None = None,
                every: Callable[[], None] | None = None) -> None:
    """asyncio.sleep that notices Cancel within TICK seconds and ticks `every` each second."""
    await until_done(asyncio.sleep(max(0.0, seconds)), check_cancelled, every)


async def in_thread_until_done(work: Callable[[], T], check_cancelled: CancelCheck | None = None,
                               every: Callable[[], None] | None = None) -> T:
    return await until_done(in_thread(work), check_cancelled, every)
