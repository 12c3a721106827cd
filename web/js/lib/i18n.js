// The page's texts in the user's language (ComfyUI's Comfy.Locale): English, Chinese, Russian,
// from locales/<lang>/page.json (compiled into messages.js by tools/make_web.py). A text a
// translation lacks falls back to English; `{name}` in a text is replaced by params.name.
import { MESSAGES } from "./messages.js";

let current = "en";

/** "zh" for zh, zh-CN, zh-TW…; "ru" for ru…; "en" for anything else. */
export function pickLanguage(tag) {
  const lower = String(tag ?? "").toLowerCase();
  for (const language of Object.keys(MESSAGES)) {
    if (lower === language || lower.startsWith(`${language}-`) || lower.startsWith(`${language}_`)) return language;
  }
  return "en";
}

export function setLanguage(tag) {
  current = pickLanguage(tag);
  return current;
}

export function language() {
  return current;
}

function lookup(lang, key) {
  return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), MESSAGES[lang]);
}

export function t(key, params = {}) {
  let text = lookup(current, key);
  if (typeof text !== "string") text = lookup("en", key);
  if (typeof text !== "string") return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A number as the user's language writes it (1,234 / 1 234 / 1,234). */
export function number(value) {
  if (typeof value !== "number") return String(value);
  return value.toLocaleString(current === "en" ? "en-US" : current, { maximumFractionDigits: 4 });
}
