"""What benchmarks/video_decode.py and video_join.py share: the pack loaded under its own name
(in the benchmark and in each child interpreter), the test clip, and a method run in a fresh
interpreter that prints its figures as JSON on its last line.

The clip is an H.264 mp4 with AAC sound made by the emulator's make_mp4 with its drifting-noise
texture, so the bitrate is camera-like rather than a near-empty stream. Not a benchmark itself."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
PACK = "model_gateway_nodes_bench"

sys.path.insert(0, str(TOOLS))
import pack_loader  # noqa: E402

# The start of every child's code: the pack loaded as the benchmark loads it.
LOAD_PACK = f"""
import importlib, sys
sys.path.insert(0, {str(TOOLS)!r})
import pack_loader
pack_loader.load_pack({PACK!r})
"""


def load_pack():
    return pack_loader.load_pack(PACK)


def clip_arguments(parser) -> None:
    """--width, --height, --seconds and --fps of the test clip (1080p, 5 s, 24 fps)."""
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--fps", type=int, default=24)


def make_clip(path: Path, args) -> float:
    """Write the test clip of args' size, length and rate to path; the seconds it took."""
    make_mp4 = importlib.import_module(f"{PACK}.providers.emulator.media").make_mp4
    start = time.perf_counter()
    make_mp4(path, width=args.width, height=args.height, seconds=args.seconds, fps=args.fps,
             audio=True, texture=True)
    return time.perf_counter() - start


def run_child(code: str, *argv: str, timeout: float, name: str) -> dict:
    """Run code (LOAD_PACK + the method) in a fresh interpreter; the JSON on its last line."""
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
