import { test } from "node:test";
import assert from "node:assert/strict";
import { keyState, settingsNote, usageLine } from "../../web/js/lib/format.js";

test("LLM usage", () => {
  const usage = JSON.stringify({ gateway: "seacloud", model: "gpt-4.1", prompt_tokens: 1200,
    completion_tokens: 34, total_tokens: 1234 });
  assert.equal(usageLine(usage), "1,234 tokens · 1,200 in / 34 out");
});

test("task usage sums cost and credits and says sandbox", () => {
  const usage = { gateway: "gptunnel", sandbox: true,
    tasks: [{ task_id: "a", cost: "8" }, { task_id: "b", cost: "8" }] };
  assert.equal(usageLine(usage), "cost 16 · 2 tasks · sandbox");
  assert.equal(usageLine({ tasks: [{ credits: 10 }] }), "credits 10");
});

test("bad usage gives no line", () => {
  assert.equal(usageLine("{not json"), "");
  assert.equal(usageLine(null), "");
});

test("key states never show more than the ending", () => {
  assert.deepEqual(keyState({ key: { name: "SEACLOUD_API_KEY", set: false } }),
    { level: "missing", text: "not set — paste a key below, or set SEACLOUD_API_KEY" });
  assert.equal(keyState({ key: { name: "X", set: true, source: "keys file", ending: "…abcd" } }).text,
    "set in the keys file (…abcd)");
  assert.equal(keyState({ key: { name: "X", set: true, source: "environment", ending: null,
    file_overridden: true } }).text,
    "set in the environment variable X; the environment variable overrides the keys file");
});

test("a refused key says why, and shows no ending", () => {
  const problem = "SEACLOUD_API_KEY (from the environment) contains a line break";
  assert.deepEqual(keyState({ key: { name: "SEACLOUD_API_KEY", set: true, source: "environment",
    ending: null, problem } }), { level: "bad", text: `refused — ${problem}` });
});

test("settings are read-only, with a note, when the server does not take them from this browser", () => {
  assert.equal(settingsNote({ settings_writable: true, keys_file: "/k.json" }), null);
  const note = settingsNote({ settings_writable: false, keys_file: "/u/keys.json" });
  assert.match(note, /CLOUDBASE_ENV_ID/);
  assert.match(note, /\/u\/keys\.json/);
});
