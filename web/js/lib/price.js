// What a run costs, as the page says it: the badge on a paid node, its tooltip, the workflow's
// total per gateway, budgets and balances — from POST /model_gateway/estimate and GET
// /model_gateway/money. Amounts are in each gateway's own unit (₽, ¥, $, CloudBase's points),
// never converted, written the way the page's locale writes numbers. Pure: tested with node.
import { t } from "./i18n.js";

/** The widgets whose value changes what one run costs (the estimate reads these). */
export const PRICE_WIDGETS = new Set(["model", "model_id", "custom_model", "custom_model_id", "duration",
  "resolution", "count", "max_tokens", "size", "ar", "aspect_ratio", "prompt", "system_prompt"]);

/** A page locale Intl accepts ("zh" → "zh", "en_US" → "en-US"; nonsense → "en"). */
export function intlLocale(tag) {
  const wanted = String(tag ?? "").replace(/_/g, "-");
  try {
    return Intl.NumberFormat.supportedLocalesOf([wanted])[0] ?? "en";
  } catch {
    return "en";
  }
}

function digits(amount) {
  const size = Math.abs(amount);
  if (size > 0 && size < 1) return { maximumSignificantDigits: 3 };
  return { minimumFractionDigits: 0, maximumFractionDigits: size >= 100 ? 2 : 3 };
}

// an account's money (a balance): whole cents, as a bank writes it
const CENTS = { minimumFractionDigits: 2, maximumFractionDigits: 2 };

/** An amount in a gateway's unit: "₽12.5", "12,5 ₽", "¥0.004", "$0.04", "12 points"; with
 * `cents`, always two decimals ("₽1,234.50"). */
export function moneyText(amount, currency, locale, { cents = false } = {}) {
  const where = intlLocale(locale);
  const code = currency?.code ?? "";
  const fraction = cents ? CENTS : digits(amount);
  if (/^[A-Z]{3}$/.test(code)) {
    try {
      return new Intl.NumberFormat(where, { style: "currency", currency: code, currencyDisplay: "narrowSymbol",
        ...fraction }).format(amount);
    } catch {
      // an engine without narrowSymbol: the sign the server gave, before the number
    }
  }
  const number = new Intl.NumberFormat(where, fraction).format(amount);
  if (currency?.sign) return `${currency.sign}${number}`;
  return t("price.points", { n: number, unit: code === "points" || !code ? t("price.pointsUnit") : code });
}

const currencyOf = (entry) => ({ code: entry?.currency, sign: entry?.sign });

/**
 * The badge's text for one node's estimate (an entry of the estimate's `nodes`): the price of one
 * run, "≤" before it where it is the most the run can cost (an answer of up to max_tokens), and
 * "price unknown" where no price is known. No entry yet (nothing asked): no text, no badge.
 */
export function badgeText(entry, locale, { atMost = false } = {}) {
  if (entry === undefined) return "";
  if (!entry || entry.amount == null) return t("price.unknown");
  const amount = moneyText(entry.amount, currencyOf(entry), locale);
  return atMost ? t("price.atMost", { amount }) : amount;
}

/** Where the price came from, in words (user, env, gateway, history; anything else as given). */
export function sourceText(source) {
  const known = { user: "price.source.user", env: "price.source.env", gateway: "price.source.gateway",
    history: "price.source.history" };
  return known[source] ? t(known[source]) : String(source ?? "");
}

/** The badge's tooltip: what one run costs, where the price came from and how it adds up. */
export function badgeTitle(entry, locale, { atMost = false, over = "" } = {}) {
  if (entry === undefined) return "";
  const lines = [];
  if (!entry || entry.amount == null) {
    lines.push(t("price.unknownTitle", { model: entry?.model ?? "?" }));
    if (entry?.detail) lines.push(entry.detail);
  } else {
    lines.push(t(atMost ? "price.titleAtMost" : "price.title",
      { amount: moneyText(entry.amount, currencyOf(entry), locale) }));
    lines.push(t("price.from", { source: sourceText(entry.source) }) + (entry.detail ? `: ${entry.detail}` : ""));
  }
  if (over) lines.push(t("price.over", { why: over }));
  return lines.join("\n");
}

/** A gateway's total for the open workflow: "₽12.5", "₽12.5 + 1 without a price". */
export function totalText(total, locale) {
  if (!total) return "";
  const known = total.amount ? moneyText(total.amount, currencyOf(total), locale) : "";
  if (!total.unknown) return known || moneyText(0, currencyOf(total), locale);
  const unknown = t("price.unknownNodes", { n: total.unknown });
  return known ? `${known} + ${unknown}` : unknown;
}

/** One budget of a gateway, as the estimate gives it ({budget, spent, left}). */
export function budgetText(period, budget, currency, locale) {
  const money = (n) => moneyText(Number(n ?? 0), currency, locale);
  return t("price.budget", { period: t(`money.${period}`), spent: money(budget.spent), budget: money(budget.budget),
    left: money(budget.left) });
}

/** A gateway's balance as GET /money gives it ({amount, credit_limit, currency, sign, checked_at,
 * problem}): "balance ₽1,234.50", its credit limit where it has one, or why it could not be read. */
export function balanceText(balance, locale) {
  if (!balance) return "";
  if (balance.problem) return t("price.balanceProblem", { problem: balance.problem });
  if (balance.amount == null) return "";
  const currency = { code: balance.currency, sign: balance.sign };
  const money = (n) => moneyText(Number(n), currency, locale, { cents: true });
  let text = t("price.balance", { amount: money(balance.amount) });
  if (Number(balance.credit_limit)) text += ` ${t("price.creditLimit", { amount: money(balance.credit_limit) })}`;
  return text;
}

/** The estimate route's request for paid nodes given as [key, class_type, widget values]. */
export function estimateRequest(nodes) {
  return { nodes: Object.fromEntries(nodes.map(([key, classType, inputs]) => [key, { class_type: classType, inputs }])) };
}

// -- the prices and budgets panel ---------------------------------------------------------------

/** A typed amount: a number where it is one, else the text as typed (the server names the field
 * and says what is allowed), or null for an empty field. */
export function typedAmount(text) {
  const trimmed = String(text ?? "").trim().replace(",", ".");
  if (!trimmed) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : String(text).trim();
}

/** The price table to store, from the panel's rows [{gateway, model, unit, value}]. A row without
 * a model or a value is left out; the same model's units are one entry. */
export function priceTable(rows) {
  const table = {};
  for (const row of rows) {
    const model = String(row.model ?? "").trim();
    const value = typedAmount(row.value);
    if (!model || value === null) continue;
    ((table[row.gateway] ??= {})[model] ??= {})[row.unit] = value;
  }
  return table;
}

/** The budget table to store, from [{gateway, period, value}]; an empty field sets no budget. */
export function budgetTable(rows) {
  const table = {};
  for (const row of rows) {
    const value = typedAmount(row.value);
    if (value !== null) (table[row.gateway] ??= {})[row.period] = value;
  }
  return table;
}

/** Which field a 400 from POST /money is about. The server's message starts with where the
 * problem is ("prices.seacloud.m.per_run: …", "prices.seacloud.m: no unit …", "budgets.gptunnel.day:
 * …"): the field of that path, or the first field inside it; null when it names none. */
export function fieldOfError(message, paths) {
  const where = String(message ?? "").split(":")[0].trim();
  if (!where) return null;
  return paths.find((path) => path === where) ?? paths.find((path) => path.startsWith(`${where}.`)) ?? null;
}
