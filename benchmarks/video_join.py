"""Join Video Shots on 8 clips of 5 s 1080p: copying packets (remux) and the streaming re-encode
against decode-and-stack (every frame of every clip decoded into one float tensor, as a node
built on IMAGE batches would, then encoded).

Run: python3 benchmarks/video_join.py [--clips 8] [--seconds 5] [--width 1920 --height 1080]
                                      [--stack-clips 1] [--runs 1]

The clips are H.264 1920x1080 at 24 fps with AAC sound (make_mp4, with its drifting-noise texture
so the bitrate is camera-like), written once into a temp folder and kept there for later runs.
Each method runs in a fresh interpreter, which reports its wall time and the peak resident memory
it added after its imports (Linux: the high-water mark is reset through /proc/self/clear_refs
once the imports are done, then VmHWM minus the VmRSS at that moment).

Methods:
  remux       nodes/clip_join.join, mode auto on matching clips: video packets copied, sound
              re-encoded to AAC
  re-encode   the same join, mode re-encode: every frame decoded and encoded (libx264 veryfast
              crf 18), one at a time (what clips that differ in size or fps get)
  stack       decode-and-stack: each clip decoded into a list of float32 [H,W,3] frames and
              torch.stack'ed (ComfyUI's VideoFromFile.get_components does this), the clips
              torch.cat'ed, then every frame encoded (libx264 veryfast crf 18), no sound.
              8 clips of 1080p would need about 2 x 24 GB; it is run on --stack-clips clips
              (1 by default) and its figures scaled linearly to --clips, marked as such.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _video_kit import LOAD_PACK, PACK, clip_arguments, load_pack, make_clip, run_child  # noqa: E402

CHILD = LOAD_PACK + """
import json, os, time
from fractions import Fraction
import av, numpy, torch
method, out, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
cj = importlib.import_module({pack!r} + ".nodes.clip_join")
def status_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
# The imports' own peak (torch) is above what a join adds: reset the high-water mark to what is
# resident now, so the peak measured is the method's.
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = status_kib("VmRSS")                                          # KiB
start = time.perf_counter()
if method in ("remux", "re-encode"):
    clips = [cj.probe(p, i + 1, node="bench") for i, p in enumerate(paths)]
    joined = cj.join(clips, out, mode="auto" if method == "remux" else "re-encode",
                     node="bench")
    assert joined.method == method, joined.method
    frames = joined.frames
else:
    stacks = []
    for p in paths:
        with av.open(p) as container:
            rate = container.streams.video[0].average_rate
            decoded = [torch.from_numpy(f.to_ndarray(format="rgb24")) / 255.0
                       for f in container.decode(video=0)]
        stacks.append(torch.stack(decoded))
        del decoded
    images = torch.cat(stacks) if len(stacks) > 1 else stacks[0]
    del stacks
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(rate))
        stream.width, stream.height, stream.pix_fmt = images.shape[2], images.shape[1], "yuv420p"
        stream.codec_context.options = dict(cj.ENCODER_OPTIONS)
        for image in images:
            pixels = (image * 255).clamp(0, 255).byte().numpy()
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    frames = images.shape[0]
seconds = time.perf_counter() - start
after = status_kib("VmHWM")
print(json.dumps({"seconds": seconds, "frames": int(frames), "peak_bytes": (after - before) * 1024,
                  "out_bytes": os.path.getsize(out)}))
""".replace("{pack!r}", repr(PACK))


def clips(args) -> list[Path]:
    """args.clips copies of one generated clip (make_mp4 is deterministic: 8 renders would be
    8 identical files), kept in the temp folder for the next run."""
    folder = Path(tempfile.gettempdir()) / (f"model_gateway_join_bench_{args.width}x"
                                            f"{args.height}_{args.seconds:g}s_{args.fps}")
    folder.mkdir(exist_ok=True)
    first = folder / "shot_1.mp4"
    if not first.exists():
        partial = folder / "shot_1.partial.mp4"
        took = make_clip(partial, args)
        partial.replace(first)
        print(f"wrote {first} in {took:.1f} s")
    paths = [first]
    for i in range(2, args.clips + 1):
        path = folder / f"shot_{i}.mp4"
        if not path.exists():
            shutil.copyfile(first, path)
        paths.append(path)
    return paths


def run(method: str, paths: list[Path], out: Path) -> dict:
    return run_child(CHILD, method, str(out), *map(str, paths), timeout=3600, name=method)


def mib(size: float) -> str:
    return f"{size / 2 ** 20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    clip_arguments(parser)
    parser.add_argument("--stack-clips", type=int, default=1,
                        help="clips decode-and-stack really runs on (scaled to --clips)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    load_pack()
    paths = clips(args)
    size = sum(p.stat().st_size for p in paths)
    print(f"{args.clips} clips of {args.width}x{args.height}, {args.seconds:g} s at {args.fps} "
          f"fps with AAC sound, {mib(size)} in all; {args.runs} run(s) per method, each in a "
          f"fresh interpreter\n")
    stack_clips = max(1, min(args.stack_clips, args.clips))
    plan = [("remux", paths), ("re-encode", paths), ("stack", paths[:stack_clips])]
    results = {method: [] for method, _ in plan}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.runs):
            for method, inputs in plan:
                results[method].append(run(method, inputs, Path(folder) / f"{method}.mp4"))

    scale = {"remux": 1, "re-encode": 1, "stack": args.clips / stack_clips}
    summary = {}
    for method, runs in results.items():
        summary[method] = (statistics.median(r["seconds"] for r in runs) * scale[method],
                           max(r["peak_bytes"] for r in runs) * scale[method],
                           runs[0]["frames"] * scale[method])
    base_time, base_peak, _ = summary["remux"]
    header = (f"{'method':<10} {'frames':>7} {'seconds':>8} {'frames/s':>9} {'peak RSS +':>12} "
              f"{'time vs remux':>14} {'memory vs remux':>16}")
    print(header)
    print("-" * len(header))
    for method, (seconds, peak, frames) in summary.items():
        note = f"   (scaled from {stack_clips} clip{'s' * (stack_clips > 1)})" \
            if scale[method] != 1 else ""
        print(f"{method:<10} {frames:7.0f} {seconds:8.2f} {frames / seconds:9.1f} "
              f"{mib(peak):>12} {seconds / base_time:13.1f}x {peak / max(base_peak, 1):15.1f}x{note}")
    print("\nall runs:", json.dumps({m: [[round(r["seconds"], 2), round(r["peak_bytes"] / 2 ** 20)]
                                         for r in runs] for m, runs in results.items()}))


if __name__ == "__main__":
    main()
