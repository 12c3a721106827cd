// The key panel: each gateway's key state (never the key), its balance where the gateway tells it
// (GET /model_gateway/money; GPTunnel), a password field to set or replace it, CloudBase's env id
// and base-URL overrides, and a connection test. Keys go from the panel straight to the server's
// keys file: the page never stores them, and no widget holds one.
// Shown in ComfyUI's settings dialog (full width) and in the Gateway tasks sidebar tab.
import { el, json, style } from "./dom.js";
import { t } from "../lib/i18n.js";
import { keyState, settingsNote } from "../lib/format.js";
import { balanceText } from "../lib/price.js";
import { pageLocale } from "./price_badge.js";

const CSS = `
.mg-keys { display: flex; flex-direction: column; gap: 12px; width: 100%; box-sizing: border-box;
  font-size: 13px; line-height: 1.4; text-align: left; }
.mg-keys .mg-gateway { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 10px 12px; }
.mg-keys h4 { margin: 0 0 4px; font-size: 14px; }
.mg-keys .mg-row { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; margin-top: 6px; }
.mg-keys .mg-row label { flex: 0 0 13rem; max-width: 100%; opacity: .8; font-family: monospace;
  font-size: 11px; overflow-wrap: anywhere; }
.mg-keys input { flex: 1 1 16rem; min-width: 0; background: var(--comfy-input-bg, #222);
  color: var(--input-text, #ddd); border: 1px solid var(--border-color, #555); border-radius: 4px;
  padding: 4px 6px; }
.mg-keys button { padding: 4px 10px; border-radius: 4px; cursor: pointer; white-space: nowrap; }
.mg-keys .ok { color: #4ade80; } .mg-keys .missing, .mg-keys .bad { color: #f87171; }
.mg-keys .mg-balance:empty { display: none; }
.mg-keys .mg-note { opacity: .75; font-size: 12px; overflow-wrap: anywhere; }
.mg-keys code { overflow-wrap: anywhere; }
.mg-keys .mg-sandbox { background: #854d0e55; border-radius: 6px; padding: 6px 10px; }`;

async function postJson(api, path, body) {
  const response = await api.fetchApi(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}) });
  return [response.ok, await json(response)];
}

function gatewayBlock(api, gateway, rerender, writable, sandbox) {
  const state = keyState(gateway, sandbox);
  const result = el("span", { class: "mg-note", "data-mg-result": gateway.id });
  const keyInput = el("input", { type: "password", autocomplete: "new-password", spellcheck: "false",
    placeholder: gateway.key.set ? t("keys.replace") : t("keys.paste"), "data-mg-key": gateway.id });
  const save = async (values, input) => {
    const [ok, body] = await postJson(api, `/model_gateway/keys/${gateway.id}`, values);
    if (input) input.value = "";
    if (!ok) {
      result.className = "bad";
      result.textContent = body.error;
      return;
    }
    rerender(body);
  };
  const block = el("div", { class: "mg-gateway", "data-mg-gateway": gateway.id },
    el("h4", {}, gateway.title),
    el("div", { class: state.level }, t("keys.key", { state: state.text })),
    el("div", { class: "mg-balance", "data-mg-balance": gateway.id }),
    el("div", { class: "mg-row" }, el("label", {}, gateway.key.name), keyInput,
      el("button", { onclick: () => keyInput.value.trim() && save({ [gateway.key.name]: keyInput.value.trim() }, keyInput) },
        t("keys.save")),
      gateway.key.source === "keys file"
        ? el("button", { onclick: () => save({ [gateway.key.name]: "" }) }, t("keys.remove")) : null));
  for (const setting of gateway.settings) {
    const input = el("input", { type: "text", spellcheck: "false", value: setting.value ?? "",
      placeholder: setting.default ?? "", readonly: !writable, "data-mg-setting": setting.name });
    block.append(el("div", { class: "mg-row" }, el("label", {}, setting.name), input,
      writable ? el("button", { onclick: () => save({ [setting.name]: input.value.trim() }) }, t("keys.save")) : null));
    if (setting.problem) block.append(el("div", { class: "bad" }, setting.problem));
  }
  block.append(el("div", { class: "mg-row" },
    el("button", { onclick: async () => {
      result.className = "mg-note";
      result.textContent = t("keys.testing");
      const [, body] = await postJson(api, `/model_gateway/test/${gateway.id}`);
      result.className = body.ok ? "ok" : "bad";
      result.textContent = body.message ?? body.error;
    } }, t("keys.test")), result));
  return block;
}

/** Each gateway's balance line from GET /money's `balance` (a gateway with none has no line). */
function showBalances(root, balances) {
  for (const line of root.querySelectorAll("[data-mg-balance]")) {
    const balance = balances?.[line.dataset.mgBalance];
    line.className = `mg-balance ${balance?.problem ? "bad" : "mg-note"}`;
    line.textContent = balanceText(balance, pageLocale());
  }
}

/** The panel, filled once the server's key status arrives; the balances as GET /money gives them
 * (asked on its own: it may ask the gateway, and the keys need not wait for it). */
export function keyPanel(api) {
  style("mg-keys-style", CSS);
  const root = el("div", { class: "mg-keys" }, el("span", { class: "mg-note" }, t("keys.loading")));
  let balances = null;
  const askBalances = () => api.fetchApi("/model_gateway/money").then(json).then((body) => {
    if (body.error) return;
    balances = body.balance ?? {};
    showBalances(root, balances);
  }).catch(() => {});
  const render = (status, keyChanged = false) => {
    const note = settingsNote(status);
    const where = t("keys.where", { file: "\u0000" }).split("\u0000");
    // replaceChildren skips nothing: only elements go in (a null would show as "null")
    root.replaceChildren(...[
      status.sandbox ? el("div", { class: "mg-sandbox" }, t("keys.sandbox")) : null,
      el("div", { class: "mg-note" }, where[0], el("code", {}, status.keys_file), where[1] ?? ""),
      note ? el("div", { class: "mg-note" }, note) : null,
      ...status.gateways.map((g) => gatewayBlock(api, g, (body) => render(body, true), !note, status.sandbox)),
    ].filter(Boolean));
    showBalances(root, balances);
    if (keyChanged) askBalances();  // another key: another balance
  };
  api.fetchApi("/model_gateway/status").then(json)
    .then((body) => (body.error ? Promise.reject(body.error) : render(body))).catch((error) => {
      root.replaceChildren(el("span", { class: "bad" }, t("keys.readError", { error })));
    });
  askBalances();
  return root;
}

/**
 * The panel as ComfyUI's settings dialog hosts it: the dialog puts a setting's control in a
 * narrow right-hand column beside its name. Once attached, the panel moves itself to a line of
 * its own below the name, as wide as the dialog (found by layout, not by the dialog's classes,
 * which differ between frontends).
 */
export function settingsKeyPanel(api) {
  return wideInSettings(keyPanel(api));
}

/** A panel in the settings dialog, moved to a line of its own as wide as the dialog. */
export function wideInSettings(panel) {
  const host = el("div", { class: "mg-keys-host" }, panel);
  const widen = () => {
    let column = host;
    // climb to the column beside the setting's name: the first ancestor with a sibling
    while (column.parentElement && column.parentElement.children.length < 2) column = column.parentElement;
    const row = column.parentElement;
    if (!row || row === document.body) return;
    row.style.flexWrap = "wrap";
    column.style.flex = "1 0 100%";
    column.style.maxWidth = "100%";
    column.style.justifyContent = "stretch";
    for (let node = host; node && node !== row; node = node.parentElement) {
      node.style.width = "100%";
      node.style.minWidth = "0";
    }
  };
  // attached by the dialog after this returns; a frame later it is in place
  const attached = () => (host.isConnected ? widen() : requestAnimationFrame(attached));
  requestAnimationFrame(attached);
  return host;
}
