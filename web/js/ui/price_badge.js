// The price badge on every paid node: what one run costs, from POST /model_gateway/estimate,
// asked again (debounced) when a widget that changes the price changes, when a workflow loads and
// when the prices are saved. One request for the whole open workflow: its answer also gives the
// totals per gateway and the budgets the Gateway tasks tab shows (onEstimate).
//
// The canvas of both frontends draws LiteGraph badges pushed on node.badges (above the title bar,
// right-aligned); its tooltip is the canvas element's title while the pointer is over the badge.
// A Vue node renderer ("Nodes 2.0") draws no such badge the same way (1.27 none at all; the
// newest its own chip, not redrawn when the text changes), so there the badge is a small element
// of ours above the node's own element, with a title. Comfy's api_node flag is never set.
import { el, json, style } from "./dom.js";
import { PRICE_WIDGETS, badgeText, badgeTitle, estimateRequest } from "../lib/price.js";

const DEBOUNCE_MS = 350;
const PLACE_EVERY_MS = 500;
const COLOURS = { priced: ["#1d3b2a", "#d1f0dc"], unknown: ["#3a3a3a", "#c8c8c8"], over: ["#6b1d1d", "#fde2e2"] };

const CSS = `
.mg-price { position: absolute; right: 0; bottom: calc(100% + 4px); z-index: 5; pointer-events: auto;
  font: 12px/20px sans-serif; height: 20px; padding: 0 7px; border-radius: 5px; white-space: nowrap;
  max-width: 100%; overflow: hidden; text-overflow: ellipsis; box-sizing: border-box; cursor: default; }
${Object.entries(COLOURS).map(([level, [bg, fg]]) => `.mg-price.mg-${level} { background: ${bg}; color: ${fg}; }`).join("\n")}`;

const state = { app: null, api: null, paid: new Set(), llm: new Set(), locale: () => "en", timer: null,
  seq: 0, answer: null, error: null, listeners: new Set(), watched: new Set(), placing: null, tip: null };

const vueMode = () => !!globalThis.LiteGraph?.vueNodesMode;

/** Call once at setup. catalog: the page's catalog (paid_nodes, llm_nodes); locale(): the page's. */
export function initPrices(app, api, catalog, locale) {
  Object.assign(state, { app, api, locale, paid: new Set(catalog.paid_nodes ?? []), llm: new Set(catalog.llm_nodes ?? []) });
  style("mg-price-style", CSS);
  watchCanvasPointer();
}

export const isPaid = (node) => state.paid.has(node.comfyClass);

/** The page's locale (ComfyUI's Comfy.Locale, else the browser's): how numbers are written. */
export const pageLocale = () => state.locale?.() ?? navigator.language;

/** The last estimate of the open workflow ({answer, error}), and a listener for the next ones. */
export function currentEstimate() {
  return { answer: state.answer, error: state.error };
}

export function onEstimate(listener) {
  state.listeners.add(listener);
  return () => state.listeners.delete(listener);
}

/** Puts the badge on a paid node (once) and asks for the workflow's prices again. */
export function watchPrice(node) {
  if (!isPaid(node)) return;
  node.mgPrice ??= { text: "", title: "", level: "unknown", badge: null, rect: null, chip: null };
  if (!node.mgPriceBadge) {
    node.mgPriceBadge = () => badgeOf(node);
    node.badges?.push(node.mgPriceBadge);
  }
  state.watched.add(node);
  schedulePrices();
}

/** After a widget changed: ask again when it is one that changes what a run costs. */
export function widgetChanged(node, name) {
  if (isPaid(node) && PRICE_WIDGETS.has(name)) schedulePrices();
}

export function schedulePrices() {
  clearTimeout(state.timer);
  state.timer = setTimeout(estimate, DEBOUNCE_MS);
}

// -- the estimate ---------------------------------------------------------------------------------

/** The open workflow's paid nodes that run ([key, node]), keyed as ComfyUI keys executions
 * ("12", "3:12" inside subgraph node 3). Muted and bypassed nodes cost nothing. */
function paidNodes() {
  const found = [];
  const walk = (graph, prefix) => {
    for (const node of graph?._nodes ?? graph?.nodes ?? []) {
      if (node.mode !== 0 && node.mode != null) continue;
      const key = prefix ? `${prefix}:${node.id}` : String(node.id);
      if (isPaid(node)) found.push([key, node]);
      if (node.subgraph) walk(node.subgraph, key);
    }
  };
  walk(state.app?.rootGraph ?? state.app?.graph, "");
  return found;
}

function inputsOf(node) {
  return Object.fromEntries((node.widgets ?? []).filter((w) => w.serialize !== false && w.name)
    .map((w) => [w.name, w.value]));
}

async function estimate() {
  const seq = ++state.seq;
  const nodes = paidNodes();
  let answer = null;
  let error = null;
  try {
    const response = await state.api.fetchApi("/model_gateway/estimate", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(estimateRequest(nodes.map(([key, node]) => [key, node.comfyClass, inputsOf(node)]))) });
    const body = await json(response);
    if (!response.ok || body.error) error = body.error ?? `${response.status}`;
    else answer = body;
  } catch (failure) {
    error = String(failure?.message ?? failure);
  }
  if (seq !== state.seq) return;  // a newer question is on its way
  state.answer = answer;
  state.error = error;
  const locale = pageLocale();
  const shown = new Set();
  for (const [key, node] of nodes) {
    const entry = answer ? answer.nodes?.[key] ?? null : null;
    const atMost = state.llm.has(node.comfyClass);
    const over = entry && answer.over?.[entry.gateway];
    showPrice(node, {
      text: badgeText(entry, locale, { atMost }),
      title: error ? `${badgeTitle(null, locale)}\n${error}` : badgeTitle(entry, locale, { atMost, over }),
      level: over ? "over" : entry?.amount != null ? "priced" : "unknown",
    });
    shown.add(node);
  }
  for (const node of state.watched) if (!shown.has(node)) showPrice(node, { text: "", title: "", level: "unknown" });
  for (const listener of state.listeners) listener(currentEstimate());
  state.app?.canvas?.setDirty?.(true, true);
}

function showPrice(node, { text, title, level }) {
  const price = node.mgPrice;
  if (price.text === text && price.title === title && price.level === level) return;
  Object.assign(price, { text, title, level, badge: null });
  keepChipsPlaced();
}

// -- the canvas: a LiteGraph badge ----------------------------------------------------------------

let empty = null;

function badgeOf(node) {
  const Badge = globalThis.LGraphBadge;
  const price = node.mgPrice;
  if (!Badge) return { visible: false, height: 0, text: "", getWidth: () => 0, draw: () => {} };
  if (!price.text || vueMode()) return (empty ??= new Badge({ text: "" }));
  if (!price.badge) {
    const [bgColor, fgColor] = COLOURS[price.level];
    const badge = new Badge({ text: price.text, bgColor, fgColor });
    const draw = badge.draw.bind(badge);
    badge.draw = (ctx, x, y) => {  // where it is drawn, in the node's coordinates: for the tooltip
      price.rect = [x + (badge.xOffset ?? 0), y + (badge.yOffset ?? 0), badge.getWidth(ctx), badge.height];
      draw(ctx, x, y);
    };
    price.badge = badge;
  }
  return price.badge;
}

/** The canvas element's title while the pointer is over a badge: its tooltip. */
function watchCanvasPointer() {
  const attach = () => {
    const element = state.app?.canvas?.canvas;
    if (!element) return void setTimeout(attach, 500);
    element.addEventListener("pointermove", (event) => {
      const ds = state.app.canvas.ds;
      const box = element.getBoundingClientRect();
      const scale = ds?.scale ?? 1;
      const x = (event.clientX - box.left) / scale - (ds?.offset?.[0] ?? 0);
      const y = (event.clientY - box.top) / scale - (ds?.offset?.[1] ?? 0);
      const over = [...state.watched].find((node) => {
        const r = node.mgPrice?.text && node.mgPrice.rect;
        return r && node.graph === state.app.canvas.graph && x >= node.pos[0] + r[0] && x <= node.pos[0] + r[0] + r[2]
          && y >= node.pos[1] + r[1] && y <= node.pos[1] + r[1] + r[3];
      });
      const title = over && !vueMode() ? over.mgPrice.title : null;
      if (title) {
        element.title = title;
        state.tip = title;
      } else if (state.tip != null && element.title === state.tip) {
        element.removeAttribute("title");
        state.tip = null;
      }
    });
  };
  attach();
}

// -- a Vue node renderer: an element of ours ------------------------------------------------------

function vueElement(node) {
  const graph = state.app?.canvas?.graph;
  if (graph && node.graph !== graph) return null;
  const id = String(node.id);
  return [...document.querySelectorAll(".lg-node[data-node-id]")].find((e) => e.dataset.nodeId === id) ?? null;
}

function placeChip(node) {
  const price = node.mgPrice;
  const element = vueMode() && price.text && node.graph ? vueElement(node) : null;
  if (!element) {
    price.chip?.remove();
    return false;
  }
  price.chip ??= el("div", { class: "mg-price", "data-mg-price": "" });
  price.chip.className = `mg-price mg-${price.level}`;
  if (price.chip.textContent !== price.text) price.chip.textContent = price.text;
  if (price.chip.title !== price.title) price.chip.title = price.title;
  if (price.chip.parentElement !== element) element.append(price.chip);
  return true;
}

function placeAll() {
  let any = false;
  for (const node of state.watched) {
    if (!node.graph || node.graph.getNodeById?.(node.id) !== node) {  // removed, or a workflow loaded over it
      node.mgPrice?.chip?.remove();
      state.watched.delete(node);
      continue;
    }
    any = placeChip(node) || any || (vueMode() && !!node.mgPrice.text);
  }
  if (!any) {
    clearInterval(state.placing);
    state.placing = null;
  }
}

function keepChipsPlaced() {
  if (!vueMode()) {
    for (const node of state.watched) node.mgPrice?.chip?.remove();
    return;
  }
  placeAll();
  state.placing ??= setInterval(placeAll, PLACE_EVERY_MS);
}
