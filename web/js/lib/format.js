// Text the extension shows, in the user's language: the usage/cost and status lines of a node,
// each gateway's key status, what a saved value breaks, and the Tasks panel's lines.
// Pure functions, tested with node's test runner.
import { number, t } from "./i18n.js";
import { durationsText } from "./widgets.js";

function parse(json) {
  try {
    return typeof json === "string" ? JSON.parse(json) : json;
  } catch {
    return null;
  }
}

/** Money and token counts a gateway reports, in its own unit (never converted). */
export const SPEND_KEYS = ["cost", "credits", "price"];

/** One short line from a node's usage JSON (LLM tokens, or a task's cost/credits). */
export function usageLine(usageJson) {
  const usage = parse(usageJson);
  if (!usage || typeof usage !== "object") return "";
  const parts = [];
  if (usage.total_tokens != null) {
    parts.push(t("usage.tokens", { n: number(usage.total_tokens) }));
    if (usage.prompt_tokens != null && usage.completion_tokens != null) {
      parts.push(t("usage.inOut", { in: number(usage.prompt_tokens), out: number(usage.completion_tokens) }));
    }
  }
  const tasks = usage.tasks ?? [];
  for (const key of SPEND_KEYS) {
    const values = tasks.map((task) => task[key]).filter((v) => v != null && v !== "");
    if (values.length) {
      const total = values.reduce((sum, v) => sum + Number(v), 0);
      parts.push(t(`usage.${key}`, { n: Number.isFinite(total) ? number(+total.toFixed(4)) : values.join("+") }));
    }
  }
  if (tasks.length > 1) parts.push(t("usage.tasks", { n: tasks.length }));
  const reusedTasks = tasks.filter((task) => task.reused).length;
  if (usage.reused) parts.push(t("usage.reused"));
  else if (reusedTasks) parts.push(t("usage.reusedSome", { n: reusedTasks }));
  if (usage.sandbox) parts.push(t("usage.sandbox"));
  return parts.join(" · ");
}

/** What the settings panel says about one gateway's key (never the key: at most its ending).
 * In sandbox mode every gateway is the emulator, which needs no key. */
export function keyState(gateway, sandbox = false) {
  const key = gateway.key;
  if (key.problem) return { level: "bad", text: t("keys.state.refused", { problem: key.problem }) };
  if (!key.set && sandbox) return { level: "mg-note", text: t("keys.state.sandbox") };
  if (!key.set) return { level: "missing", text: t("keys.state.missing", { name: key.name }) };
  const ending = key.ending ? ` (${key.ending})` : "";
  let text = key.source === "environment"
    ? t("keys.state.environment", { name: key.name, ending })
    : t("keys.state.file", { ending });
  if (key.file_overridden) text += t("keys.state.overridden");
  return { level: "ok", text };
}

/** Why the panel shows base URLs and the env id read-only, or null when they can be changed:
 * the server takes them only from a browser on its own machine (they decide where keys go). */
export function settingsNote(status) {
  if (status.settings_writable !== false) return null;
  return t("keys.readOnly", { file: status.keys_file });
}

/** The message for a value the model does not allow (one of widgets.problems()), naming the
 * node, the field and what is allowed — as the server words the same refusal. */
export function problemMessage(problem, node) {
  const params = { node, field: problem.field, value: problem.value, model: problem.model };
  if (problem.kind === "duration") {
    return t("problem.duration", { ...params, allowed: durationsText(problem.allowed), default: problem.default });
  }
  if (problem.kind === "temperature") {
    return t("problem.temperature", { ...params, max: number(problem.max), protocol: problem.protocol });
  }
  if (problem.kind === "images") return t("problem.images", params);
  return t("problem.choice", { ...params, allowed: problem.allowed.join(", ") });
}

/** The short mark a node carries for it. */
export function problemMark(problem) {
  if (problem.kind === "images") {  // a connected image is disconnected, a typed URL cleared
    const key = problem.field === "image_url" ? "problem.markImageUrl" : "problem.markImages";
    return t(key, { field: problem.field, model: problem.model });
  }
  const allowed = problem.kind === "duration" ? durationsText(problem.allowed)
    : problem.kind === "temperature" ? `0–${number(problem.max)}` : problem.allowed.join(", ");
  return t("problem.mark", { field: problem.field, value: problem.value, allowed });
}

// -- the status line the server sends while a node waits (providers/progress.py) -------------

const CLOCK = String.raw`\d+:\d\d(?::\d\d)?`;
const SUMMARY = new RegExp(String.raw`^(.+): ([^:]+) · (${CLOCK})(?: of ~(${CLOCK}))?$`);
const WORDS = { in: "queued", running: "running", done: "done", downloading: "downloading",
  failed: "failed", cancelled: "cancelled" };

function jobText(body) {
  let match;
  if (body === "in queue") return t("status.queued");
  if ((match = body.match(/^in queue, position (\d+)$/))) return t("status.queuedAt", { n: match[1] });
  if (body === "running") return t("status.running");
  if ((match = body.match(/^running (\d+)%$/))) return t("status.runningPct", { pct: `${match[1]}%` });
  if (WORDS[body]) return t(`status.${WORDS[body]}`);
  const counts = body.match(/^(.+) \(of (\d+)\)$/);
  if (counts) {
    const parts = counts[1].split(", ").map((part) => {
      const [n, word] = part.split(" ");
      return WORDS[word] ? `${n} ${t(`status.${WORDS[word]}`)}` : null;
    });
    if (parts.every(Boolean)) return `${parts.join(", ")} ${t("status.of", { n: counts[2] })}`;
  }
  return null;
}

/** The server's status line in the user's language; a line it does not know stays as sent. */
export function statusText(text) {
  let match;
  if ((match = text.match(SUMMARY))) {
    const body = jobText(match[2]);
    if (body) {
      const timing = match[4] ? t("status.timing", { elapsed: match[3], estimate: match[4] }) : match[3];
      return `${match[1]}: ${body} · ${timing}`;
    }
  }
  if ((match = text.match(/^decoding: (\d+) of (\d+) frames$/))) {
    return t("status.decoding", { kept: match[1], planned: match[2] });
  }
  if ((match = text.match(/^(\d+) frames at ([\d.]+) fps( · .*)?$/s))) {
    return t("status.frames", { n: match[1], fps: match[2] }) + (match[3] ?? "");
  }
  if ((match = text.match(/^(.+): generating (\d+) image\(s\)$/))) {
    return `${match[1]}: ${t("status.generating", { n: match[2] })}`;
  }
  if ((match = text.match(/^another run \((.+)\) is submitting this same request; waiting for the gateway's answer to it$/))) {
    const process = match[1].match(/^process (\d+) on (.+)$/);
    const who = process ? t("status.process", { pid: process[1], host: process[2] })
      : match[1] === "an earlier run" ? t("status.earlierRun") : match[1];
    return t("status.waitingOther", { who });
  }
  return text;
}

// -- the Tasks panel -------------------------------------------------------------------------

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return s < 3600 ? `${Math.floor(s / 60)}:${pad(s % 60)}`
    : `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export const TERMINAL = ["succeeded", "failed", "cancelled"];

/** Seconds a job has taken: until now while it runs, until its last change once finished. */
export function elapsed(job, now = Date.now() / 1000) {
  if (!job.created_at) return null;
  return (TERMINAL.includes(job.state) ? job.updated_at : now) - job.created_at;
}

/** "running 40% · 1:02 of ~3:00" for one job of the panel. */
export function jobLine(job, now = Date.now() / 1000) {
  const parts = [];
  if (job.state === "queued" && job.queue_position != null) parts.push(t("status.queuedAt", { n: job.queue_position }));
  else if (job.state === "running" && job.progress != null) parts.push(t("status.runningPct", { pct: `${Math.round(job.progress * 100)}%` }));
  else parts.push(t(`tasks.state.${job.state}`));
  const seconds = elapsed(job, now);
  if (seconds != null) {
    parts.push(job.estimate && !TERMINAL.includes(job.state)
      ? t("status.timing", { elapsed: clock(seconds), estimate: clock(job.estimate) }) : clock(seconds));
  }
  return parts.join(" · ");
}

/** What a gateway reported spending, each in its own unit: "cost 16 · 1,234 tokens". */
export function spendLine(totals) {
  const parts = [];
  for (const key of SPEND_KEYS) {
    if (totals?.[key] != null) parts.push(t(`usage.${key}`, { n: number(+Number(totals[key]).toFixed(4)) }));
  }
  if (totals?.total_tokens != null) parts.push(t("usage.tokens", { n: number(totals.total_tokens) }));
  return parts.join(" · ") || t("tasks.nothingReported");
}

/** The job's usage as the gateway reported it, one short line. */
export function jobUsage(usage) {
  if (!usage || typeof usage !== "object") return "";
  return usageLine({ ...usage, tasks: usage.total_tokens != null ? [] : [usage] });
}

// A run's shots together: the jobs one ComfyUI run made as shots of a list, in shot order,
// under one heading; every other job stays where the newest-first list puts it.
export function byRun(jobs) {
  const groups = [];
  const runs = new Map();
  for (const job of jobs) {
    const key = job.shot && job.run ? job.run : null;
    if (key && runs.has(key)) { runs.get(key).push(job); continue; }
    const group = [job];
    if (key) runs.set(key, group);
    groups.push(group);
  }
  for (const group of groups) group.sort((a, b) => (a.shot ?? 0) - (b.shot ?? 0));
  return groups;
}
