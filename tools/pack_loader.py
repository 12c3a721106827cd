"""Load the pack the way ComfyUI does: its folder's __init__.py under a module name of the
loader's choosing, so that its relative imports resolve. Used by the tests and by the tools."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_pack(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "__init__.py",
                                                  submodule_search_locations=[str(ROOT)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class SyncNodes(dict):
    """The pack's NODE_CLASS_MAPPINGS for plain (non-async) callers such as the tests and the
    benchmarks: a node's coroutine method, called, runs to its end in an event loop of its
    own, as ComfyUI's executor would await it. Class attributes pass through."""

    def __init__(self, mappings):
        super().__init__({name: _SyncClass(cls) for name, cls in mappings.items()})


class _SyncClass:
    def __init__(self, cls):
        self._cls = cls

    def __call__(self, *args, **kwargs):
        return _SyncInstance(self._cls(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self._cls, name)


class _SyncInstance:
    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        import asyncio
        import inspect

        value = getattr(self._obj, name)
        if inspect.iscoroutinefunction(value):
            return lambda *args, **kwargs: asyncio.run(value(*args, **kwargs))
        return value
