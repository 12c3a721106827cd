"""The pack in a real ComfyUI, through its own page in headless Chromium: every frontend given,
with the Vue node renderer ("Nodes 2.0") off and on, in English, Chinese and Russian.

    COMFYUI_DIR=/tmp/comfy python3 tools/browser_check.py [--out DIR] [--frontend bundled,new]
                                                          [--nodes2 off,on] [--port 8190]

COMFYUI_DIR is a ComfyUI folder with its venv in .venv, as ../shared/comfyui/setup.sh builds it
(with the newest frontend beside the bundled one, in frontend-<version>/). The script re-runs
itself with that venv's Python, which has websocket-client (the DevTools protocol's transport;
tools/cdp.py is the client). It downloads nothing: Chromium is Debian's (/usr/bin/chromium, or
--chromium), driven over the DevTools protocol on 127.0.0.1.

For each frontend and renderer it starts that ComfyUI on 127.0.0.1 with only this pack (a fresh
base directory whose custom_nodes/ links to this repository), sandbox mode on (the built-in
emulator: nothing is paid), its own user directory, and checks:

  1 every example workflow loads, and after a page reload: no missing-node dialog, no
    placeholder node, every saved value exactly as saved
  2 saved values the model does not allow (Seedance 2.0 at 3 s, 1080p on a fast model, Wan 7 s,
    Anthropic temperature 1.5) stay as saved, are marked on the node, and the run is refused
    before anything reaches the server
  3 the key panel is as wide as the settings dialog, with no stray "null"
  4 the status line fits its node, breaks no word, and is cleared by Cancel; the usage line fits
  5 in zh and ru: the settings category, the key panel, the status and usage lines
  6 prices (issue 17): with a price set through POST /model_gateway/money, the badge on a paid
    node of two example workflows shows one run's price, whole, above the title, with its source
    in the tooltip, and follows the count and duration widgets; an LLM priced by OpenComputing's
    published list (the emulator's) follows max_tokens; "price unknown" where none is known; Settings → Prices and budgets writes a price and names a refused one next to its
    field; the Gateway tasks tab shows the workflow's total and the day budget; the key panel and
    the Gateway tasks tab show the balance where GET /model_gateway/money has one (skipped where
    it has none); and a budget below one run is refused at queue time (a node error naming the
    budget, for a script's post and shown on the page for a Run), nothing sent
  and every node's help page (en, zh, ru), and the Gateway tasks tab: it lists the jobs with previews, shows what each gateway reported,
  names on each job the worker that made it (this ComfyUI's host and process id), and resumes
  waiting for a job left unfinished by Cancel.

Screenshots go to --out (default ./browser-check), one per check and setup. Exit status 0 when
every check passed."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
PACK_FOLDER = "model_gateway_check"  # the pack's folder name inside the check's ComfyUI
WORKFLOWS = sorted(p.stem for p in (ROOT / "example_workflows").glob("*.json"))


def reexec_in_comfyui_venv(comfyui: Path) -> None:
    """websocket-client lives in ComfyUI's venv (setup.sh installs it there)."""
    try:
        import websocket  # noqa: F401
        return
    except ImportError:
        pass
    python = comfyui / ".venv" / "bin" / "python"
    if not python.exists() or Path(sys.prefix).resolve() == (comfyui / ".venv").resolve():
        sys.exit("websocket-client is not installed: run this with a Python that has it "
                 f"(e.g. {python}), or pip install websocket-client")
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


# -- ComfyUI ------------------------------------------------------------------------------------

class ComfyUI:
    def __init__(self, folder: Path, port: int, frontend_root: Path | None, work: Path, name: str):
        self.folder, self.port, self.frontend_root = folder, port, frontend_root
        self.base = work / f"base-{name}"
        self.log_path = work / f"comfyui-{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ComfyUI":
        (self.base / "custom_nodes").mkdir(parents=True, exist_ok=True)
        (self.base / "user").mkdir(exist_ok=True)
        link = self.base / "custom_nodes" / PACK_FOLDER
        if not link.exists():
            link.symlink_to(ROOT, target_is_directory=True)
        command = [str(self.folder / ".venv" / "bin" / "python"), "main.py", "--cpu",
                   "--listen", "127.0.0.1", "--port", str(self.port),
                   "--base-directory", str(self.base), "--user-directory", str(self.base / "user"),
                   "--disable-auto-launch"]
        if self.frontend_root:
            command += ["--front-end-root", str(self.frontend_root)]
        env = {**os.environ, "MODEL_GATEWAY_SANDBOX": "1"}
        env.pop("MODEL_GATEWAY_DATA_DIR", None)
        env.pop("MODEL_GATEWAY_KEYS_FILE", None)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=self.folder, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ComfyUI exited; see {self.log_path}")
            try:
                self.get("/system_stats")
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"ComfyUI did not answer on port {self.port}; see {self.log_path}")

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def setting(self, name: str, value) -> None:
        request = urllib.request.Request(f"{self.url}/api/settings/{name}", method="POST",
                                         data=json.dumps(value).encode())
        urllib.request.urlopen(request, timeout=10).close()

    def prompts_received(self) -> int:
        return self.log_path.read_text(errors="replace").count("got prompt")

    def stop(self) -> None:
        from cdp import stop_process_group
        stop_process_group(self.process, grace=20)
        if getattr(self, "log", None):
            self.log.close()


# -- the page -------------------------------------------------------------------------------------

READY = ("!!(window.app && app.graph && window.LiteGraph && "
         "LiteGraph.registered_node_types.OpenComputingTextToVideo && app.extensionManager)")

# JS helpers put on the page once per load (window.__mg).
HELPERS = r"""
window.__mg = {
  async template(name) {
    const response = await fetch(`/api/workflow_templates/%PACK%/${name}.json`);
    return await response.json();
  },
  async load(workflow) {
    await app.loadGraphData(JSON.parse(JSON.stringify(workflow)));
    await new Promise((r) => setTimeout(r, 600));
  },
  nodes() {
    const graph = app.rootGraph ?? app.graph;
    return graph._nodes ?? graph.nodes;
  },
  // placeholders: nodes whose class is not the registered one, or that say they are broken
  placeholders() {
    return this.nodes().filter((n) => {
      const registered = LiteGraph.registered_node_types[n.type];
      return !registered || !(n instanceof registered) || (n.widgets ?? []).some((w) => w.name === "UNKNOWN");
    }).map((n) => n.type);
  },
  missingDialog() {
    return [...document.querySelectorAll('[role=dialog], .p-dialog')].map((d) => d.innerText)
      .filter((t) => /missing/i.test(t) && /node/i.test(t)).map((t) => t.slice(0, 300));
  },
  values() {
    return Object.fromEntries(this.nodes().map((n) => [n.id, n.serialize().widgets_values ?? []]));
  },
  marks() {
    return Object.fromEntries(this.nodes().filter((n) => n.mgStatus?.state.problems.length)
      .map((n) => [n.id, n.mgStatus.state.problems]));
  },
  status(type) {
    const node = this.nodes().find((n) => n.type === type);
    const s = node?.mgStatus;
    if (!s?.root) return null;
    const root = s.root;
    const parts = [...root.children].map((c) => ({ cls: c.className, text: c.textContent,
      overflowX: c.scrollWidth > c.clientWidth + 1, overflowY: c.scrollHeight > c.clientHeight + 1,
      wordBreak: getComputedStyle(c).wordBreak, overflow: getComputedStyle(c).overflowY }));
    const box = root.getBoundingClientRect();
    return { state: s.state, parts, visible: box.width > 0 && box.height > 0,
      fits: root.scrollHeight <= root.clientHeight + 1 && root.scrollWidth <= root.clientWidth + 1,
      frontendPreview: (node.widgets ?? []).some((w) => w.name === "$$node-text-preview") };
  },
  // status blocks in the page that belong to no node of the open workflow
  strayBlocks() {
    const ours = new Set(this.nodes().map((n) => n.mgStatus?.root).filter(Boolean));
    return [...document.querySelectorAll(".mg-status")].filter((e) => !ours.has(e)).map((e) => e.textContent);
  },
  // as the canvas and the Vue renderer do when the user picks a value: set it, call back
  pick(id, name, value) {
    const node = this.nodes().find((n) => String(n.id) === String(id));
    const widget = node?.widgets?.find((w) => w.name === name);
    if (!widget) return null;
    widget.value = value;
    widget.callback?.(value, app.canvas, node);
    return { values: Object.fromEntries(node.widgets.map((w) => [w.name, w.value])),
      hidden: node.widgets.filter((w) => w.hidden).map((w) => w.name),
      offered: Object.fromEntries(node.widgets.filter((w) => Array.isArray(w.options?.values))
        .map((w) => [w.name, w.options.values])),
      marks: node.mgStatus?.state.problems ?? [], flagged: !!node.has_errors };
  },
  // whether the node's first mark is on screen, drawn by whichever renderer draws the page
  async markShown(id) {
    const node = this.nodes().find((n) => String(n.id) === String(id));
    if (!this.focusNode(node)) return { shown: false, why: "no such node" };
    await new Promise((r) => setTimeout(r, 1600));
    const mark = node.mgStatus?.root?.querySelector(".mg-problem");
    if (!mark?.isConnected) return { shown: false, why: "the mark is not in the page" };
    let box = mark.getBoundingClientRect();
    if (box.bottom > innerHeight - 40) {  // a tall node: bring its bottom into view
      app.canvas.ds.offset[1] -= (box.bottom - innerHeight + 120) / (app.canvas.ds.scale ?? 1);
      app.canvas.setDirty(true, true);
      await new Promise((r) => setTimeout(r, 800));
      box = mark.getBoundingClientRect();
    }
    const onScreen = box.width > 40 && box.height > 8 && box.top >= 0 && box.left >= 0
      && box.bottom <= innerHeight && box.right <= innerWidth && getComputedStyle(mark).visibility !== "hidden";
    const whole = mark.scrollHeight <= mark.clientHeight + 1;
    return { shown: onScreen && whole && this.onItsNode(node, box), whole, text: mark.textContent,
      box: [box.left, box.top, box.width, box.height].map(Math.round) };
  },
  // a Vue node's element holds it; in the canvas, it lies within the node's rectangle
  onItsNode(node, box) {
    const element = node.mgStatus.root.closest("[data-node-id]");
    if (element) return element.dataset.nodeId === String(node.id);
    const ds = app.canvas.ds, scale = ds.scale ?? 1;
    const canvas = app.canvas.canvas.getBoundingClientRect();
    const title = LiteGraph.NODE_TITLE_HEIGHT ?? 30;
    const left = canvas.left + (node.pos[0] + ds.offset[0]) * scale;
    const top = canvas.top + (node.pos[1] - title + ds.offset[1]) * scale;
    return box.left >= left - 2 && box.right <= left + node.size[0] * scale + 2
      && box.top >= top - 2 && box.bottom <= top + (node.size[1] + title) * scale + 2;
  },
  // connect a Load Image node's image to the node's `image` input
  connectImage(id) {
    const node = this.nodes().find((n) => String(n.id) === String(id));
    const load = LiteGraph.createNode("LoadImage");
    load.pos = [node.pos[0] - 360, node.pos[1]];
    (app.rootGraph ?? app.graph).add(load);
    return !!load.connect(0, node, node.findInputSlot("image"));
  },
  setWidget(type, name, value) {
    const node = this.nodes().find((n) => n.type === type);
    const widget = node?.widgets?.find((w) => w.name === name);
    if (widget) widget.value = value;
    return !!widget;
  },
  focus(type, left = 120) {
    return this.focusNode(this.nodes().find((n) => n.type === type), left);
  },
  focusNode(node, left = 120) {
    if (!node || !app.canvas?.ds) return false;
    const scale = app.canvas.ds.scale ?? 1;
    app.canvas.ds.offset[0] = -node.pos[0] + left / scale;
    app.canvas.ds.offset[1] = -node.pos[1] + 120 / scale;
    app.canvas.setDirty(true, true);
    return true;
  },
  async command(id) {
    await app.extensionManager.command.execute(id);
    await new Promise((r) => setTimeout(r, 800));
  },
  async openSettings(category) {
    await this.command("Comfy.ShowSettingsDialog");
    const leaf = [...document.querySelectorAll('[role=dialog] *')]
      .filter((e) => e.children.length === 0 && e.textContent.trim() === category);
    (leaf[0]?.closest('li,button,a,[role=option],[role=tab],[role=menuitem]') ?? leaf[0])?.click();
    for (let i = 0; i < 40 && !document.querySelector('.mg-keys .mg-gateway'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const panel = document.querySelector('.mg-keys');
    const dialog = panel?.closest('[role=dialog]') ?? panel?.closest('.p-dialog');
    if (!panel) return { found: leaf.length, panel: false };
    const texts = [];
    const walker = document.createTreeWalker(panel.closest('.mg-keys-host')?.parentElement ?? panel, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) texts.push(walker.currentNode.textContent);
    return { found: leaf.length, panel: true, panelWidth: panel.getBoundingClientRect().width,
      dialogWidth: dialog?.getBoundingClientRect().width,
      inputs: [...panel.querySelectorAll('input')].map((i) => i.getBoundingClientRect().width),
      nulls: texts.filter((t) => t.trim() === "null").length, text: panel.innerText };
  },
  closeDialogs() {
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    for (const b of document.querySelectorAll('[role=dialog] button[aria-label=Close], .p-dialog-close-button')) b.click();
  },
  async openTasks() {
    if (!document.querySelector('.mg-tasks')) await this.command("Workspace.ToggleSidebarTab.model_gateway.tasks");
    for (let i = 0; i < 50 && !document.querySelector('.mg-tasks .mg-job, .mg-tasks .mg-dim'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 800));
    const panel = document.querySelector('.mg-tasks');
    return panel && { text: panel.innerText, jobs: [...panel.querySelectorAll('.mg-job')].map((j) => ({
      id: j.dataset.mgJob, state: j.dataset.mgState, text: j.innerText,
      previews: j.querySelectorAll('.mg-previews img, .mg-previews video').length,
      buttons: [...j.querySelectorAll('button')].map((b) => b.textContent) })),
      spend: panel.querySelectorAll('[data-mg-spend]').length };
  },
  // issue 17: prices and budgets through the server's route, the page's price badge and panel
  async money(body) {
    const r = await fetch('/model_gateway/money', body ? { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {});
    return { status: r.status, body: await r.json() };
  },
  async prices() {  // the page's own module (the same instance the extension imported)
    return await import('/extensions/%PACK%/js/ui/price_badge.js');
  },
  async askPrices() {
    (await this.prices()).schedulePrices();
    await new Promise((r) => setTimeout(r, 1200));
  },
  // the badge of the first node of a type: its text, and whether the renderer shows it whole,
  // above the title bar, on screen
  async price(type) {
    const node = this.nodes().find((n) => n.type === type);
    const p = node?.mgPrice;
    if (!p) return null;
    const out = { id: node.id, text: p.text, title: p.title, level: p.level, vue: !!LiteGraph.vueNodesMode,
      apiNode: !!node.constructor.nodeData?.api_node };
    if (out.vue) {
      const chip = p.chip?.isConnected ? p.chip : null;
      if (!chip) return { ...out, shown: false, why: 'no badge element in the page' };
      const box = chip.getBoundingClientRect();
      const header = chip.parentElement.querySelector('.lg-node-header')?.getBoundingClientRect();
      const title = chip.parentElement.querySelector('[data-testid=node-title]')?.getBoundingClientRect();
      out.box = [box.left, box.top, box.width, box.height].map(Math.round);
      out.whole = chip.scrollWidth <= chip.clientWidth + 1;
      out.clear = !title || box.bottom <= title.top + 1 || box.right <= title.left || box.left >= title.right;
      out.shown = box.width > 20 && box.height >= 12 && box.top >= 0 && box.bottom <= innerHeight
        && chip.textContent === p.text && getComputedStyle(chip).visibility !== 'hidden' && !!header;
      out.tooltip = chip.title;
      return out;
    }
    p.rect = null;  // drawn again: the badge records where
    app.canvas.setDirty(true, true);
    app.canvas.draw?.(true, true);
    await new Promise((r) => setTimeout(r, 300));
    const badge = node.badges.map((b) => (typeof b === 'function' ? b() : b)).find((b) => b && b === p.badge);
    const title = LiteGraph.NODE_TITLE_HEIGHT ?? 30;
    out.rect = p.rect && p.rect.map(Math.round);
    out.shown = !!badge && badge.text === p.text && !!p.rect;
    out.clear = !!p.rect && p.rect[1] + p.rect[3] <= -title + 1;  // above the title bar
    out.whole = !!p.rect && p.rect[0] >= -1 && p.rect[0] + p.rect[2] <= node.size[0] + 1;
    return out;
  },
  // until the badge says `text` (null: any), its tooltip holding `titlePart` where one is given
  async waitPrice(type, text, ms = 10000, titlePart = null) {
    let last = null;
    for (const end = Date.now() + ms; Date.now() < end;) {
      last = await this.price(type);
      if (last && (text === null || last.text === text) && last.shown
        && (!titlePart || (last.title ?? '').includes(titlePart))) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    return last;
  },
  nodeId(type) {
    return this.nodes().find((n) => n.type === type)?.id;
  },
  // the Prices and budgets panel: add a price row to a gateway, type into it, save
  async moneyPanelSave(gateway, model, unit, amount) {
    const block = document.querySelector(`.mg-money [data-mg-gateway="${gateway}"]`);
    if (!block) return { panel: false };
    block.querySelector('[data-mg-add]').click();
    const rows = block.querySelectorAll('[data-mg-price-row]');
    const row = rows[rows.length - 1];
    const set = (sel, value) => {
      const input = row.querySelector(sel);
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    };
    set('[data-mg-field=model]', model);
    set('[data-mg-field=unit]', unit);
    set('[data-mg-field=amount]', amount);
    document.querySelector('.mg-money [data-mg-save]').click();
    const result = () => document.querySelector('.mg-money [data-mg-result]');
    for (let i = 0; i < 50 && !(result()?.textContent ?? '').replace('…', ''); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const panel = document.querySelector('.mg-money');
    const box = panel.getBoundingClientRect();
    return { panel: true, result: result()?.textContent ?? '', rowError: row.isConnected ? row.querySelector('.mg-bad').textContent : '',
      width: box.width, clipped: [...panel.querySelectorAll('input, select, button')].filter((e) => {
        const b = e.getBoundingClientRect();
        return b.width > 0 && (b.right > box.right + 1 || b.left < box.left - 1);
      }).length };
  },
  // each gateway's balance line in a panel (.mg-keys, .mg-tasks): {gateway: text}
  balances(panel) {
    return Object.fromEntries([...document.querySelectorAll(`${panel} [data-mg-balance]`)]
      .filter((e) => e.textContent && e.getBoundingClientRect().width > 0).map((e) => [e.dataset.mgBalance, e.textContent]));
  },
  // what the page shows of a refused prompt: the frontend's node errors, its dialog or toast
  // (1.27: a dialog with the message; newer: an error overlay "<node> rejected the value for budget")
  refusalShown() {
    const errors = app.lastNodeErrors ?? {};
    const shown = [...document.querySelectorAll('[role=dialog], .p-dialog, .p-toast-message, [role=alert], '
      + '[role=status], [data-testid=error-overlay]')]
      .filter((e) => e.getBoundingClientRect().width > 0).map((e) => e.innerText.trim()).filter(Boolean);
    return { nodeErrors: Object.fromEntries(Object.entries(errors).map(([id, e]) => [id,
      (e.errors ?? []).map((x) => `${x.message}: ${x.details}`)])), shown,
      // drawn in red: newer frontends flag the node, 1.27's canvas draws from lastNodeErrors itself
      marked: this.nodes().filter((n) => n.has_errors || errors[n.id]?.errors?.length).map((n) => String(n.id)) };
  },
  async clickJobButton(id, label) {
    const card = document.querySelector(`.mg-tasks [data-mg-job="${id}"]`);
    const button = [...(card?.querySelectorAll('button') ?? [])].find((b) => b.textContent === label);
    button?.click();
    return !!button;
  },
};
true
"""

# Prices the money checks set through the route (issue 17): in each gateway's own unit.
PRICES = {"gptunnel": {"seedream-4": {"per_image": 3.125}},
          "opencomputing": {"Seedance 2.0 (Doubao)": {"per_second": 0.5}}}

# Saved values the model does not allow, as a workflow would hold them.
DISALLOWED = [
    ("OpenComputingTextToVideo", {"model": "Seedance 2.0 (Doubao)", "duration": 3, "prompt": "a boat"}),
    ("OpenComputingTextToVideo", {"model": "Seedance 2.0 fast (Doubao)", "resolution": "1080p",
                                  "prompt": "a boat"}),
    ("OpenComputingTextToVideo", {"model": "Wan 2.6 t2v", "duration": 7, "prompt": "a boat"}),
    ("SeaCloudLLM", {"protocol": "anthropic_messages", "temperature": 1.5, "prompt": "hi"}),
    ("CloudBaseLLM", {"protocol": "anthropic_messages", "temperature": 1.5, "prompt": "hi"}),
    ("GPTunnelMediaSubmit", {"model": "glabs-veo-3", "ar": "1:1", "prompt": "a boat"}),
    ("GPTunnelMediaSubmit", {"model": "google-imagen-3", "image_url": "https://example.com/cat.png",
                             "prompt": "a cat"}),
]

BUILD_DISALLOWED = r"""
(async (spec) => {
  const graph = app.rootGraph ?? app.graph;
  graph.clear();
  const names = [];
  spec.forEach(([type], i) => {
    const n = LiteGraph.createNode(type);
    n.pos = [100 + 440 * (i % 2), 60 + 760 * Math.floor(i / 2)];
    graph.add(n);
    names.push(n.widgets.filter((w) => w.serialize !== false).map((w) => w.name));
  });
  const wf = JSON.parse(JSON.stringify(graph.serialize()));
  wf.nodes.forEach((n, i) => {
    for (const [k, v] of Object.entries(spec[i][1])) n.widgets_values[names[i].indexOf(k)] = v;
  });
  return wf;
})
"""


class Check:
    def __init__(self, out: Path):
        self.out = out
        self.results: list[tuple[str, bool, str]] = []
        self.skipped: list[tuple[str, str]] = []

    def record(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append((name, ok, detail))
        print(f"  {'PASS' if ok else 'FAIL'} {name}" + (f" — {detail}" if detail and not ok else ""),
              flush=True)
        return ok

    def skip(self, name: str, why: str) -> None:
        """A check that cannot be made here (what it needs is absent): said, neither passed nor failed."""
        self.skipped.append((name, why))
        print(f"  SKIP {name} — skipped: {why}", flush=True)

    def report(self) -> int:
        """Print the tally and every failure; the exit status (1 if any failed, or none ran)."""
        failed = [r for r in self.results if not r[1]]
        print(f"\n{len(self.results) - len(failed)} of {len(self.results)} checks passed"
              + (f", {len(self.skipped)} skipped" if self.skipped else "")
              + f", screenshots in {self.out}")
        for name, why in self.skipped:
            print(f"SKIPPED {name}: {why}")
        for name, _, detail in failed:
            print(f"FAILED {name}: {detail}")
        return 1 if failed or not self.results else 0


class Session:
    """One ComfyUI + page for one frontend and renderer."""

    def __init__(self, comfy: ComfyUI, page, check: Check, label: str):
        self.comfy, self.page, self.check, self.label = comfy, page, check, label

    def shot(self, name: str) -> None:
        path = self.check.out / f"{self.label}-{name}.png"
        self.page.screenshot(path)

    def js(self, expression: str, timeout: float = 60):
        return self.page.js(expression, timeout)

    def open(self, url_suffix: str = "/") -> None:
        self.page.navigate(self.comfy.url + url_suffix)
        self.ready()

    def ready(self) -> None:
        self.page.wait_for(READY, timeout=120)
        time.sleep(1.5)
        self.js(HELPERS.replace("%PACK%", PACK_FOLDER))

    def reload(self) -> None:
        self.page.reload()
        time.sleep(1)
        self.ready()
        time.sleep(1.5)

    def ok(self, name: str, ok: bool, detail="") -> bool:
        return self.check.record(f"{self.label}: {name}", bool(ok), str(detail)[:600])

    def skip(self, name: str, why: str) -> None:
        self.check.skip(f"{self.label}: {name}", why)

    # 1 ---------------------------------------------------------------------------------------
    def workflows_load_faithfully(self) -> None:
        for name in WORKFLOWS:
            saved = self.js(f"__mg.template({json.dumps(name)})")
            self.js(f"__mg.load({json.dumps(saved)})")
            expected = {str(n["id"]): n.get("widgets_values", []) for n in saved["nodes"]}
            loaded = self.js("__mg.values()")
            self.ok(f"{name} loads with every saved value", _same(expected, loaded),
                    _diff(expected, loaded))
            self.reload()
            if name == "llm_prompt_to_video":
                self.js("__mg.focus('OpenComputingTextToVideo')")
                time.sleep(0.5)
                self.shot(f"reload-{name}")
            placeholders, dialog = self.js("__mg.placeholders()"), self.js("__mg.missingDialog()")
            self.ok(f"{name} after reload: no missing-node dialog, no placeholder",
                    not placeholders and not dialog, f"{placeholders} {dialog}")
            after = self.js("__mg.values()")
            self.ok(f"{name} after reload: every saved value as saved", _same(expected, after),
                    _diff(expected, after))

    def help_pages(self) -> None:
        """ComfyUI's node help reads /extensions/<pack>/docs/<Node>/<locale>.md, then <Node>.md."""
        missing = self.js(f"""(async () => {{
          const bad = [];
          for (const node of {json.dumps(sorted(_node_classes()))}) {{
            for (const path of [`${{node}}.md`, `${{node}}/zh.md`, `${{node}}/ru.md`]) {{
              const r = await fetch(`/extensions/{PACK_FOLDER}/docs/${{path}}`);
              const type = r.headers.get('content-type') ?? '';
              if (!r.ok || type.includes('text/html') || !(await r.text()).startsWith('# ')) bad.push(path);
            }}
          }}
          return bad;
        }})()""")
        self.ok("every node's help page is served, in en, zh and ru", not missing, missing)

    # 2 ---------------------------------------------------------------------------------------
    def disallowed_values_are_kept_marked_and_refused(self) -> None:
        saved = self.js(f"({BUILD_DISALLOWED})({json.dumps(DISALLOWED)})")
        self.js(f"__mg.load({json.dumps(saved)})")
        expected = {str(n["id"]): n["widgets_values"] for n in saved["nodes"]}
        for when in ("loaded", "after reload"):
            values, marks = self.js("__mg.values()"), self.js("__mg.marks()")
            self.ok(f"disallowed values {when}: kept as saved", _same(expected, values),
                    _diff(expected, values))
            self.ok(f"disallowed values {when}: each marked on its node",
                    len(marks) == len(DISALLOWED), marks)
            shown = {node: self.js(f"__mg.markShown({json.dumps(node)})") for node in marks}
            self.ok(f"disallowed values {when}: each mark shows on screen, on its node",
                    shown and all(s["shown"] for s in shown.values()), shown)
            self.js("__mg.focusNode(__mg.nodes()[0])")
            if when == "loaded":
                self.shot("disallowed-marked")
                self.reload()
        before = self.comfy.prompts_received()
        self.js("app.queuePrompt(0, 1).then(String)")
        time.sleep(2.5)
        self.shot("disallowed-refused")
        self.ok("a run with them is refused before anything reaches the server",
                self.comfy.prompts_received() == before, "the server got a prompt")
        self.js("__mg.closeDialogs()")
        values = self.js("__mg.values()")
        self.ok("the refused run changed no value", _same(expected, values), _diff(expected, values))
        # the user picks another model: only then do values the new one lacks move
        fast = saved["nodes"][1]["id"]
        allowed = self.js(f"__mg.pick({fast}, 'model', 'Seedance 2.0 (Doubao)')")
        self.ok("picking a model that allows the value keeps it and clears the mark",
                allowed and allowed["values"]["resolution"] == "1080p" and not allowed["marks"]
                and not allowed["flagged"], allowed)
        wan = self.js(f"__mg.pick({fast}, 'model', 'Wan 2.6 t2v')")
        self.ok("picking Wan shows its inputs and moves what it lacks to default",
                wan and {"resolution", "ratio", "off_peak"} <= set(wan["hidden"])
                and "size" not in wan["hidden"] and wan["values"]["resolution"] == "default", wan)
        media = saved["nodes"][5]["id"]
        imagen = self.js(f"__mg.pick({media}, 'model', 'google-imagen-3')")
        self.ok("GPTunnel Media: a model's own aspect ratios are offered, image_url only where it "
                "takes a reference image",
                imagen and "21:9" in imagen["offered"]["ar"] and "image_url" in imagen["hidden"]
                and imagen["values"]["ar"] == "1:1" and not imagen["marks"], imagen)
        veo = self.js(f"__mg.pick({media}, 'model', 'glabs-veo-3-1-fast')")
        self.ok("GPTunnel Media: picking a model that lacks the ratio moves it to default",
                veo and veo["values"]["ar"] == "default" and veo["offered"]["ar"] == ["default", "16:9", "9:16"]
                and "image_url" not in veo["hidden"], veo)
        self.shot("model-picked")

    def connected_image_is_marked_and_refused(self) -> None:
        """An image connected to a model that takes none is marked at once, and the run refused
        in the page: the server would refuse it only once the node runs, after what is upstream."""
        spec = [("GPTunnelMediaSubmit", {"model": "seedream-3", "prompt": "a cat"})]
        saved = self.js(f"({BUILD_DISALLOWED})({json.dumps(spec)})")
        self.js(f"__mg.load({json.dumps(saved)})")
        media = saved["nodes"][0]["id"]
        self.ok("an image connected to a model that takes references is no problem",
                self.js(f"__mg.connectImage({media})") and not self.js("__mg.marks()"),
                self.js("__mg.marks()"))
        picked = self.js(f"__mg.pick({media}, 'model', 'google-imagen-3')")
        self.ok("picking Imagen 3 with an image connected marks the image",
                picked and any("image" in m and "google-imagen-3" in m for m in picked["marks"]), picked)
        shown = self.js(f"__mg.markShown({media})")
        self.ok("that mark shows on screen, on its node", shown and shown["shown"], shown)
        self.shot("image-connected-marked")
        before = self.comfy.prompts_received()
        self.js("app.queuePrompt(0, 1).then(String)")
        time.sleep(2.5)
        self.ok("a run with it is refused before anything reaches the server",
                self.comfy.prompts_received() == before, "the server got a prompt")
        self.js("__mg.closeDialogs()")

    # 3 and 5 ---------------------------------------------------------------------------------
    def key_panel(self, language: str, category: str, words: dict) -> None:
        info = self.js(f"__mg.openSettings({json.dumps(category)})")
        self.shot(f"keys-{language}")
        if not self.ok(f"[{language}] settings category {category!r} opens the key panel",
                       info and info.get("panel"), info):
            self.js("__mg.closeDialogs()")
            return
        widest = min(info["inputs"]) if info["inputs"] else 0
        # the dialog's settings column is its width less the category list (about a quarter)
        self.ok(f"[{language}] key panel as wide as the dialog's settings column (inputs ≥ 300 px)",
                info["panelWidth"] >= 0.6 * info["dialogWidth"] and widest >= 300,
                f"panel {info['panelWidth']:.0f} of {info['dialogWidth']:.0f} px, inputs {widest:.0f} px")
        self.ok(f"[{language}] no stray null in the key panel", info["nulls"] == 0 and
                "null" not in info["text"].split(), info["text"][:200])
        self.ok(f"[{language}] key panel in its language", all(w in info["text"] for w in words["keys"]),
                info["text"][:300])
        self.js("__mg.closeDialogs()")
        time.sleep(0.5)

    # 4 and 5 ---------------------------------------------------------------------------------
    def status_and_usage(self, language: str, words: dict) -> str | None:
        """Runs the LLM → video example with a new seed; Cancel while it waits; returns the job's
        id in the Gateway tasks list (left unfinished) for the resume check."""
        saved = self.js("__mg.template('llm_prompt_to_video')")
        self.js(f"__mg.load({json.dumps(saved)})")
        time.sleep(1.5)
        stray = self.js("__mg.strayBlocks()")
        self.ok(f"[{language}] no status block of the workflow loaded before stays in the page", not stray, stray)
        seed = random.randrange(1, 2**31 - 1)
        self.js(f"__mg.setWidget('OpenComputingTextToVideo', 'seed', {seed})")
        self.js(f"__mg.setWidget('OpenComputingLLM', 'seed', {seed})")
        self.js("__mg.focus('GatewayAwaitVideo')")
        self.js("app.queuePrompt(0, 1).then(String)")
        status = self.page.wait_for(
            "(() => { const s = __mg.status('GatewayAwaitVideo'); return s && s.state.line ? s : null })()",
            timeout=90)
        time.sleep(1.5)
        status = self.js("__mg.status('GatewayAwaitVideo')") or status
        self.shot(f"status-{language}")
        line = status["state"]["line"]
        self.ok(f"[{language}] status line fits its node, no scroll control, no broken word",
                status["visible"] and status["fits"] and all(
                    not p["overflowX"] and not p["overflowY"] and p["wordBreak"] != "break-all"
                    and p["overflow"] != "auto" for p in status["parts"] if p["cls"] == "mg-line"), status)
        self.ok(f"[{language}] the frontend's own progress preview is not added to the pack's node",
                not status["frontendPreview"])
        self.ok(f"[{language}] status line in its language", words["status"](line), line)
        jobs = self.js("fetch('/model_gateway/tasks').then((r) => r.json())")
        waiting = next((j for j in jobs["jobs"] if j.get("kind") == "video"
                        and j["state"] not in ("succeeded", "failed", "cancelled")), None)
        self.js("fetch('/api/interrupt', { method: 'POST' }).then(() => true)")
        cleared = self.page.wait_for(
            "(() => { const s = __mg.status('GatewayAwaitVideo'); return s && !s.state.line })()",
            timeout=20)
        self.shot(f"cancelled-{language}")
        self.ok(f"[{language}] Cancel clears the status line", cleared)
        llm = self.js("__mg.status('OpenComputingLLM')")
        usage = (llm or {}).get("state", {}).get("usage", "")
        self.ok(f"[{language}] usage line in its language", words["usage"](usage), llm)
        self.ok(f"[{language}] usage line fits its node", llm and llm["visible"] and llm["fits"] and all(
            not p["overflowY"] for p in llm["parts"] if p["cls"] == "mg-usage"), llm)
        return waiting and waiting["id"]

    # issue 17: prices on the page ------------------------------------------------------------
    def price_badges(self) -> None:
        """A price set through the route shows as the badge of the paid nodes of two example
        workflows, follows the count and duration widgets, and says where it came from."""
        status = self.js(f"__mg.money({json.dumps({'prices': PRICES, 'budgets': {}})})")
        self.ok("prices written through POST /model_gateway/money", status["status"] == 200, status)
        saved = self.js("__mg.template('text_to_image_seedream')")
        self.js(f"__mg.load({json.dumps(saved)})")
        self.js("__mg.focus('GPTunnelSeedream4', 160)")
        badge = self.js("__mg.waitPrice('GPTunnelSeedream4', '₽3.125')")
        self.shot("badge-seedream")
        self.ok("GPTunnel Seedream 4 shows one run's price as a badge (₽3.125)", badge and badge["shown"], badge)
        self.ok("the badge is whole and above the title, not over it",
                badge and badge.get("whole") and badge.get("clear"), badge)
        self.ok("the badge's tooltip says the source and how it adds up",
                badge and "your price" in badge.get("title", "")
                and re.search(r"\b1 images? × ₽3\.125", badge.get("title", ""))
                and (not badge["vue"] or badge.get("tooltip") == badge["title"]), badge)
        self.ok("Comfy's api_node flag is not set", badge and not badge["apiNode"], badge)
        node = self.js("__mg.nodeId('GPTunnelSeedream4')")
        self.js(f"__mg.pick({node}, 'count', 3)")
        badge = self.js("__mg.waitPrice('GPTunnelSeedream4', '₽9.375')")
        self.shot("badge-seedream-count3")
        self.ok("the badge follows the count widget (3 images: ₽9.375)", badge and badge["shown"], badge)
        saved = self.js("__mg.template('llm_prompt_to_video')")
        self.js(f"__mg.load({json.dumps(saved)})")
        self.js("app.canvas.ds.scale = 0.8; __mg.focus('OpenComputingLLM', 80)")
        video = self.js("__mg.waitPrice('OpenComputingTextToVideo', '¥2.5')")
        self.ok("OpenComputing Text to Video: the model's default 5 s at ¥0.5/s (¥2.5)", video and video["shown"], video)
        published = "from the gateway's published price"
        llm = self.js(f"__mg.waitPrice('OpenComputingLLM', null, 10000, {json.dumps(published)})")
        self.ok("an LLM priced by OpenComputing's published price list: at most ¥… for max_tokens, its source "
                "in the tooltip", llm and llm["shown"] and llm["text"].startswith("≤ ¥")
                and "0.3 k output tokens" in llm["title"], llm)
        node = self.js("__mg.nodeId('OpenComputingLLM')")
        self.js(f"__mg.pick({node}, 'max_tokens', 600)")
        more = self.js("__mg.waitPrice('OpenComputingLLM', null, 10000, '0.6 k output tokens')")
        self.ok("the badge follows the max_tokens widget (600: more)", llm and more and more["shown"]
                and more["text"] != llm["text"] and more["text"].startswith("≤ ¥"), (llm, more))
        self.js(f"__mg.pick({node}, 'max_tokens', 300)")
        node = self.js("__mg.nodeId('OpenComputingTextToVideo')")
        self.js(f"__mg.pick({node}, 'duration', 10)")
        video = self.js("__mg.waitPrice('OpenComputingTextToVideo', '¥5')")
        self.js(f"__mg.waitPrice('OpenComputingLLM', {json.dumps(llm and llm['text'])})")
        self.shot("badge-video-duration10")
        self.ok("the badge follows the duration widget (10 s: ¥5)", video and video["shown"] and video.get("whole")
                and video.get("clear"), video)
        saved = self.js("__mg.template('llm_chat')")
        self.js(f"__mg.load({json.dumps(saved)})")
        self.js("__mg.focus('SeaCloudLLM', 160)")
        unknown = self.js("__mg.waitPrice('SeaCloudLLM', 'price unknown')")
        self.shot("badge-unknown")
        self.ok("a model with no known price (SeaCloud publishes none) says 'price unknown'",
                unknown and unknown["shown"] and unknown["level"] == "unknown", unknown)

    def money_panel(self, category: str) -> None:
        """Settings → Model Gateway → Prices and budgets writes a price; a refused value is named
        next to its field."""
        self.js(f"__mg.openSettings({json.dumps(category)})")
        self.page.wait_for("!!document.querySelector('.mg-money .mg-gateway')", timeout=20)
        bad = self.js("__mg.moneyPanelSave('seacloud', 'nano_banana_2', 'per_image', '-1')")
        stored = self.js("__mg.money()")["body"]["prices"]["user"]
        self.js("document.querySelector('.mg-money [data-mg-gateway=seacloud]').scrollIntoView({block: 'center'})")
        time.sleep(0.3)
        self.shot("money-panel-refused")
        self.ok("a refused price is named next to its field, and nothing is written",
                bad.get("rowError", "").startswith("prices.seacloud.nano_banana_2.per_image")
                and "seacloud" not in stored, bad)
        self.js("document.querySelectorAll('.mg-money [data-mg-price-row=seacloud]').forEach((r) => r.remove())")
        good = self.js("__mg.moneyPanelSave('seacloud', 'nano_banana_2', 'per_image', '0.04')")
        stored = self.js("__mg.money()")["body"]["prices"]["user"]
        self.js("document.querySelector('.mg-money [data-mg-gateway=seacloud]').scrollIntoView({block: 'center'})")
        time.sleep(0.5)
        self.shot("money-panel")
        self.ok("the settings panel writes a price (SeaCloud nano_banana_2 $0.04 per image), keeping the others",
                stored.get("seacloud") == {"nano_banana_2": {"per_image": 0.04}}
                and stored.get("gptunnel") == PRICES["gptunnel"] and good.get("result"), (good, stored))
        self.ok("the panel fits the dialog (no field past its edge)", good.get("clipped") == 0, good)
        self.js("__mg.closeDialogs()")
        time.sleep(0.5)

    def tasks_totals(self) -> None:
        """The Gateway tasks tab shows the open workflow's total per gateway, and the budget."""
        self.js(f"__mg.money({json.dumps({'budgets': {'gptunnel': {'day': 100}}})})")
        saved = self.js("__mg.template('text_to_image_seedream')")
        self.js(f"__mg.load({json.dumps(saved)})")
        node = self.js("__mg.nodeId('GPTunnelSeedream4')")
        self.js(f"__mg.pick({node}, 'count', 2)")
        self.js("__mg.openTasks()")
        self.js("__mg.focus('GPTunnelSeedream4', 420)")
        self.js("__mg.askPrices()")
        total = self.page.wait_for(
            "(() => { const e = document.querySelector('.mg-tasks [data-mg-total=gptunnel]');"
            " return e && e.textContent === '₽6.25' ? e.closest('.mg-estimate').innerText : null })()", timeout=15)
        self.shot("tasks-totals")
        self.ok("the Gateway tasks tab shows the workflow's total before Run (₽6.25)", total, total)
        self.ok("and the day budget with what is spent and left", total and "of ₽100 spent" in total, total)

    def balance_shown(self, category: str) -> None:
        """Where GET /model_gateway/money gives a gateway's balance (GPTunnel's /v1/balance, the
        emulator's in sandbox mode), the key panel and the Gateway tasks tab show it."""
        names = ("the key panel shows the balance GET /money gives",
                 "the Gateway tasks tab shows the balance GET /money gives")
        balances = {g: b for g, b in (self.js("__mg.money()")["body"].get("balance") or {}).items() if b}
        if not balances:
            for name in names:
                self.skip(name, "no balance in /money")
            return
        wanted = json.dumps(sorted(balances))
        self.js(f"__mg.openSettings({json.dumps(category)})")
        keys = self._balances_in(".mg-keys", wanted)
        self.js("document.querySelector('.mg-keys [data-mg-balance=gptunnel]')?.scrollIntoView({block: 'center'})")
        time.sleep(0.3)
        self.shot("balance-keys")
        self.ok(f"{names[0]} ({', '.join(sorted(balances))})", _balances_match(balances, keys), (balances, keys))
        self.js("__mg.closeDialogs()")
        time.sleep(0.5)
        saved = self.js("__mg.template('text_to_image_seedream')")
        self.js(f"__mg.load({json.dumps(saved)})")
        self.js("__mg.openTasks()")
        self.js("document.querySelector('.mg-tasks button')?.click()")  # Refresh: GET /money again
        tasks = self._balances_in(".mg-tasks .mg-estimate", wanted)
        self.shot("balance-tasks")
        self.ok(f"{names[1]} ({', '.join(sorted(balances))})", _balances_match(balances, tasks), (balances, tasks))

    def _balances_in(self, panel: str, wanted: str) -> dict:
        try:
            return self.page.wait_for(
                f"(() => {{ const b = __mg.balances({json.dumps(panel)});"
                f" return {wanted}.every((g) => b[g]) ? b : null }})()", timeout=20)
        except Exception:  # noqa: BLE001 - the check reports what the panel shows
            return self.js(f"__mg.balances({json.dumps(panel)})")

    def budget_refused_at_queue_time(self) -> None:
        """A budget below one run: the queue refuses the workflow with a node error naming the
        budget (ComfyUI's own validation, for a script's post too), and nothing is sent."""
        self.js(f"__mg.money({json.dumps({'budgets': {'gptunnel': {'day': 1}}})})")
        saved = self.js("__mg.template('text_to_image_seedream')")
        self.js(f"__mg.load({json.dumps(saved)})")
        jobs = self.js("fetch('/model_gateway/tasks').then((r) => r.json()).then((b) => b.total)")
        history = self.js("fetch('/api/history').then((r) => r.json()).then((h) => Object.keys(h).length)")
        answer = self.js("""(async () => {
          const prompt = await app.graphToPrompt();
          const r = await fetch('/api/prompt', { method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ prompt: prompt.output }) });
          return { status: r.status, body: await r.json() };
        })()""")
        errors = json.dumps((answer.get("body") or {}).get("node_errors") or {}, ensure_ascii=False)
        self.ok("a run over the day budget is refused at queue time with a node error naming the budget",
                answer["status"] == 400 and "budget" in errors, answer)
        node = json.dumps(str(self.js("__mg.nodeId('GPTunnelSeedream4')")))
        self.js("__mg.openTasks()")
        self.js("__mg.focus('GPTunnelSeedream4', 420)")
        self.js("app.queuePrompt(0, 1).then(String)")
        try:
            shown = self.page.wait_for(
                "(() => { const r = __mg.refusalShown(); return r.shown.some((t) => /budget/i.test(t))"
                f" && (r.nodeErrors[{node}] ?? []).some((t) => /budget/.test(t)) && r.marked.includes({node})"
                " ? r : null })()", timeout=10)
        except Exception:  # noqa: BLE001 - reported below with what the page shows
            shown = None
        time.sleep(1)
        self.shot("budget-refused")
        self.ok("Run from the page: the node error naming the budget is shown on the page and on the node",
                shown, shown or self.js("__mg.refusalShown()"))
        self.js("__mg.closeDialogs()")
        jobs_after = self.js("fetch('/model_gateway/tasks').then((r) => r.json()).then((b) => b.total)")
        history_after = self.js("fetch('/api/history').then((r) => r.json()).then((h) => Object.keys(h).length)")
        self.ok("and nothing was sent: no job in the journal, nothing executed",
                jobs_after == jobs and history_after == history, (jobs, jobs_after, history, history_after))
        self.js(f"__mg.money({json.dumps({'budgets': {}})})")

    # the Gateway tasks tab --------------------------------------------------------------------
    def tasks_tab(self, language: str, left_waiting: str | None, words: dict) -> None:
        info = self.js("__mg.openTasks()")
        self.shot(f"tasks-{language}")
        if not self.ok(f"[{language}] Gateway tasks tab opens", info, info):
            return
        self.ok(f"[{language}] Gateway tasks lists the jobs and what each gateway reported",
                len(info["jobs"]) >= 2 and info["spend"] >= 1, info["text"][:300])
        self.ok(f"[{language}] Gateway tasks in its language", all(w in info["text"] for w in words["tasks"]),
                info["text"][:300])
        made_on = _page_text(language, "tasks.madeOn").format(host=_worker_host(), pid=self.comfy.process.pid)
        elsewhere = [j["text"] for j in info["jobs"] if made_on not in j["text"]]
        self.ok(f"[{language}] each job names the worker that made it: {made_on!r}",
                info["jobs"] and not elsewhere, elsewhere)
        if not left_waiting:
            return
        resume = words["resume"]
        self.ok(f"[{language}] a job left by Cancel offers Resume waiting",
                self.js(f"__mg.clickJobButton({json.dumps(left_waiting)}, {json.dumps(resume)})"),
                info["jobs"])
        done = self.page.wait_for(
            f"fetch('/model_gateway/tasks').then((r) => r.json()).then((b) => b.jobs.find("
            f"(j) => j.id === {json.dumps(left_waiting)})).then((j) => j && j.state === 'succeeded'"
            f" && !(j.resume && j.resume.running) && j.files.length > 0)", timeout=120)
        time.sleep(3)  # the tab refreshes itself
        info = self.js("__mg.openTasks()")
        self.shot(f"tasks-resumed-{language}")
        card = next((j for j in info["jobs"] if j["id"] == left_waiting), {})
        self.ok(f"[{language}] resumed on the server to the end, with a preview in the list",
                done and card.get("state") == "succeeded" and card.get("previews", 0) >= 1, card)


def _finished_run(session: "Session") -> None:
    """The example run again, to its end: its jobs are journalled (the one Cancel left was
    resumed from the Gateway tasks tab), so nothing is sent again; the result and the usage
    show on the nodes."""
    session.js("app.queuePrompt(0, 1).then(String)")
    usage = session.page.wait_for(
        "(() => { const s = __mg.status('GatewayAwaitVideo'); return s && s.state.usage })()",
        timeout=120)
    time.sleep(3)
    session.js("app.canvas.ds.scale = 0.66; __mg.focus('OpenComputingLLM', 400)")
    time.sleep(1)
    session.shot("finished-en")
    session.ok("the run again ends with the kept result and its usage on the node", usage, usage)


WORDS = {
    "en": {"category": "Model Gateway", "keys": ["Test connection", "Keys are kept"],
           "status": lambda s: bool(re.search(r"in queue|running|done|downloading", s)),
           "usage": lambda s: "tokens" in s, "tasks": ["Gateway tasks", "today", "this month"],
           "resume": "Resume waiting"},
    "zh": {"category": "模型网关", "keys": ["测试连接", "密钥保存在"],
           "status": lambda s: bool(re.search(r"排队中|运行中|完成|下载中", s)),
           "usage": lambda s: "token" in s and "输入" in s, "tasks": ["网关任务", "今天", "本月"],
           "resume": "继续等待"},
    "ru": {"category": "Шлюз моделей", "keys": ["Проверить подключение", "Ключи хранятся"],
           "status": lambda s: bool(re.search(r"в очереди|выполняется|готово|скачивается", s)),
           "usage": lambda s: "токенов" in s, "tasks": ["Задачи шлюзов", "сегодня", "в этом месяце"],
           "resume": "Ждать дальше"},
}


def _balances_match(balances: dict, shown: dict) -> bool:
    """Each balance as GET /money gives it, in the page's English: "balance ₽1,234.5" (the amount
    read back from the text), "(credit limit …)" where there is one, or the problem where it could
    not be read."""
    for gateway, balance in balances.items():
        text = shown.get(gateway) or ""
        if balance.get("problem"):
            if not (text.startswith("balance not read:") and balance["problem"] in text):
                return False
            continue
        found = re.match(r"balance (\D*?)([\d,]+(?:\.\d+)?)", text)
        if not found:
            return False
        amount = float(found[2].replace(",", "")) * (-1 if re.search("[-\u2212]", found[1]) else 1)
        if abs(amount - float(balance["amount"])) > 1e-9:
            return False
        if balance.get("sign") and balance["sign"] not in found[1]:
            return False
        if bool(float(balance.get("credit_limit") or 0)) != ("credit limit" in text):
            return False
    return True


def _page_text(language: str, key: str) -> str:
    """A text of the page as locales/<language>/page.json has it (the page ships the same)."""
    text = json.loads((ROOT / "locales" / language / "page.json").read_text(encoding="utf-8"))
    for part in key.split("."):
        text = text[part]
    return text


def _worker_host() -> str:
    """The host the pack names its worker by (providers/journal/identity.py): the check's
    ComfyUI inherits this environment."""
    name = os.environ.get("MODEL_GATEWAY_WORKER_NAME", "").strip() or socket.gethostname()
    return name.replace(":", "_")[:100]


def _node_classes() -> list[str]:
    return [p.stem for p in (ROOT / "web" / "docs").glob("*.md")]


def _same(expected: dict, actual: dict) -> bool:
    return all(json.dumps(actual.get(k)) == json.dumps(v) for k, v in expected.items())


def _diff(expected: dict, actual: dict) -> str:
    return "; ".join(f"node {k}: saved {v} now {actual.get(k)}" for k, v in expected.items()
                     if json.dumps(actual.get(k)) != json.dumps(v))


def _version(text: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", text)[:3])


def newest_frontend(comfyui: Path) -> Path | None:
    found = sorted(comfyui.glob("frontend-*/comfyui_frontend_package/static/index.html"),
                   key=lambda p: [int(x) if x.isdigit() else x for x in
                                  re.split(r"[.-]", p.parts[-4].removeprefix("frontend-"))])
    return found[-1].parent if found else None


def run(args) -> int:
    comfyui = Path(args.comfyui).resolve()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mg-browser-check-"))
    check = Check(out)
    frontends = []
    for which in args.frontend.split(","):
        root = None if which == "bundled" else (Path(which) if which != "new" else newest_frontend(comfyui))
        if which != "bundled" and root is None:
            check.record(f"frontend {which}", False, f"no frontend-*/ folder in {comfyui}")
            continue
        frontends.append((which, root))
    try:
        for which, root in frontends:
            for nodes2 in args.nodes2.split(","):
                name = f"{which if which in ('bundled', 'new') else 'custom'}-nodes2-{nodes2}"
                with page_session(args, comfyui, root, work, check, name, nodes2) as session:
                    comfy = session.comfy
                    chosen = set(args.steps.split(","))
                    steps = [session.help_pages, session.workflows_load_faithfully,
                             session.disallowed_values_are_kept_marked_and_refused,
                             session.connected_image_is_marked_and_refused]
                    for step in steps if "pages" in chosen else ():
                        _guarded(session, step)
                    if "money" in chosen:
                        for step, *more in ((session.price_badges,),
                                            (session.money_panel, WORDS["en"]["category"]),
                                            (session.tasks_totals,),
                                            (session.balance_shown, WORDS["en"]["category"]),
                                            (session.budget_refused_at_queue_time,)):
                            _guarded(session, step, *more)
                        session.js(f"__mg.money({json.dumps({'prices': {}, 'budgets': {}})})")
                    for language in args.languages.split(",") if "pages" in chosen else ():
                        words = WORDS[language]
                        if language != "en":
                            comfy.setting("Comfy.Locale", language)
                            session.reload()
                        _guarded(session, session.key_panel, language, words["category"], words)
                        waiting = _guarded(session, session.status_and_usage, language, words)
                        _guarded(session, session.tasks_tab, language, waiting, words)
                        if language == "en":
                            session.js("__mg.closeDialogs()")
                            _guarded(session, _finished_run, session)
                    comfy.setting("Comfy.Locale", "en")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return check.report()


@contextlib.contextmanager
def page_session(args, comfyui: Path, root: Path | None, work: Path, check: Check, name: str,
                 nodes2: str, settings: dict | None = None, window=(1600, 1000)):
    """One configuration: ComfyUI started with this frontend (`root`, None for the bundled one)
    and Nodes 2.0 `nodes2` ("on"/"off") plus `settings`, Chromium on its page, the Session
    labelled with the frontend's version; both stopped when the block ends."""
    import cdp

    comfy = ComfyUI(comfyui, args.port, root, work, name)
    browser = None
    try:
        comfy.start()
        for key, value in {"Comfy.TutorialCompleted": True,
                           "Comfy.VueNodes.Enabled": nodes2 == "on", "Comfy.Locale": "en",
                           **(settings or {})}.items():
            comfy.setting(key, value)
        browser = cdp.Chromium(args.chromium, args.devtools_port, window).start()
        session = Session(comfy, browser.page(), check, name)
        session.open()
        version = session.js("window.__COMFYUI_FRONTEND_VERSION__ ?? '?'")
        session.label = f"fe{version}-nodes2-{nodes2}"
        print(f"== frontend {version}, Nodes 2.0 {nodes2}", flush=True)
        yield session
    finally:
        if browser:
            browser.stop()
        comfy.stop()


def _guarded(session: Session, step, *args):
    """A step that throws is a failed check, and the next step still runs."""
    try:
        return step(*args)
    except Exception as error:  # noqa: BLE001 - reported as a failure
        session.ok(f"{step.__name__} ran to its end", False, f"{error}\n{traceback.format_exc()[-800:]}")
        try:
            session.shot(f"error-{step.__name__}")
        except Exception:  # noqa: BLE001
            pass
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comfyui", default=os.environ.get("COMFYUI_DIR"),
                        help="the ComfyUI folder (default: $COMFYUI_DIR)")
    parser.add_argument("--frontend", default="bundled,new",
                        help="bundled, new (the newest frontend-*/ in the ComfyUI folder), or a "
                             "static folder; comma-separated")
    parser.add_argument("--nodes2", default="off,on", help="Nodes 2.0 off, on, or off,on")
    parser.add_argument("--languages", default="en,zh,ru")
    parser.add_argument("--steps", default="pages,money",
                        help="pages (workflows, marks, key panel, status lines, tasks tab, in every "
                             "language), money (issue 17: price badges, the prices and budgets "
                             "panel, totals, a budget refusal), or both")
    parser.add_argument("--out", default="browser-check", help="where screenshots go")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--devtools-port", type=int, default=9230)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--keep", action="store_true", help="keep the ComfyUI base folders and logs")
    args = parser.parse_args(argv)
    if not args.comfyui:
        parser.error("give the ComfyUI folder: --comfyui DIR or COMFYUI_DIR=DIR")
    reexec_in_comfyui_venv(Path(args.comfyui))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
