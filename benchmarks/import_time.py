"""How long importing the pack takes on top of torch, as ComfyUI imports it.
Run: python benchmarks/import_time.py  (prints the median of several fresh interpreters)."""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = f"""
import importlib.util, sys, time
import torch
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("model_gateway_nodes", {str(ROOT / "__init__.py")!r},
                                              submodule_search_locations=[{str(ROOT)!r}])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""


def main(runs: int = 7) -> None:
    times = [float(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    median = statistics.median(times)
    print(f"pack import on top of torch: median {median * 1000:.1f} ms over {runs} runs "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}); budget 100 ms, "
          f"ratio {median / 0.1:.2f}")


if __name__ == "__main__":
    main()
