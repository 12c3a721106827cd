// Model Gateway Nodes in the ComfyUI page: the key panel in the settings dialog, model-aware
// widgets, and the last usage/cost on each node. Keys go from the panel straight to the server's
// keys file: the page never stores them, and no widget holds one.
import { app } from "../../../scripts/app.js";
import { api } from "../../../scripts/api.js";
import {
  VIDEO_PARAMETERS, keptDuration, keptValue, needsImageField, temperatureMax, videoModel, videoPlan,
} from "./lib/widgets.js";
import { keyState, settingsNote, usageLine } from "./lib/format.js";

let catalogRequest = null;
function catalog() {
  catalogRequest ??= api.fetchApi("/model_gateway/catalog").then((r) => r.json()).catch(() => ({}));
  return catalogRequest;
}

const widget = (node, name) => node.widgets?.find((w) => w.name === name);

function fitHeight(node) {
  const [, height] = node.computeSize();
  node.setSize([node.size[0], height]);
  node.setDirtyCanvas?.(true, true);
}

// Hidden widgets must also take no room: this frontend lays widgets out by computeSize.
function setHidden(w, hidden) {
  w.hidden = hidden;
  if (hidden) w.computeSize = () => [0, -4];
  else delete w.computeSize;
}

function afterChange(w, react) {
  if (!w || w.mgHooked) return;
  const previous = w.callback;
  w.callback = function (...args) {
    const result = previous?.apply(this, args);
    react();
    return result;
  };
  w.mgHooked = true;
}

// -- model-aware widgets ------------------------------------------------------------------

const NEUTRAL = { duration: 0, resolution: "default", ratio: "default", size: "default",
  negative_prompt: "", off_peak: false };

function applyVideoModel(node, cat, restoring) {
  const plan = videoPlan(videoModel(cat, node.comfyClass, widget(node, "model")?.value));
  for (const name of VIDEO_PARAMETERS) {
    const w = widget(node, name);
    if (!w) continue;
    setHidden(w, !plan.visible[name]);
    // a hidden input is not sent; clear it so the saved workflow says what is used
    if (!restoring && !plan.visible[name]) w.value = NEUTRAL[name];
    if (plan.values[name]) {
      w.options.values = plan.values[name];
      if (!restoring) w.value = keptValue(w.value, plan.values[name]);
    }
    if (name === "duration" && plan.range) {
      w.options.max = plan.range.max;
      if (!restoring) w.value = keptDuration(w.value, plan);
    }
  }
  fitHeight(node);
}

function applyProtocol(node, cat, restoring) {
  const temperature = widget(node, "temperature");
  if (!temperature) return;
  temperature.options.max = temperatureMax(cat, widget(node, "protocol")?.value);
  if (!restoring && temperature.value > temperature.options.max) temperature.value = temperature.options.max;
}

function applyImageField(node, cat) {
  const field = widget(node, "image_field");
  if (!field) return;
  setHidden(field, !needsImageField(cat, widget(node, "model_id")?.value, widget(node, "custom_model_id")?.value));
  fitHeight(node);
}

async function setUp(node, restoring) {
  const cat = await catalog();
  if (cat.video_nodes?.[node.comfyClass]) {
    applyVideoModel(node, cat, restoring);
    afterChange(widget(node, "model"), () => applyVideoModel(node, cat, false));
  } else if (node.comfyClass === "SeaCloudLLM") {
    applyProtocol(node, cat, restoring);
    afterChange(widget(node, "protocol"), () => applyProtocol(node, cat, false));
  } else if (node.comfyClass === "SeaCloudSubmit") {
    applyImageField(node, cat);
    afterChange(widget(node, "model_id"), () => applyImageField(node, cat));
    afterChange(widget(node, "custom_model_id"), () => applyImageField(node, cat));
  }
}

// -- the key panel, rendered inside ComfyUI's settings dialog ------------------------------

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") element.addEventListener("click", value);
    else element.setAttribute(name, value);
  }
  element.append(...children.filter((c) => c != null));
  return element;
}

const STYLE = `
.mg-keys { display: flex; flex-direction: column; gap: 12px; max-width: 640px; font-size: 13px; }
.mg-keys .mg-gateway { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 10px 12px; }
.mg-keys h4 { margin: 0 0 4px; font-size: 14px; }
.mg-keys .mg-row { display: flex; gap: 6px; align-items: center; margin-top: 6px; }
.mg-keys .mg-row label { width: 190px; opacity: .8; font-family: monospace; font-size: 11px; }
.mg-keys input { flex: 1; background: var(--comfy-input-bg, #222); color: var(--input-text, #ddd);
  border: 1px solid var(--border-color, #555); border-radius: 4px; padding: 4px 6px; }
.mg-keys button { padding: 4px 10px; border-radius: 4px; cursor: pointer; }
.mg-keys .ok { color: #4ade80; } .mg-keys .missing, .mg-keys .bad { color: #f87171; }
.mg-keys .mg-note { opacity: .75; font-size: 12px; }
.mg-keys .mg-sandbox { background: #854d0e55; border-radius: 6px; padding: 6px 10px; }`;

async function postJson(path, body) {
  const response = await api.fetchApi(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}) });
  return [response.ok, await response.json()];
}

function gatewayBlock(gateway, rerender, writable) {
  const state = keyState(gateway);
  const result = el("span", { class: "mg-note" });
  const keyInput = el("input", { type: "password", autocomplete: "new-password", spellcheck: "false",
    placeholder: gateway.key.set ? "paste a new key to replace it" : "paste the key", "data-mg-key": gateway.id });
  const save = async (values, input) => {
    const [ok, body] = await postJson(`/model_gateway/keys/${gateway.id}`, values);
    if (input) input.value = "";
    if (!ok) { result.className = "bad"; result.textContent = body.error; return; }
    rerender(body);
  };
  const block = el("div", { class: "mg-gateway" },
    el("h4", {}, gateway.title),
    el("div", { class: state.level }, `Key: ${state.text}`),
    el("div", { class: "mg-row" }, el("label", {}, gateway.key.name), keyInput,
      el("button", { onclick: () => keyInput.value.trim() && save({ [gateway.key.name]: keyInput.value.trim() }, keyInput) }, "Save"),
      gateway.key.source === "keys file"
        ? el("button", { onclick: () => save({ [gateway.key.name]: "" }) }, "Remove") : null));
  for (const setting of gateway.settings) {
    const input = el("input", { type: "text", spellcheck: "false", value: setting.value ?? "",
      placeholder: setting.default ?? "", ...(writable ? {} : { readonly: "" }) });
    block.append(el("div", { class: "mg-row" }, el("label", {}, setting.name), input,
      writable ? el("button", { onclick: () => save({ [setting.name]: input.value.trim() }) }, "Save") : null));
    if (setting.problem) block.append(el("div", { class: "bad" }, setting.problem));
  }
  block.append(el("div", { class: "mg-row" },
    el("button", { onclick: async () => {
      result.className = "mg-note"; result.textContent = "testing…";
      const [, body] = await postJson(`/model_gateway/test/${gateway.id}`);
      result.className = body.ok ? "ok" : "bad";
      result.textContent = body.message;
    } }, "Test connection"), result));
  return block;
}

function keyPanel() {
  if (!document.getElementById("mg-keys-style")) {
    document.head.append(el("style", { id: "mg-keys-style" }, STYLE));
  }
  const root = el("div", { class: "mg-keys" }, el("span", { class: "mg-note" }, "Loading…"));
  const render = (status) => {
    const note = settingsNote(status);
    root.replaceChildren(
      status.sandbox ? el("div", { class: "mg-sandbox" },
        "Sandbox mode (MODEL_GATEWAY_SANDBOX=1): every gateway is the built-in emulator; nothing is paid.") : null,
      el("div", { class: "mg-note" }, "Keys are kept on the ComfyUI server in ", el("code", {}, status.keys_file),
        " (mode 0600), never in workflows or in this browser. An environment variable overrides the file."),
      note ? el("div", { class: "mg-note" }, note) : null,
      ...status.gateways.map((g) => gatewayBlock(g, render, !note)));
  };
  api.fetchApi("/model_gateway/status").then((r) => r.json())
    .then((body) => (body.error ? Promise.reject(body.error) : render(body))).catch((error) => {
    root.replaceChildren(el("span", { class: "bad" }, `Could not read the status: ${error}`));
  });
  return root;
}

// -- registration ---------------------------------------------------------------------------

app.registerExtension({
  name: "model_gateway.nodes",
  settings: [{
    id: "ModelGateway.Keys",
    category: ["Model Gateway", "Keys", "Gateways"],
    name: "Gateway keys and connections",
    tooltip: "Set or replace each gateway's key (stored on the server, never in a workflow), and test the connection.",
    type: () => keyPanel(),
    defaultValue: "",
  }],
  async beforeRegisterNodeDef(nodeType, nodeData) {
    // By class name: in zh or ru the category arrives translated.
    if (!(await catalog()).nodes?.includes(nodeData.name)) return;
    const proto = nodeType.prototype;
    const created = proto.onNodeCreated;
    proto.onNodeCreated = function () {
      const result = created?.apply(this, arguments);
      setUp(this, false);
      return result;
    };
    const configured = proto.onConfigure;
    proto.onConfigure = function () {
      const result = configured?.apply(this, arguments);
      setUp(this, true);  // a loaded workflow keeps its values; only visibility is applied
      return result;
    };
    const executed = proto.onExecuted;
    proto.onExecuted = function (output) {
      executed?.apply(this, arguments);
      const usage = output?.usage?.[0];
      if (usage) {
        this.mgUsage = usageLine(usage);
        this.setDirtyCanvas?.(true, true);
      }
    };
    const drawForeground = proto.onDrawForeground;
    proto.onDrawForeground = function (ctx) {
      drawForeground?.apply(this, arguments);
      if (!this.mgUsage || this.flags?.collapsed) return;
      // In the title bar, right-aligned, where it cannot collide with a node below.
      ctx.save();
      ctx.font = this.titleFontStyle ?? `${globalThis.LiteGraph?.NODE_TEXT_SIZE ?? 14}px Arial`;
      const titleWidth = ctx.measureText(this.getTitle?.() ?? this.title ?? "").width + 40;
      ctx.font = "11px sans-serif";
      const room = this.size[0] - titleWidth - 12;
      if (room > 40) {
        let text = this.mgUsage;
        while (text.length > 4 && ctx.measureText(text).width > room) text = text.slice(0, -2);
        if (text !== this.mgUsage) text = `${text.slice(0, -1)}…`;
        ctx.fillStyle = "#8fb3a0";
        ctx.textAlign = "right";
        ctx.fillText(text, this.size[0] - 10, -(globalThis.LiteGraph?.NODE_TITLE_HEIGHT ?? 30) / 2 + 4);
      }
      ctx.restore();
    };
  },
});
