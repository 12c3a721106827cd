// Model Gateway Nodes in the ComfyUI page: model-aware widgets, a status block on each node
// (saved values the model does not allow, the waiting line, a streamed answer, usage/cost), the
// price badge on each paid node, the key panel and the prices and budgets panel in the settings
// dialog, and the Gateway tasks sidebar tab.
//
// Rules (see DESIGN.md): registering a node never waits on the network (the catalog ships as a
// module, web/js/lib/catalog.js); the page never changes a value it did not just offer in a
// changed list; a loaded value the model does not allow stays as saved, is marked on the node,
// and the run is refused before anything is sent. Everything works with the canvas renderer and
// with the Vue node renderer ("Nodes 2.0"), in ComfyUI's bundled frontend and the newest one.
import { app } from "../../../scripts/app.js";
import { api } from "../../../scripts/api.js";
import { CATALOG } from "./lib/catalog.js";
import { setLanguage, t } from "./lib/i18n.js";
import { MESSAGES } from "./lib/messages.js";
import {
  VIDEO_PARAMETERS, keptDuration, keptValue, mediaModel, mediaPlan, mediaRatios, needsImageField,
  problems, promptErrors, shownMax, shownValues, temperatureMax, videoModel, videoPlan,
} from "./lib/widgets.js";
import { problemMark, problemMessage, statusText, usageLine } from "./lib/format.js";
import { settingsKeyPanel } from "./ui/keys.js";
import { settingsMoneyPanel } from "./ui/money.js";
import { initPrices, schedulePrices, watchPrice, widgetChanged } from "./ui/price_badge.js";
import { showStatus } from "./ui/status.js";
import { registerTasksTab } from "./ui/tasks.js";

const OURS = new Set(CATALOG.nodes);
const SETTINGS = MESSAGES.en.settings;
const LLM = new Set(CATALOG.llm_nodes);

const widget = (node, name) => node.widgets?.find((w) => w.name === name);
const displayName = (type) => globalThis.LiteGraph?.registered_node_types?.[type]?.title ?? type;

// -- model-aware widgets ------------------------------------------------------------------

// What a hidden video input is set to when the user picks a model that does not take it (it is
// not sent; the saved workflow then says what is used).
const NEUTRAL = { duration: 0, resolution: "default", ratio: "default", size: "default",
  negative_prompt: "", off_peak: false };

function setHidden(w, hidden) {
  if (!!w.hidden === hidden) return;
  w.hidden = hidden;  // the canvas of both frontends and the newest one's Vue renderer
  // the bundled frontend's experimental Vue renderer reads options.hidden
  setOptions(w, { hidden });
  // the bundled frontend's canvas still lays a hidden widget out by its computeSize
  if (hidden) w.computeSize = () => [0, -4];
  else delete w.computeSize;
}

function setOptions(w, changes) {
  const options = w.options ?? (w.options = {});
  for (const [key, value] of Object.entries(changes)) {
    if (JSON.stringify(options[key]) !== JSON.stringify(value)) options[key] = value;
  }
}

function fitHeight(node) {
  if (typeof node.computeSize !== "function") return;
  node.setSize([node.size[0], node.computeSize()[1]]);
  node.setDirtyCanvas?.(true, true);
}

/**
 * Shows the video inputs the node's model takes, with the values it allows. `picked` is set
 * only right after the user chose another model: then, and only then, values the new model
 * does not offer move to "default" (the list offered just changed under them). On creation and
 * on load every value stays exactly as it is.
 */
function applyVideoModel(node, picked) {
  const plan = videoPlan(videoModel(CATALOG, node.comfyClass, widget(node, "model")?.value));
  for (const name of VIDEO_PARAMETERS) {
    const w = widget(node, name);
    if (!w) continue;
    setHidden(w, !plan.visible[name]);
    if (picked && !plan.visible[name]) w.value = NEUTRAL[name];
    if (plan.values[name]) {
      if (picked) w.value = keptValue(w.value, plan.values[name]);
      setOptions(w, { values: shownValues(plan.values[name], w.value) });
    }
    if (name === "duration" && plan.range) {
      if (picked) w.value = keptDuration(w.value, plan);
      setOptions(w, { max: shownMax(plan.range.max, w.value) });
    }
  }
}

function applyProtocol(node, picked) {
  const temperature = widget(node, "temperature");
  if (!temperature || !widget(node, "protocol")) return;
  const max = temperatureMax(CATALOG, widget(node, "protocol")?.value);
  if (picked === "protocol" && temperature.value > max) temperature.value = max;
  setOptions(temperature, { max: shownMax(max, temperature.value) });
}

/** GPTunnel Media Submit: the aspect ratios the model takes, and image_url only where it takes a
 * reference image. A URL already typed is never cleared: where the model takes none it stays
 * on show, marked, until the user clears it (the gateway would refuse it, not ignore it). */
function applyMediaModel(node, picked) {
  const plan = mediaPlan(mediaModel(CATALOG, node.comfyClass, widget(node, "model")?.value));
  const ar = widget(node, "ar");
  if (ar) {
    const offered = plan.ratios ?? mediaRatios(CATALOG, node.comfyClass);  // a model not in the catalog
    if (picked) ar.value = keptValue(ar.value, offered);
    setOptions(ar, { values: shownValues(offered, ar.value) });
  }
  const url = widget(node, "image_url");
  if (!url) return;
  setHidden(url, !plan.images && !String(url.value ?? "").trim());
}

function applyImageField(node) {
  const field = widget(node, "image_field");
  if (!field) return;
  setHidden(field, !needsImageField(CATALOG, widget(node, "model_id")?.value, widget(node, "custom_model_id")?.value));
}

function widgetValues(node) {
  return Object.fromEntries((node.widgets ?? []).map((w) => [w.name, w.value]));
}

/** The node's inputs fed by a link (a widget converted to an input is then not checked). */
function linkedInputs(node) {
  return (node.inputs ?? []).filter((input) => input.link != null).map((input) => input.name);
}

/** Marks every value its model does not allow: listed in the node's status block, and the
 * node flagged as in error (drawn red by every renderer; never saved with the workflow). */
function markProblems(node) {
  const linked = linkedInputs(node);
  const values = Object.fromEntries(Object.entries(widgetValues(node)).filter(([name]) => !linked.includes(name)));
  const found = problems(CATALOG, node.comfyClass, values, linked);
  if (found.length || node.mgStatus) showStatus(node, { problems: found.map(problemMark) });
  if (found.length) {
    node.has_errors = true;
    node.mgFlagged = true;
  } else if (node.mgFlagged) {
    node.has_errors = false;
    node.mgFlagged = false;
  }
}

/** Widgets for the node's current values. picked: the name of the widget the user just
 * changed when it is one that decides the others (model, protocol…), else null. */
function apply(node, picked = null) {
  if (CATALOG.video_nodes?.[node.comfyClass]) applyVideoModel(node, picked);
  else if (CATALOG.media_nodes?.[node.comfyClass]) applyMediaModel(node, picked);
  else if (LLM.has(node.comfyClass)) applyProtocol(node, picked);
  else if (node.comfyClass === "SeaCloudSubmit") applyImageField(node);
  markProblems(node);
}

/** Re-apply after the user changes one of these widgets (in the canvas or in a Vue node). */
function watchWidgets(node) {
  const drivers = { model: true, protocol: true, model_id: true, custom_model_id: true };
  for (const w of node.widgets ?? []) {
    if (w.mgHooked) continue;
    const previous = w.callback;
    const picked = drivers[w.name] ? w.name : null;
    w.callback = function (...args) {
      const result = previous?.apply(this, args);
      apply(node, picked);
      if (picked) fitHeight(node);
      widgetChanged(node, w.name);
      return result;
    };
    w.mgHooked = true;
  }
}

// -- the status block: waiting line, streamed answer, usage --------------------------------

/** The node an execution id names: "12", or "3:12" inside subgraph node 3. */
function nodeOfExecution(id) {
  let graph = app.rootGraph ?? app.graph;
  let node = null;
  for (const part of String(id).split(":")) {
    node = graph?.getNodeById?.(Number.isNaN(Number(part)) ? part : Number(part)) ?? null;
    graph = node?.subgraph;
  }
  return node;
}

/** The frontend shows progress text in a preview widget of its own that breaks words and spills
 * out of the node; for the pack's nodes the status block shows it instead. */
function takeOverProgressText() {
  const dispatch = api.dispatchCustomEvent;
  if (typeof dispatch !== "function" || dispatch.mgWrapped) return;
  const wrapped = function (type, detail, ...rest) {
    if (type === "progress_text" && detail?.nodeId != null) {
      const node = nodeOfExecution(detail.nodeId);
      if (node && OURS.has(node.comfyClass)) {
        const text = String(detail.text ?? "");
        if (LLM.has(node.comfyClass) && statusText(text) === text) showStatus(node, { answer: text, line: "" });
        else showStatus(node, { line: statusText(text) });
        return true;
      }
    }
    return dispatch.call(this, type, detail, ...rest);
  };
  wrapped.mgWrapped = true;
  api.dispatchCustomEvent = wrapped;
}

function ourNodes() {
  const nodes = [];
  const walk = (graph) => {
    for (const node of graph?._nodes ?? graph?.nodes ?? []) {
      if (OURS.has(node.comfyClass)) nodes.push(node);
      if (node.subgraph) walk(node.subgraph);
    }
  };
  walk(app.rootGraph ?? app.graph);
  return nodes;
}

/** After Cancel or an error no waiting line stays behind; a new run starts with none. */
function clearLines() {
  for (const node of ourNodes()) if (node.mgStatus?.state.line) showStatus(node, { line: "" });
}

// -- refusing a run whose values the model does not allow ------------------------------------

/**
 * Before the page posts a prompt, check the pack's nodes in it (the API-format prompt: exactly
 * what would reach the server). If a value is not allowed, answer as ComfyUI's server answers a
 * prompt that fails validation (400 with node_errors), without sending it: every frontend then
 * shows its own error dialog and marks the node and the field.
 */
function guardPrompts() {
  const fetchApi = api.fetchApi;
  if (typeof fetchApi !== "function" || fetchApi.mgWrapped) return;
  const wrapped = async function (route, options = {}, ...rest) {
    if (route === "/prompt" && String(options?.method ?? "GET").toUpperCase() === "POST") {
      let body = null;
      try {
        body = JSON.parse(options.body);
      } catch {
        body = null;
      }
      const refusal = body && promptErrors(CATALOG, body.prompt, problemMessage, displayName, t("problem.short"));
      if (refusal) {
        console.warn("[model_gateway] run refused before sending:", refusal.mg_details);
        return new Response(JSON.stringify(refusal), { status: 400, statusText: "Bad Request",
          headers: { "Content-Type": "application/json" } });
      }
    }
    return fetchApi.call(this, route, options, ...rest);
  };
  wrapped.mgWrapped = true;
  api.fetchApi = wrapped;
}

// -- registration ---------------------------------------------------------------------------

function currentLocale() {
  try {
    return app.extensionManager?.setting?.get?.("Comfy.Locale")
      ?? app.ui?.settings?.getSettingValue?.("Comfy.Locale") ?? navigator.language;
  } catch {
    return navigator.language;
  }
}

app.registerExtension({
  name: "model_gateway.nodes",
  settings: [{
    id: "ModelGateway.Keys",
    // In English: the frontend translates these itself, looking up settingsCategories.<part>
    // (locales/<lang>/main.json) and settings.ModelGateway_Keys (locales/<lang>/settings.json).
    category: [SETTINGS.category, SETTINGS.group],
    name: SETTINGS.name,
    tooltip: SETTINGS.tooltip,
    type: () => settingsKeyPanel(api),
    defaultValue: "",
  }, {
    id: "ModelGateway.Money",
    category: [SETTINGS.category, SETTINGS.moneyGroup],
    name: SETTINGS.moneyName,
    tooltip: SETTINGS.moneyTooltip,
    type: () => settingsMoneyPanel(api, CATALOG, schedulePrices),
    defaultValue: "",
  }],
  setup() {
    setLanguage(currentLocale());
    takeOverProgressText();
    guardPrompts();
    for (const event of ["execution_interrupted", "execution_error", "execution_start"]) {
      api.addEventListener(event, clearLines);
    }
    initPrices(app, api, CATALOG, currentLocale);
    registerTasksTab(app, api, CATALOG);
  },
  afterConfigureGraph() {
    schedulePrices();  // a workflow loaded: its prices and totals (also with no paid node left)
  },
  // Synchronous on purpose: the frontend builds the graph of a workflow being restored while
  // registrations are still pending, so an await here turns saved nodes into placeholders.
  beforeRegisterNodeDef(nodeType, nodeData) {
    if (!OURS.has(nodeData.name)) return;  // by class name: categories arrive translated
    const proto = nodeType.prototype;
    const created = proto.onNodeCreated;
    proto.onNodeCreated = function () {
      const result = created?.apply(this, arguments);
      setLanguage(currentLocale());
      apply(this);  // a new node's defaults are allowed: nothing changes but visibility
      watchWidgets(this);
      watchPrice(this);
      fitHeight(this);
      return result;
    };
    const configured = proto.onConfigure;
    proto.onConfigure = function () {
      const result = configured?.apply(this, arguments);
      apply(this);  // a loaded workflow keeps its values and its size; disallowed ones are marked
      watchWidgets(this);
      watchPrice(this);
      return result;
    };
    // a reference image connected to (or taken from) a model that takes none is marked at once
    const connections = proto.onConnectionsChange;
    proto.onConnectionsChange = function () {
      const result = connections?.apply(this, arguments);
      markProblems(this);
      return result;
    };
    const removed = proto.onRemoved;
    proto.onRemoved = function () {
      const result = removed?.apply(this, arguments);
      schedulePrices();  // the workflow's total changes
      return result;
    };
    const executed = proto.onExecuted;
    proto.onExecuted = function (output) {
      const result = executed?.apply(this, arguments);
      const usage = output?.usage?.[0];
      if (usage) showStatus(this, { usage: usageLine(usage), line: "" });
      return result;
    };
  },
});
