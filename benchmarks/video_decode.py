"""decode_video (one preallocated tensor) against plain PyAV + torch.stack, on a 1080p mp4.

Run: python3 benchmarks/video_decode.py [--runs 3] [--width 1920 --height 1080 --seconds 5]

Writes a 1920x1080, 5 s, 24 fps H.264 mp4 with AAC audio into a temp dir (make_mp4, with its
drifting-noise texture so the bitrate is camera-like rather than a near-empty stream), then
decodes it with each method in a fresh interpreter, so that the peak RSS (ru_maxrss, which
sees torch's allocations, unlike tracemalloc) of one method cannot hide the other's. Each
child records ru_maxrss after its imports and after decoding; the difference is the peak
memory the decode added. Prints seconds, frames/s, peak increase, output size, peak/output
and the speed ratio against decode_video (median time and largest peak over --runs).

Methods:
  decode_video   nodes/video_decode.decode_video (frames and audio)
  plain          the usual loop: a list of float frames, then torch.stack
  plain+threads  the same loop with the decoder's thread_type="AUTO", as decode_video sets
                 it, to separate the threading gain from the memory strategy
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _video_kit import LOAD_PACK, PACK, clip_arguments, load_pack, make_clip, run_child  # noqa: E402

CHILD = LOAD_PACK + """
import json, resource, time
import av, numpy, torch
path, method = sys.argv[1], sys.argv[2]
decode_video = importlib.import_module({pack!r} + ".nodes.video_decode").decode_video
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss          # KiB on Linux
start = time.perf_counter()
if method == "decode_video":
    result = decode_video(path, memory_budget_bytes=64 << 30)
    out = result.frames
    audio = result.audio["waveform"]
else:
    container = av.open(path)
    if method == "plain+threads":
        container.streams.video[0].thread_type = "AUTO"
    frames = [torch.from_numpy(f.to_ndarray(format="rgb24")).float()/255
              for f in container.decode(video=0)]
    out = torch.stack(frames)
    del frames
    container.close()
    audio = None
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "frames": out.shape[0], "shape": list(out.shape),
                  "out_bytes": out.numel() * out.element_size(),
                  "audio": list(audio.shape) if audio is not None else None,
                  "peak_bytes": (after - before) * 1024}))
""".replace("{pack!r}", repr(PACK))


def run(path: Path, method: str) -> dict:
    return run_child(CHILD, str(path), method, timeout=900, name=method)


def gib(size: float) -> str:
    return f"{size / 2 ** 30:.2f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    clip_arguments(parser)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    load_pack()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.mp4"
        took = make_clip(path, args)
        print(f"wrote {args.width}x{args.height}, {args.seconds:g} s at {args.fps} fps with "
              f"audio: {path.stat().st_size / 2 ** 20:.1f} MiB in "
              f"{took:.1f} s; {args.runs} run(s) per method, each in a "
              f"fresh interpreter\n")

        methods = ("decode_video", "plain", "plain+threads")
        results = {m: [] for m in methods}
        for _ in range(args.runs):                      # interleaved, so drift hits all alike
            for method in methods:
                results[method].append(run(path, method))

    summary = {}
    for method, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_bytes"] for r in runs)
        first = runs[0]
        summary[method] = (seconds, peak, first)
    base = summary["decode_video"][0]
    header = (f"{'method':<14} {'seconds':>8} {'frames/s':>9} {'peak RSS +':>11} "
              f"{'output':>10} {'peak/out':>9} {'time vs decode_video':>21}")
    print(header)
    print("-" * len(header))
    for method, (seconds, peak, first) in summary.items():
        print(f"{method:<14} {seconds:8.2f} {first['frames'] / seconds:9.1f} {gib(peak):>11} "
              f"{gib(first['out_bytes']):>10} {peak / first['out_bytes']:9.2f} "
              f"{seconds / base:20.2f}x")
    print(f"\noutput {summary['decode_video'][2]['shape']} float32; decode_video audio "
          f"{summary['decode_video'][2]['audio']}. decode_video's time includes its audio "
          f"pass; the plain loops decode no audio.")
    print("all runs:", json.dumps({m: [[round(r['seconds'], 2), round(r['peak_bytes'] / 2 ** 30, 2)]
                                       for r in runs] for m, runs in results.items()}))


if __name__ == "__main__":
    main()
