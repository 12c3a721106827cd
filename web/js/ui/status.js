// One status block at the bottom of each of the pack's nodes: saved values the model does not
// allow, the waiting line (queue position, progress, elapsed time), a streamed answer, and the
// last run's usage or cost. It is a DOM widget, so the canvas and the newest frontend's Vue node
// renderer ("Nodes 2.0") draw it themselves; the bundled frontend's experimental Vue renderer
// (1.27) draws no DOM widget, so there the block goes into the node's own element (see place()).
// It holds no value and is never saved with the workflow. It is added only once there is
// something to show, so a loaded node keeps its saved shape.
import { el, style } from "./dom.js";

export const STATUS_WIDGET = "mg_status";

const LINE = 16;
const GAP = 2;
const PADDING = 2 + 2 + 1;  // .mg-status's, and a pixel for rounding at odd zoom levels
const MARGIN = 2;  // the DOM widget's, on each side: the frontend gives the element its height less 2×
const HOST_PADDING = 8;  // below the block, where the pack places it in a Vue node itself

const CSS = `
.mg-status { box-sizing: border-box; width: 100%; height: 100%; overflow: hidden; padding: 2px 4px;
  font: 11px/16px sans-serif; color: var(--input-text, #ccc); display: flex; flex-direction: column;
  gap: ${GAP}px; pointer-events: auto; }
.mg-status > div { word-break: normal; overflow-wrap: break-word; white-space: normal; flex: none; }
.mg-status .mg-line, .mg-status .mg-problem { display: -webkit-box; -webkit-box-orient: vertical;
  -webkit-line-clamp: 2; overflow: hidden; }
.mg-status .mg-problem { color: #f87171; }
.mg-status .mg-answer { flex: 1 1 auto; min-height: 0; overflow-y: auto; white-space: pre-wrap;
  scrollbar-width: thin; color: var(--input-text, #ddd); }
.mg-status .mg-usage { color: #8fb3a0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
/* width 0, at least the node's: the block takes the node's width and never widens it (a long
   answer on one line would stretch a Vue node that sizes to its content) */
.mg-status-host { box-sizing: border-box; width: 0; min-width: 100%; padding: 0 12px ${HOST_PADDING}px 12px;
  flex: none; }`;

const ANSWER_LINES = 7;

function rows(state) {
  return { problems: state.problems.length * 2 * LINE, line: state.line ? 2 * LINE : 0,
    answer: state.answer ? ANSWER_LINES * LINE : 0, usage: state.usage ? LINE : 0 };
}

/** The height the block needs for what it shows, its padding included (0 when empty). */
export function statusHeight(state) {
  const parts = Object.values(rows(state)).filter(Boolean);
  return parts.length ? parts.reduce((a, b) => a + b, 0) + (parts.length - 1) * GAP + PADDING : 0;
}

function render(node) {
  const { state, root } = node.mgStatus;
  root.replaceChildren(...[  // only elements: replaceChildren shows a null as "null"
    ...state.problems.map((text) => el("div", { class: "mg-problem", title: text }, text)),
    state.line ? el("div", { class: "mg-line", title: state.line }, state.line) : null,
    state.answer ? el("div", { class: "mg-answer" }, state.answer) : null,
    state.usage ? el("div", { class: "mg-usage", title: state.usage }, state.usage) : null,
  ].filter(Boolean));
  const answer = root.querySelector(".mg-answer");
  if (answer) answer.scrollTop = answer.scrollHeight;  // a streamed answer shows its end
}

function grow(node) {
  if (!node.mgStatus.widget || typeof node.computeSize !== "function") return;
  const [, height] = node.computeSize();
  // grow to fit; never shrink below what the user (or the saved workflow) made it
  if (height > node.size[1]) node.setSize([node.size[0], height]);
  node.setDirtyCanvas?.(true, true);
}

// -- a renderer that draws no DOM widget ------------------------------------------------------

// How long a block may stay out of the page while its node's Vue element is there before the
// block goes into that element itself: a renderer that mounts DOM widgets does so within a frame.
const ADOPT_AFTER_MS = 700;
const PLACE_EVERY_MS = 400;
const withBlock = new Set();  // nodes that have a block
let placing = null;

function vueElement(node) {
  const graph = globalThis.app?.canvas?.graph;
  if (graph && node.graph !== graph) return null;  // the Vue renderer draws the open graph only
  const id = String(node.id);
  const element = [...document.querySelectorAll(".lg-node[data-node-id]")].find((e) => e.dataset.nodeId === id);
  return element?.querySelector(".lg-node-widgets") ? element : null;  // not collapsed, not zoomed out
}

function sizeHost(status) {
  if (status.host) status.host.style.height = `${statusHeight(status.state) + HOST_PADDING}px`;
}

/** Keeps one node's block on show: where the renderer put it, or else in its Vue element. */
function place(node) {
  const status = node.mgStatus;
  const ours = status.host && status.root.parentElement === status.host;
  if (status.root.isConnected && !ours) {  // the renderer draws it
    status.host?.remove();
    status.since = null;
    return;
  }
  if (ours && status.host.isConnected) return;
  const element = vueElement(node);
  if (!element) {  // the canvas (its overlay mounts the block), or the node is out of view
    status.since = null;
    return;
  }
  status.since ??= performance.now();
  if (performance.now() - status.since < ADOPT_AFTER_MS) return;
  status.host ??= el("div", { class: "mg-status-host" });
  sizeHost(status);
  status.host.append(status.root);
  element.querySelector(".lg-node-widgets").parentElement.append(status.host);
}

/** Whether the node is still in its graph (a workflow loaded over it reuses the graph object,
 * and the ids: a block must not end up on the new node with the old one's id). */
function inGraph(node) {
  return !!node.graph && node.graph.getNodeById?.(node.id) === node;
}

function placeAll() {
  for (const node of withBlock) {
    if (!inGraph(node)) {
      node.mgStatus.host?.remove();
      withBlock.delete(node);
      continue;
    }
    try {
      place(node);
    } catch (error) {  // a frontend we do not know: the block is then only where it draws it
      console.warn("[model_gateway] status block not placed:", error);
      withBlock.delete(node);
    }
  }
  if (!withBlock.size) {
    clearInterval(placing);
    placing = null;
  }
}

function keepPlaced(node) {
  withBlock.add(node);
  sizeHost(node.mgStatus);
  placing ??= setInterval(placeAll, PLACE_EVERY_MS);
}

/** Change what a node's block shows ({ problems, line, answer, usage }, any of them). */
export function showStatus(node, changes) {
  node.mgStatus ??= { state: { problems: [], line: "", answer: "", usage: "" }, root: null, widget: null };
  const status = node.mgStatus;
  const before = JSON.stringify(status.state);
  Object.assign(status.state, changes);
  if (JSON.stringify(status.state) === before && status.widget) return;
  if (!status.widget) {
    if (!statusHeight(status.state) || typeof node.addDOMWidget !== "function") return;
    style("mg-status-style", CSS);
    status.root = el("div", { class: "mg-status" });
    const height = () => statusHeight(status.state) + 2 * MARGIN;
    status.widget = node.addDOMWidget(STATUS_WIDGET, STATUS_WIDGET, status.root, {
      serialize: false, hideOnZoom: false, getValue: () => "", setValue: () => {},
      getMinHeight: height, getMaxHeight: height, getHeight: height, margin: MARGIN,
    });
    status.widget.serialize = false;
  }
  render(node);
  grow(node);
  keepPlaced(node);
}
