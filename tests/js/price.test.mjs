import { test } from "node:test";
import assert from "node:assert/strict";
import { setLanguage } from "../../web/js/lib/i18n.js";
import {
  PRICE_WIDGETS, badgeText, badgeTitle, balanceText, budgetTable, budgetText, estimateRequest, fieldOfError,
  intlLocale, moneyText, priceTable, totalText, typedAmount,
} from "../../web/js/lib/price.js";

// entries as POST /model_gateway/estimate answers them (tests/test_money_routes.py)
const RUB = { gateway: "gptunnel", model: "seedream-4", currency: "RUB", sign: "₽", amount: 12.5,
  basis: "estimated", source: "user", runs: 4, detail: "4 images × ₽3.125" };
const UNKNOWN = { gateway: "seacloud", model: "unpriced", currency: "USD", sign: "$", amount: null,
  basis: "unknown", source: null, runs: 2, detail: "price unknown for unpriced" };

test("each gateway's sign, in the page's locale", () => {
  setLanguage("en");
  assert.equal(moneyText(12.5, { code: "RUB", sign: "₽" }, "en"), "₽12.5");
  assert.equal(moneyText(1234.5, { code: "RUB", sign: "₽" }, "ru"), "1\u00a0234,5\u00a0₽");
  assert.equal(moneyText(0.004, { code: "CNY", sign: "¥" }, "zh-CN"), "¥0.004");
  assert.equal(moneyText(0.04, { code: "USD", sign: "$" }, "en-US"), "$0.04");
  assert.equal(moneyText(3.125, { code: "RUB", sign: "₽" }, "en"), "₽3.125", "a price as the user typed it");
  assert.equal(moneyText(0.000123, { code: "USD", sign: "$" }, "en"), "$0.000123", "small amounts keep 3 digits");
});

test("CloudBase's resource points are a unit after the number, in the user's language", () => {
  setLanguage("en");
  assert.equal(moneyText(1500, { code: "points", sign: "" }, "en"), "1,500 points");
  setLanguage("ru");
  assert.equal(moneyText(1500, { code: "points", sign: "" }, "ru"), "1\u00a0500 баллов");
  setLanguage("zh");
  assert.equal(moneyText(2.5, { code: "points", sign: "" }, "zh"), "2.5 点");
  setLanguage("en");
});

test("a locale tag Intl does not take falls back to English", () => {
  assert.equal(intlLocale("zh_CN"), "zh-CN");
  assert.equal(intlLocale("not a locale!"), "en");
  assert.equal(moneyText(2, { code: "USD", sign: "$" }, undefined), "$2");
});

test("the badge: the price of one run, ≤ for an answer's most, unknown where no price is known", () => {
  setLanguage("en");
  assert.equal(badgeText(RUB, "en"), "₽12.5");
  assert.equal(badgeText({ ...RUB, amount: 0.004, currency: "CNY", sign: "¥" }, "en", { atMost: true }), "≤ ¥0.004");
  assert.equal(badgeText(UNKNOWN, "en"), "price unknown");
  assert.equal(badgeText(null, "en"), "price unknown", "the estimate failed");
  assert.equal(badgeText(undefined, "en"), "", "not asked yet: no badge");
  setLanguage("ru");
  assert.equal(badgeText(UNKNOWN, "ru"), "цена неизвестна");
  assert.equal(badgeText(RUB, "ru"), "12,5\u00a0₽");
  setLanguage("zh");
  assert.equal(badgeText(UNKNOWN, "zh"), "价格未知");
  setLanguage("en");
});

test("the tooltip says where the price came from and how it adds up", () => {
  setLanguage("en");
  assert.equal(badgeTitle(RUB, "en"),
    "One run: ₽12.5\nfrom your price (Settings → Model Gateway → Prices and budgets): 4 images × ₽3.125");
  assert.match(badgeTitle({ ...RUB, source: "gateway" }, "en"), /from the gateway's published price: /);
  assert.match(badgeTitle({ ...RUB, source: "history" }, "en"), /median of this model's recent reported costs/);
  assert.match(badgeTitle({ ...RUB, source: "env" }, "en"), /MODEL_GATEWAY_PRICES/);
  assert.match(badgeTitle(UNKNOWN, "en"), /^No price known for unpriced: set one in Settings/);
  assert.match(badgeTitle(RUB, "en", { over: "would pass the day budget" }), /\nOver budget: would pass the day budget$/);
  assert.match(badgeTitle(RUB, "en", { atMost: true }), /^One run: at most ₽12.5/);
});

test("a gateway's total counts the nodes without a price", () => {
  setLanguage("en");
  assert.equal(totalText({ amount: 5.004, unknown: 0, currency: "CNY", sign: "¥" }, "en"), "¥5.004");
  assert.equal(totalText({ amount: 2, unknown: 1, currency: "USD", sign: "$" }, "en"), "$2 + 1 without a price");
  assert.equal(totalText({ amount: 0, unknown: 2, currency: "USD", sign: "$" }, "en"), "2 without a price");
  assert.equal(totalText({ amount: 0, unknown: 0, currency: "USD", sign: "$" }, "en"), "$0");
});

test("budgets and balances", () => {
  setLanguage("en");
  const rub = { code: "RUB", sign: "₽" };
  assert.equal(budgetText("day", { budget: 15, spent: 5, left: 10 }, rub, "en"), "day: ₽5 of ₽15 spent, ₽10 left");
  // the shape GET /model_gateway/money gives (GPTunnel's /v1/balance): whole cents, as an account reads
  const gptunnel = { amount: 1234.5, credit_limit: 0, currency: "RUB", sign: "₽", checked_at: 1765155000, problem: null };
  assert.equal(balanceText(gptunnel, "en"), "balance ₽1,234.50");
  assert.equal(balanceText({ ...gptunnel, amount: 830 }, "en"), "balance ₽830.00");
  assert.equal(balanceText({ amount: 10, credit_limit: 100, currency: "RUB", sign: "₽" }, "en"),
    "balance ₽10.00 (credit limit ₽100.00)");
  assert.equal(balanceText({ ...gptunnel, amount: -5.5 }, "en"), "balance -₽5.50");
  assert.equal(balanceText({ problem: "the key was refused" }, "en"), "balance not read: the key was refused");
  assert.equal(balanceText({ amount: null, problem: null }, "en"), "");
  assert.equal(balanceText(undefined, "en"), "");
  setLanguage("ru");
  assert.equal(balanceText(gptunnel, "ru").replace(/\s/g, " "), "баланс 1 234,50 ₽");
  setLanguage("en");
  // a price keeps the digits it was typed with; only a balance is written in cents
  assert.equal(moneyText(1234.5, rub, "en"), "₽1,234.5");
});

test("the estimate request and the widgets that change a price", () => {
  assert.deepEqual(estimateRequest([["7", "GPTunnelSeedream4", { count: 2 }]]),
    { nodes: { 7: { class_type: "GPTunnelSeedream4", inputs: { count: 2 } } } });
  for (const name of ["model", "duration", "resolution", "count", "max_tokens"]) assert.ok(PRICE_WIDGETS.has(name));
  assert.ok(!PRICE_WIDGETS.has("seed"));
});

test("the panel's rows become the tables the server stores", () => {
  assert.equal(typedAmount(" 0,5 "), 0.5);
  assert.equal(typedAmount(""), null);
  assert.equal(typedAmount("abc"), "abc", "sent as typed: the server says what is allowed");
  assert.deepEqual(priceTable([
    { gateway: "seacloud", model: "nano_banana_2", unit: "per_image", value: "0.04" },
    { gateway: "seacloud", model: "nano_banana_2", unit: "per_run", value: "0.01" },
    { gateway: "gptunnel", model: " ", unit: "per_run", value: "3" },
    { gateway: "gptunnel", model: "seedream-4", unit: "per_image", value: "" },
  ]), { seacloud: { nano_banana_2: { per_image: 0.04, per_run: 0.01 } } });
  assert.deepEqual(budgetTable([{ gateway: "gptunnel", period: "day", value: "500" },
    { gateway: "gptunnel", period: "month", value: "" }]), { gptunnel: { day: 500 } });
});

test("a 400's message names the field it is shown next to", () => {
  const paths = ["prices.seacloud.m.per_run", "prices.seacloud.m.per_image", "budgets.gptunnel.day",
    "prices.opencomputing.Seedance 1.0 Pro.per_second"];
  assert.equal(fieldOfError("prices.seacloud.m.per_run: -1 is not allowed; give a number of 0 or more", paths),
    "prices.seacloud.m.per_run");
  assert.equal(fieldOfError("prices.seacloud.m: no unit 'per_minute'", paths), "prices.seacloud.m.per_run");
  assert.equal(fieldOfError("budgets.gptunnel.day: True is not allowed", paths), "budgets.gptunnel.day");
  assert.equal(fieldOfError("prices.opencomputing.Seedance 1.0 Pro.per_second: 'x' is not allowed", paths),
    "prices.opencomputing.Seedance 1.0 Pro.per_second");
  assert.equal(fieldOfError('send a JSON object with "prices" and/or "budgets"', paths), null);
});
