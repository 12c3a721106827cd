// Text the extension shows: the last usage/cost of a node, and each gateway's key status.
// Pure functions, tested with node's test runner.

function number(value) {
  return typeof value === "number" ? value.toLocaleString("en-US") : String(value);
}

/** One short line from a node's usage JSON (LLM tokens, or a task's cost/credits). */
export function usageLine(usageJson) {
  let usage;
  try {
    usage = typeof usageJson === "string" ? JSON.parse(usageJson) : usageJson;
  } catch {
    return "";
  }
  if (!usage || typeof usage !== "object") return "";
  const parts = [];
  if (usage.total_tokens != null) {
    parts.push(`${number(usage.total_tokens)} tokens`);
    if (usage.prompt_tokens != null && usage.completion_tokens != null) {
      parts.push(`${number(usage.prompt_tokens)} in / ${number(usage.completion_tokens)} out`);
    }
  }
  const tasks = usage.tasks ?? [];
  for (const key of ["cost", "credits", "price"]) {
    const values = tasks.map((t) => t[key]).filter((v) => v != null && v !== "");
    if (values.length) {
      const total = values.reduce((sum, v) => sum + Number(v), 0);
      parts.push(`${key} ${Number.isFinite(total) ? +total.toFixed(4) : values.join("+")}`);
    }
  }
  if (tasks.length > 1) parts.push(`${tasks.length} tasks`);
  if (usage.sandbox) parts.push("sandbox");
  return parts.join(" · ");
}

/** What the settings panel says about one gateway's key (never the key: at most its ending). */
export function keyState(gateway) {
  const key = gateway.key;
  if (key.problem) return { level: "bad", text: `refused — ${key.problem}` };
  if (!key.set) return { level: "missing", text: `not set — paste a key below, or set ${key.name}` };
  const ending = key.ending ? ` (${key.ending})` : "";
  const where = key.source === "environment" ? `environment variable ${key.name}` : "keys file";
  let text = `set in the ${where}${ending}`;
  if (key.file_overridden) text += "; the environment variable overrides the keys file";
  return { level: "ok", text };
}

/** Why the panel shows base URLs and the env id read-only, or null when they can be changed:
 * the server takes them only from a browser on its own machine (they decide where keys go). */
export function settingsNote(status) {
  if (status.settings_writable !== false) return null;
  return "Base URLs and CLOUDBASE_ENV_ID decide where keys are sent, so they can be changed here " +
    "only in a browser on the machine running ComfyUI (at http://127.0.0.1:PORT). " +
    `Elsewhere set them in the environment or in ${status.keys_file}.`;
}
