// Settings → Model Gateway → Prices and budgets: the user's price table per gateway and model (the
// units per_run, per_image, per_second, per_1k_input_tokens, per_1k_output_tokens) and the budgets
// per gateway per day and month, stored on the server (GET/POST /model_gateway/money). What the
// environment sets (MODEL_GATEWAY_PRICES, MODEL_GATEWAY_BUDGETS) wins and is shown read-only. A
// value the server refuses is named next to its field, with the server's own words.
import { el, json, style } from "./dom.js";
import { t } from "../lib/i18n.js";
import { balanceText, budgetTable, fieldOfError, moneyText, priceTable } from "../lib/price.js";
import { wideInSettings } from "./keys.js";
import { pageLocale } from "./price_badge.js";

const PERIODS = ["day", "month"];
const PRICES_VAR = "MODEL_GATEWAY_PRICES";
const BUDGETS_VAR = "MODEL_GATEWAY_BUDGETS";

const CSS = `
.mg-money { display: flex; flex-direction: column; gap: 12px; width: 100%; box-sizing: border-box;
  font-size: 13px; line-height: 1.4; text-align: left; }
.mg-money .mg-gateway { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 10px 12px;
  display: flex; flex-direction: column; gap: 6px; }
.mg-money h4 { margin: 0; font-size: 14px; }
.mg-money h5 { margin: 4px 0 0; font-size: 12px; font-weight: 600; opacity: .85; }
.mg-money .mg-row { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; }
.mg-money input, .mg-money select { background: var(--comfy-input-bg, #222); color: var(--input-text, #ddd);
  border: 1px solid var(--border-color, #555); border-radius: 4px; padding: 4px 6px; min-width: 0; }
.mg-money input[data-mg-field=model] { flex: 1 1 10rem; }
.mg-money select { flex: 0 1 12rem; }
.mg-money input[data-mg-field=amount], .mg-money input[data-mg-field=budget] { flex: 0 0 7rem; width: 7rem; }
.mg-money .mg-period { flex: 0 0 5rem; opacity: .8; }
.mg-money input[readonly] { opacity: .7; }
.mg-money button { padding: 4px 10px; border-radius: 4px; cursor: pointer; white-space: nowrap; }
.mg-money .mg-note { opacity: .75; font-size: 12px; overflow-wrap: anywhere; }
.mg-money .mg-env { font-size: 11px; color: #fbbf24; overflow-wrap: anywhere; }
.mg-money .mg-bad { color: #f87171; font-size: 12px; flex: 1 0 100%; overflow-wrap: anywhere; }
.mg-money .mg-bad:empty { display: none; }
.mg-money .ok { color: #4ade80; }
.mg-money .mg-sandbox { background: #854d0e55; border-radius: 6px; padding: 6px 10px; }`;

/** The model ids the catalog knows per gateway: offered while typing (any other id may be typed). */
function knownModels(catalog) {
  const ids = (rows) => (rows ?? []).map((row) => row.id ?? row.name).filter(Boolean);
  const video = Object.values(catalog.video ?? {}).flatMap((rows) => rows.map((row) => row.name));
  return {
    seacloud: [...ids(catalog.chat?.seacloud), ...ids(catalog.queue)],
    cloudbase: ids(catalog.chat?.cloudbase),
    opencomputing: [...ids(catalog.chat?.opencomputing), ...new Set(video)],
    gptunnel: ["seedream-3", "seedream-4", ...ids(catalog.gptunnel_media).filter((id) => !id.startsWith("seedream"))],
  };
}

function unitSelect(units, value, disabled) {
  return el("select", { "data-mg-field": "unit", disabled },
    units.map((unit) => el("option", { value: unit, selected: unit === value }, t(`money.unit.${unit}`))));
}

function priceRow(gateway, units, listId, row = {}, envModels = {}) {
  const model = el("input", { type: "text", spellcheck: "false", list: listId, value: row.model ?? "",
    placeholder: t("money.model"), "data-mg-field": "model" });
  const amount = el("input", { type: "text", inputmode: "decimal", value: row.value ?? "",
    placeholder: t("money.amount"), "data-mg-field": "amount" });
  const error = el("div", { class: "mg-bad" });
  const line = el("div", { class: "mg-row", "data-mg-price-row": gateway }, model, unitSelect(units, row.unit ?? units[0]),
    amount, el("button", { onclick: () => line.remove() }, t("money.remove")), error);
  if (row.model && envModels[row.model]) line.append(el("div", { class: "mg-env" }, t("money.env", { name: PRICES_VAR })));
  return line;
}

function envRows(gateway, units, table) {
  const rows = [];
  for (const [model, prices] of Object.entries(table ?? {})) {
    for (const [unit, value] of Object.entries(prices)) {
      rows.push(el("div", { class: "mg-row", "data-mg-env-price": gateway },
        el("input", { type: "text", value: model, readonly: true, "data-mg-field": "model" }),
        unitSelect(units, unit, true),
        el("input", { type: "text", value: String(value), readonly: true, "data-mg-field": "amount" }),
        el("span", { class: "mg-env" }, t("money.env", { name: PRICES_VAR }))));
    }
  }
  return rows;
}

function gatewayBlock(body, gateway, title, models, locale) {
  const currency = body.currencies[gateway];
  const units = body.units;
  const listId = `mg-models-${gateway}`;
  const envPrices = body.prices.env?.[gateway] ?? {};
  const rows = el("div", { style: "display: flex; flex-direction: column; gap: 6px" });
  for (const [model, prices] of Object.entries(body.prices.user?.[gateway] ?? {})) {
    for (const [unit, value] of Object.entries(prices)) rows.append(priceRow(gateway, units, listId, { model, unit, value }, envPrices));
  }
  const spent = body.spent?.[gateway] ?? {};
  const budgets = PERIODS.map((period) => {
    const env = body.budgets.env?.[gateway]?.[period];
    const user = body.budgets.user?.[gateway]?.[period];
    const input = el("input", { type: "text", inputmode: "decimal", "data-mg-field": "budget", "data-mg-period": period,
      value: env ?? user ?? "", readonly: env != null, placeholder: t("money.none") });
    return el("div", { class: "mg-row", "data-mg-budget": `${gateway}.${period}` },
      el("span", { class: "mg-period" }, t(`money.${period}`)), input,
      env != null ? el("span", { class: "mg-env" }, t("money.env", { name: BUDGETS_VAR })) : null,
      el("div", { class: "mg-bad" }));
  });
  const unit = currency.sign ? `${currency.sign} ${currency.code}` : t("price.pointsUnit");
  const balance = balanceText(body.balance?.[gateway], locale);
  return el("div", { class: "mg-gateway", "data-mg-gateway": gateway },
    el("h4", {}, title, el("span", { class: "mg-note", style: "font-weight: normal; margin-left: 8px" },
      t("money.currency", { unit }))),
    balance ? el("div", { class: "mg-note", "data-mg-balance": gateway }, balance) : null,
    el("datalist", { id: listId }, (models[gateway] ?? []).map((id) => el("option", { value: id }))),
    el("h5", {}, t("money.prices")),
    ...envRows(gateway, units, envPrices),
    rows,
    el("div", { class: "mg-row" }, el("button", { "data-mg-add": gateway,
      onclick: () => rows.append(priceRow(gateway, units, listId)) }, t("money.add"))),
    el("h5", {}, t("money.budgets")),
    ...budgets,
    el("div", { class: "mg-note" }, t("money.spent", { day: moneyText(spent.day ?? 0, currency, locale),
      month: moneyText(spent.month ?? 0, currency, locale) })));
}

/** What the panel's fields say, as the tables POST /money stores, and each field's path. */
function collect(root) {
  const fields = [];
  const prices = [];
  const budgets = [];
  for (const line of root.querySelectorAll("[data-mg-price-row]")) {
    const row = { gateway: line.dataset.mgPriceRow, model: line.querySelector("[data-mg-field=model]").value,
      unit: line.querySelector("[data-mg-field=unit]").value, value: line.querySelector("[data-mg-field=amount]").value };
    prices.push(row);
    fields.push([`prices.${row.gateway}.${row.model.trim()}.${row.unit}`, line]);
  }
  for (const line of root.querySelectorAll("[data-mg-budget]")) {
    const input = line.querySelector("input");
    if (input.readOnly) continue;  // the environment's: not the user's to store
    const [gateway, period] = line.dataset.mgBudget.split(".");
    budgets.push({ gateway, period, value: input.value });
    fields.push([`budgets.${gateway}.${period}`, line]);
  }
  return { body: { prices: priceTable(prices), budgets: budgetTable(budgets) }, fields };
}

/** The panel, filled once the server's tables arrive. onSaved(): after a write the server took. */
export function moneyPanel(api, catalog, onSaved = () => {}) {
  style("mg-money-style", CSS);
  const root = el("div", { class: "mg-money" }, el("span", { class: "mg-note" }, t("money.loading")));
  const models = knownModels(catalog);
  let titles = {};
  const render = (body, message = null) => {
    const result = el("span", { class: message ? "ok" : "mg-note", "data-mg-result": "" }, message ?? "");
    const blocks = Object.keys(body.currencies).map((g) => gatewayBlock(body, g, titles[g] ?? g, models, pageLocale()));
    const save = async () => {
      for (const bad of root.querySelectorAll(".mg-bad")) bad.textContent = "";
      const { body: tables, fields } = collect(root);
      result.className = "mg-note";
      result.textContent = "…";
      const response = await api.fetchApi("/model_gateway/money", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(tables) });
      const answer = await json(response);
      if (!response.ok) {
        const path = fieldOfError(answer.error, fields.map(([p]) => p));
        const line = fields.find(([p]) => p === path)?.[1];
        const where = line?.querySelector(".mg-bad");
        if (where) where.textContent = answer.error;
        result.className = "mg-bad";
        result.style.flex = "1 1 auto";
        result.textContent = answer.error ?? response.statusText;
        line?.scrollIntoView?.({ block: "nearest" });
        return;
      }
      render(answer, t("money.saved"));
      onSaved(answer);
    };
    root.replaceChildren(...[
      body.sandbox ? el("div", { class: "mg-sandbox" }, t("keys.sandbox")) : null,
      el("div", { class: "mg-note" }, t("money.intro")),
      ...blocks,
      el("div", { class: "mg-row" }, el("button", { onclick: save, "data-mg-save": "" }, t("money.save")), result),
    ].filter(Boolean));
  };
  Promise.all([api.fetchApi("/model_gateway/money").then(json), api.fetchApi("/model_gateway/status").then(json)])
    .then(([body, status]) => {
      if (body.error) return Promise.reject(body.error);
      titles = Object.fromEntries((status.gateways ?? []).map((g) => [g.id, g.title]));
      return render(body);
    }).catch((error) => root.replaceChildren(el("span", { class: "mg-bad" }, t("money.readError", { error }))));
  return root;
}

export function settingsMoneyPanel(api, catalog, onSaved) {
  return wideInSettings(moneyPanel(api, catalog, onSaved));
}
