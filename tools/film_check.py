"""The storyboard → film example run from ComfyUI's own page, in sandbox mode, without edits:
for each frontend and renderer it opens the template, presses Run (app.queuePrompt), waits for
the run to succeed, and checks that every shot was its own job, that the await node's status
counts the shots, and that Save Video wrote one film. Screenshots go to --out.

    COMFYUI_DIR=/tmp/comfy python3 tools/film_check.py [--out DIR] [--frontend bundled,new]
                                                       [--nodes2 off,on] [--port P]
                                                       [--thumbnail example_workflows/...jpg]

It uses tools/browser_check.py's ComfyUI, page helpers and Chromium (and re-runs itself with the
ComfyUI venv's Python the same way)."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check  # noqa: E402
from browser_check import Check, Session, newest_frontend, page_session  # noqa: E402

TEMPLATE = "storyboard_to_film"
THUMBNAIL = (800, 1024)   # the examples' template thumbnails: 800 wide, about as tall
# Where on the page the thumbnail is cut: right of the sidebar, below the menu bar, left of the
# minimap and the zoom buttons.
THUMBNAIL_AT = (90, 96)
WINDOW_FOR_THUMBNAIL = (1600, 1400)

# The graph fitted into the thumbnail's box (the nodes with their titles and badges, a margin
# round them); returns the box in page pixels.
FIT_GRAPH = """
((left, top, width, height) => {
  const canvas = app.canvas, nodes = (app.rootGraph ?? app.graph)._nodes;
  const title = LiteGraph.NODE_TITLE_HEIGHT, margin = 24;
  const x0 = Math.min(...nodes.map((n) => n.pos[0])) - margin;
  const y0 = Math.min(...nodes.map((n) => n.pos[1] - title)) - 20 - margin;
  const x1 = Math.max(...nodes.map((n) => n.pos[0] + n.size[0])) + margin;
  const y1 = Math.max(...nodes.map((n) => n.pos[1] + n.size[1])) + margin;
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  const rect = canvas.canvas.getBoundingClientRect();
  canvas.ds.scale = scale;
  canvas.ds.offset[0] = (left - rect.left + (width - (x1 - x0) * scale) / 2) / scale - x0;
  canvas.ds.offset[1] = (top - rect.top) / scale - y0;
  canvas.deselectAll?.();
  canvas.setDirty(true, true);
  return { scale, graph: [x1 - x0, y1 - y0] };
})
"""

# Pairs of nodes whose boxes on the page overlap: a Vue node's element, else the canvas node
# (title bar included) at the canvas's scale and offset.
OVERLAPS = """
(() => {
  const canvas = app.canvas, rect = canvas.canvas.getBoundingClientRect();
  const { scale, offset } = canvas.ds, title = LiteGraph.NODE_TITLE_HEIGHT;
  const boxes = (app.rootGraph ?? app.graph)._nodes.map((n) => {
    const e = document.querySelector(`.lg-node[data-node-id="${n.id}"]`);
    if (e) { const r = e.getBoundingClientRect(); return [n.title, r.left, r.top, r.right, r.bottom]; }
    const x = (v) => rect.left + (v + offset[0]) * scale, y = (v) => rect.top + (v + offset[1]) * scale;
    return [n.title, x(n.pos[0]), y(n.pos[1] - title), x(n.pos[0] + n.size[0]), y(n.pos[1] + n.size[1])];
  });
  const over = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    if (a[1] < b[3] - 1 && b[1] < a[3] - 1 && a[2] < b[4] - 1 && b[2] < a[4] - 1) over.push(`${a[0]} / ${b[0]}`);
  }));
  return over;
})()
"""


def thumbnail(session: Session, path: Path) -> None:
    """The finished run as the template browser shows it: the whole graph fitted into 800x1024
    at the top left of the canvas, saved as JPEG."""
    from PIL import Image

    left, top = THUMBNAIL_AT
    width, height = THUMBNAIL
    fitted = session.js(f"{FIT_GRAPH}({left}, {top}, {width}, {height})")
    time.sleep(1.5)
    session.shot("film-fitted")  # the whole page, the graph as in the thumbnail
    png = session.page.screenshot(session.check.out / f"{session.label}-thumbnail.png",
                                  clip={"x": left, "y": top, "width": width, "height": height})
    Image.open(png).convert("RGB").save(path, quality=85, optimize=True)
    print(f"  thumbnail {path} ({width}x{height}, graph {fitted['graph']} at scale "
          f"{fitted['scale']:.2f})", flush=True)


def film_run(session: Session, shots_expected: int, thumbnail_to: Path | None = None) -> None:
    saved = session.js(f"__mg.template({json.dumps(TEMPLATE)})")
    session.js(f"__mg.load({json.dumps(saved)})")
    session.reload()  # as a user finds it after a reload: the values as saved
    before = {str(n["id"]): n.get("widgets_values", []) for n in saved["nodes"]}
    after = session.js("__mg.values()")
    session.ok("storyboard_to_film after reload: every saved value as saved",
               browser_check._same(before, after), browser_check._diff(before, after))
    session.js("app.canvas.ds.scale = 0.62; __mg.focus('GatewayShotsPrompt', 40)")
    history_before = set(session.comfy.get("/history"))
    session.js("app.queuePrompt(0, 1).then(String)")
    line = session.page.wait_for(
        "(() => { const s = __mg.status('GatewayAwaitVideo'); "
        "return s && / of \\d+ done/.test(s.state.line || '') ? s.state.line : null })()",
        timeout=120)
    session.ok("the await node's status line counts the shots", line, line)
    session.shot("film-running")
    deadline = time.monotonic() + 300
    entry = None
    while time.monotonic() < deadline:
        new = [k for k in session.comfy.get("/history") if k not in history_before]
        if new:
            entry = session.comfy.get(f"/history/{new[0]}")[new[0]]
            if entry.get("status", {}).get("completed") is not None:
                break
        time.sleep(0.5)
    status = (entry or {}).get("status", {})
    if not session.ok("the example runs in sandbox mode without edits",
                      status.get("status_str") == "success", json.dumps(status)[:600]):
        return
    time.sleep(2)
    session.shot("film-finished")
    overlapping = session.js(OVERLAPS)
    session.ok("after the run no node has grown over another", not overlapping, overlapping)
    if thumbnail_to:
        thumbnail(session, thumbnail_to)
        # the Gateway tasks tab (the run's shots together) with the graph fitted beside it
        session.js("__mg.openTasks()")
        right = session.js("Math.round(document.querySelector('.mg-tasks')"
                           ".getBoundingClientRect().right)")
        session.js(f"{FIT_GRAPH}({right + 30}, {THUMBNAIL_AT[1]}, {THUMBNAIL[0]}, "
                   f"{THUMBNAIL[1]})")
        time.sleep(1.5)
        session.shot("film-tasks")
    outputs = entry["outputs"]
    awaited = next((o for node, o in outputs.items() if node == "5"), {})
    session.ok(f"each of the {shots_expected} shots awaited and kept",
               len(awaited.get("images", [])) == shots_expected, awaited)
    saved_film = [item for o in outputs.values() for item in o.get("images", []) +
                  o.get("videos", []) if "model_gateway_film" in item.get("filename", "")]
    session.ok("Save Video wrote one film", len(saved_film) == 1, outputs)
    jobs = session.js("fetch('/model_gateway/tasks').then((r) => r.json())")["jobs"]
    videos = [j for j in jobs if j.get("kind") == "video"]
    session.ok(f"{shots_expected} video jobs in the Gateway tasks list",
               len(videos) >= shots_expected, len(videos))


def run(args) -> int:
    comfyui = Path(args.comfyui).resolve()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mg-film-check-"))
    check = Check(out)
    saved = json.loads((browser_check.ROOT / "example_workflows" / f"{TEMPLATE}.json")
                       .read_text())
    shots = next(n for n in saved["nodes"] if n["type"] == "GatewayShotsPrompt")
    made_thumbnail = None
    if args.thumbnail:
        # the badges above the nodes name the pack's folder: a user's, not the check's
        browser_check.PACK_FOLDER = "model_gateway_nodes"
    try:
        for which in args.frontend.split(","):
            root = None if which == "bundled" else newest_frontend(comfyui)
            for nodes2 in args.nodes2.split(","):
                name = f"{which}-nodes2-{nodes2}"
                thumbnail_to = None
                if args.thumbnail and not made_thumbnail:
                    thumbnail_to = made_thumbnail = Path(args.thumbnail).resolve()
                with page_session(args, comfyui, root, work, check, name, nodes2,
                                  {"Comfy.Graph.CanvasInfo": False} if thumbnail_to else None,
                                  WINDOW_FOR_THUMBNAIL if thumbnail_to else (1600, 1000)
                                  ) as session:
                    browser_check._guarded(session, film_run, session,
                                           shots["widgets_values"][0], thumbnail_to)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return check.report()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comfyui", default=os.environ.get("COMFYUI_DIR", ""))
    parser.add_argument("--frontend", default="bundled,new")
    parser.add_argument("--nodes2", default="off,on")
    parser.add_argument("--out", default="film-check")
    parser.add_argument("--port", type=int, default=8299)
    parser.add_argument("--devtools-port", type=int, default=9299)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--thumbnail", metavar="JPG",
                        help="in the first frontend and renderer, after the run, save the "
                             "template's thumbnail (800x1024) there, e.g. "
                             "example_workflows/storyboard_to_film.jpg")
    args = parser.parse_args()
    if not args.comfyui:
        parser.error("give --comfyui or set COMFYUI_DIR")
    try:
        import websocket  # noqa: F401  (in ComfyUI's venv, as for browser_check.py)
    except ImportError:
        python = Path(args.comfyui) / ".venv" / "bin" / "python"
        os.execv(str(python), [str(python), __file__, *sys.argv[1:]])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
