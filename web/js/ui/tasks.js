// The Gateway tasks sidebar tab: every job the journal holds (GET /model_gateway/tasks, paged),
// live while any is unfinished, with previews of kept results and actions — open the result,
// copy the task id, resume waiting on the server, add a Gateway Task From Id node, forget a
// finished entry — and, above the list, what the open workflow will cost per gateway before Run
// (with the budgets, what is left of them and the balance where a gateway tells it), and what each
// gateway reported spending today and this month, in its own units. Also the key panel.
import { el, json, style } from "./dom.js";
import { language, t } from "../lib/i18n.js";
import { TERMINAL, byRun, jobLine, jobUsage, spendLine } from "../lib/format.js";
import { balanceText, budgetText, totalText } from "../lib/price.js";
import { keyPanel } from "./keys.js";
import { currentEstimate, onEstimate, pageLocale, schedulePrices } from "./price_badge.js";

export const TAB_ID = "model_gateway.tasks";
const PAGE = 50;
const LIVE_MS = 2000;
const IDLE_MS = 15000;
const MONEY_MS = 30000;  // the balance may be asked of the gateway: not every live refresh

const CSS = `
.mg-tasks { display: flex; flex-direction: column; gap: 8px; padding: 8px 10px; height: 100%;
  box-sizing: border-box; overflow-y: auto; font-size: 12px; line-height: 1.4; }
.mg-tasks h3 { margin: 0; font-size: 14px; flex: 1 1 auto; }
.mg-tasks .mg-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.mg-tasks button { padding: 2px 8px; border-radius: 4px; cursor: pointer; font-size: 11px; white-space: nowrap; }
.mg-tasks .mg-spend { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 6px 8px; }
.mg-tasks .mg-spend table { width: 100%; border-collapse: collapse; }
.mg-tasks .mg-spend td, .mg-tasks .mg-spend th { text-align: left; padding: 1px 4px; vertical-align: top; }
.mg-tasks .mg-spend th { opacity: .7; font-weight: normal; }
.mg-tasks .mg-run { border-left: 3px solid #5b8def; padding-left: 6px; display: flex; flex-direction: column; gap: 6px; }
.mg-tasks .mg-job { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 6px 8px;
  display: flex; flex-direction: column; gap: 3px; }
.mg-tasks .mg-job .mg-top { display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; }
.mg-tasks .mg-job .mg-model { font-weight: 600; overflow-wrap: anywhere; }
.mg-tasks .mg-state { margin-left: auto; white-space: nowrap; }
.mg-tasks .s-succeeded { color: #4ade80; } .mg-tasks .s-failed, .mg-tasks .s-unknown { color: #f87171; }
.mg-tasks .s-running, .mg-tasks .s-queued, .mg-tasks .s-submitting { color: #60a5fa; }
.mg-tasks .s-cancelled { color: #a3a3a3; }
.mg-tasks .mg-dim { opacity: .7; overflow-wrap: anywhere; }
.mg-tasks .mg-text { display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3;
  overflow: hidden; overflow-wrap: anywhere; white-space: pre-wrap; }
.mg-tasks .mg-usage { color: #8fb3a0; overflow-wrap: anywhere; }
.mg-tasks .mg-bad { color: #f87171; overflow-wrap: anywhere; }
.mg-tasks .mg-previews { display: flex; gap: 4px; flex-wrap: wrap; }
.mg-tasks .mg-previews img, .mg-tasks .mg-previews video { height: 64px; max-width: 100%; border-radius: 4px;
  cursor: pointer; object-fit: cover; background: #000; }
.mg-tasks .mg-actions { display: flex; gap: 4px; flex-wrap: wrap; }
.mg-tasks .mg-bar { height: 3px; background: #333; border-radius: 2px; overflow: hidden; }
.mg-tasks .mg-bar > div { height: 100%; background: #60a5fa; }
.mg-tasks .mg-estimate { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 6px 8px;
  display: flex; flex-direction: column; gap: 4px; }
.mg-tasks .mg-estimate .mg-total { display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; }
.mg-tasks .mg-estimate .mg-amount { font-weight: 600; margin-left: auto; }
.mg-tasks .mg-keys-box { border: 1px solid var(--border-color, #444); border-radius: 6px; padding: 8px; }`;

function viewUrl(api, entry) {
  const query = new URLSearchParams({ filename: entry.filename, subfolder: entry.subfolder ?? "", type: entry.type ?? "output" });
  return api.apiURL(`/view?${query}`);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el("textarea", {}, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/** A Gateway Task From Id node for the job, in the middle of the visible graph. */
function addTaskNode(app, job) {
  const node = globalThis.LiteGraph?.createNode("GatewayTaskFromId");
  if (!node) return;
  const [x, y, w, h] = app.canvas?.visible_area ?? [0, 0, 0, 0];
  node.pos = [x + w / 2 - 150, y + h / 2 - 60];
  (app.canvas?.graph ?? app.graph).add(node);
  for (const [name, value] of Object.entries({ gateway: job.gateway, task_id: job.task_id,
    kind: job.kind === "video" ? "video" : "image" })) {
    const w2 = node.widgets?.find((w3) => w3.name === name);
    if (w2) w2.value = value;
  }
  app.canvas?.selectNode?.(node);
  app.canvas?.setDirty?.(true, true);
}

function previews(api, job) {
  const files = job.kind === "video" ? (job.cover?.length ? job.cover : []) : job.files ?? [];
  const items = files.slice(0, 4).map((entry) => el("img", { src: viewUrl(api, entry), loading: "lazy",
    title: entry.filename, onclick: () => window.open(viewUrl(api, entry), "_blank") }));
  if (job.kind === "video" && !items.length && job.files?.length) {
    const entry = job.files[0];
    items.push(el("video", { src: viewUrl(api, entry), preload: "metadata", muted: true,
      title: entry.filename, onclick: () => window.open(viewUrl(api, entry), "_blank") }));
  }
  return items.length ? el("div", { class: "mg-previews" }, items) : null;
}

function runGroup(ctx, group) {
  if (group.length < 2) return group.map((job) => jobCard(ctx, job));
  return [el("div", { class: "mg-run", "data-mg-run": group[0].run },
    el("div", { class: "mg-dim" }, t("tasks.runShots", { n: group.length })),
    group.map((job) => jobCard(ctx, job)))];
}

function jobCard(ctx, job) {
  const { api, app, act } = ctx;
  const state = job.resume?.running ? "running" : job.state;
  const when = job.created_at ? new Date(job.created_at * 1000).toLocaleString(language()) : "";
  const finished = TERMINAL.includes(job.state);
  const taskGateway = ctx.taskGateways.includes(job.gateway) && job.task_id && job.kind !== "text";
  const actions = [
    job.files?.length ? el("button", { onclick: () => window.open(viewUrl(api, job.files[0]), "_blank") }, t("tasks.open")) : null,
    job.task_id ? el("button", { onclick: async (e) => {
      await copy(job.task_id);
      e.target.textContent = t("tasks.copied");
    } }, t("tasks.copyId")) : null,
    job.resumable && !job.resume?.running ? el("button", { onclick: () => act(job, "resume") }, t("tasks.resume")) : null,
    taskGateway ? el("button", { onclick: () => addTaskNode(app, job) }, t("tasks.addNode")) : null,
    finished ? el("button", { onclick: () => window.confirm(t("tasks.forgetConfirm")) && act(job, "forget") }, t("tasks.forget")) : null,
  ];
  const progress = job.state === "running" && job.progress != null
    ? el("div", { class: "mg-bar" }, el("div", { style: `width: ${Math.round(job.progress * 100)}%` })) : null;
  return el("div", { class: "mg-job", "data-mg-job": job.id, "data-mg-state": job.state },
    el("div", { class: "mg-top" },
      el("span", { class: "mg-dim" }, job.gateway_title ?? ""),
      el("span", { class: "mg-model" }, job.model ?? (job.kind ? "" : t(`tasks.state.${job.state}`))),
      job.kind ? el("span", { class: "mg-dim" }, t(`tasks.kind.${job.kind}`)) : null,
      job.shot ? el("span", { class: "mg-dim mg-shot" }, t("tasks.shot", { shot: job.shot, shots: job.shots })) : null,
      el("span", { class: `mg-state s-${state}` }, job.resume?.running ? t("tasks.resuming") : jobLine(job))),
    progress,
    el("div", { class: "mg-dim" }, [t("tasks.created", { time: when }),
      job.worker ? t("tasks.madeOn", job.worker) : null,
      job.task_id ? `· ${job.task_id}` : null].filter(Boolean).join(" ")),
    job.prompt ? el("div", { class: "mg-text" }, job.prompt) : null,
    job.text ? el("div", { class: "mg-text", title: job.text }, job.text) : null,
    job.usage && Object.keys(job.usage).length ? el("div", { class: "mg-usage" }, jobUsage(job.usage)) : null,
    job.message && job.state !== "succeeded" ? el("div", { class: "mg-bad" }, job.message) : null,
    job.state === "unknown" ? el("div", { class: "mg-bad" }, job.note || t("tasks.noId")) : null,
    job.hint ? el("div", { class: "mg-dim" }, job.hint) : null,
    job.resume?.error ? el("div", { class: "mg-bad" }, job.resume.error) : null,
    previews(api, job),
    el("div", { class: "mg-actions" }, actions));
}

function spendingBlock(spending) {
  if (!spending?.gateways?.length) return null;
  return el("div", { class: "mg-spend" },
    el("div", { class: "mg-dim" }, t("tasks.spent") + (spending.sandbox ? ` (${t("usage.sandbox")})` : "")),
    el("table", {},
      el("tr", {}, el("th", {}, ""), el("th", {}, t("tasks.today")), el("th", {}, t("tasks.month"))),
      spending.gateways.map((g) => el("tr", { "data-mg-spend": g.id },
        el("td", {}, g.title), el("td", {}, spendLine(g.today)), el("td", {}, spendLine(g.month))))));
}

/** The open workflow's estimate per gateway: its total for one run, the budgets with what was spent
 * and what is left, the balance where the gateway tells it, and a warning where it would pass. */
function estimateBlock(estimate, money, titles) {
  const answer = estimate?.answer;
  if (!answer && !estimate?.error) return null;
  const locale = pageLocale();
  const gateways = [...new Set([...Object.keys(answer?.totals ?? {}), ...Object.keys(answer?.budgets ?? {}),
    ...Object.keys(money?.balance ?? {})])];
  const rows = gateways.map((gateway) => {
    const total = answer?.totals?.[gateway];
    const currency = money?.currencies?.[gateway] ?? { code: total?.currency, sign: total?.sign };
    const budgets = Object.entries(answer?.budgets?.[gateway] ?? {});
    const balance = balanceText(money?.balance?.[gateway], locale);
    return el("div", { "data-mg-estimate": gateway },
      el("div", { class: "mg-total" }, el("span", {}, titles[gateway] ?? gateway),
        total ? el("span", { class: "mg-amount", "data-mg-total": gateway }, totalText(total, locale)) : null),
      ...budgets.map(([period, b]) => el("div", { class: "mg-dim", "data-mg-budget-left": `${gateway}.${period}` },
        budgetText(period, b, currency, locale))),
      balance ? el("div", { class: "mg-dim", "data-mg-balance": gateway }, balance) : null,
      answer?.over?.[gateway] ? el("div", { class: "mg-bad" }, t("price.wouldPass", { why: answer.over[gateway] })) : null);
  });
  return el("div", { class: "mg-estimate" },
    el("div", { class: "mg-dim" }, t("price.estimate")),
    estimate.error ? el("div", { class: "mg-bad" }, estimate.error) : null,
    ...(rows.length ? rows : [el("div", { class: "mg-dim" }, t("price.noPaid"))]));
}

/** The tab's content, mounted into the element the frontend gives it. */
export function tasksPanel(app, api, catalog) {
  style("mg-tasks-style", CSS);
  const root = el("div", { class: "mg-tasks" });
  const state = { limit: PAGE, body: null, spending: null, error: null, showKeys: false, timer: null, shown: "" };
  const list = el("div", { style: "display: flex; flex-direction: column; gap: 6px" });
  const spend = el("div");
  const costs = el("div");
  state.estimate = currentEstimate();
  state.money = null;
  state.moneyAt = 0;
  state.titles = {};
  api.fetchApi("/model_gateway/status").then(json).then((status) => {
    state.titles = Object.fromEntries((status.gateways ?? []).map((g) => [g.id, g.title]));
    render();
  }).catch(() => {});
  const foot = el("div", { class: "mg-dim" });
  const keysBox = el("div", { class: "mg-keys-box", style: "display: none" });
  const ctx = { api, app, taskGateways: catalog.task_gateways ?? ["seacloud", "gptunnel", "opencomputing"] };

  const render = () => {
    const titles = { ...state.titles, ...Object.fromEntries((state.spending?.gateways ?? []).map((g) => [g.id, g.title])) };
    costs.replaceChildren(...[estimateBlock(state.estimate, state.money, titles)].filter(Boolean));
    const key = JSON.stringify([state.body, state.spending, state.error, language()]);
    if (key === state.shown) return;  // unchanged: keep a preview that is playing
    state.shown = key;
    spend.replaceChildren(...[spendingBlock(state.spending)].filter(Boolean));
    const jobs = state.body?.jobs ?? [];
    list.replaceChildren(...(state.error ? [el("div", { class: "mg-bad" }, t("tasks.error", { error: state.error }))]
      : jobs.length ? byRun(jobs).flatMap((group) => runGroup(ctx, group)) : [el("div", { class: "mg-dim" }, t("tasks.empty"))]));
    const total = state.body?.total ?? 0;
    foot.replaceChildren(...[
      total ? t("tasks.count", { shown: jobs.length, total }) : null,
      total > jobs.length ? el("button", { style: "margin-left: 6px", onclick: () => {
        state.limit += PAGE;
        refresh();
      } }, t("tasks.loadMore", { left: total - jobs.length })) : null,
    ].filter(Boolean));
  };

  const refresh = async () => {
    try {
      const [tasks, spending] = await Promise.all([
        api.fetchApi(`/model_gateway/tasks?offset=0&limit=${Math.min(state.limit, 200)}`).then(json),
        api.fetchApi("/model_gateway/tasks/spending").then(json)]);
      if (tasks.error) throw tasks.error;
      state.body = tasks;
      state.spending = spending.error ? null : spending;
      state.error = null;
      if (Date.now() - state.moneyAt > MONEY_MS) {
        state.moneyAt = Date.now();
        const money = await api.fetchApi("/model_gateway/money").then(json);
        state.money = money.error ? null : money;
      }
    } catch (error) {
      state.error = String(error);
    }
    render();
    schedule();
  };

  const schedule = () => {
    clearTimeout(state.timer);
    if (!root.isConnected && state.body) return;  // tab closed: refreshed when shown again
    const live = (state.body?.jobs ?? []).some((job) => !TERMINAL.includes(job.state) || job.resume?.running);
    state.timer = setTimeout(refresh, live ? LIVE_MS : IDLE_MS);
  };

  ctx.act = async (job, action) => {
    const response = await api.fetchApi(`/model_gateway/tasks/${job.id}/${action}`, { method: "POST" });
    const body = await json(response);
    if (!response.ok) window.alert(body.error ?? response.statusText);
    refresh();
  };

  const keysButton = el("button", { onclick: () => {
    state.showKeys = !state.showKeys;
    keysBox.style.display = state.showKeys ? "" : "none";
    if (state.showKeys) keysBox.replaceChildren(keyPanel(api));
  } }, t("keys.open"));
  root.append(el("div", { class: "mg-head" }, el("h3", {}, t("tasks.title")),
    el("button", { onclick: () => {
      state.moneyAt = 0;
      schedulePrices();
      refresh();
    } }, t("tasks.refresh")), keysButton), keysBox, costs, spend, list, foot);
  root.mgRefresh = () => {
    state.moneyAt = 0;
    schedulePrices();  // what was spent changed: what is left too
    return refresh();
  };
  const stop = onEstimate((estimate) => {
    if (!root.isConnected && state.body) return void stop();
    state.estimate = estimate;
    render();
  });
  schedulePrices();
  refresh();
  return root;
}

/** The sidebar tab (the frontend's documented extension API), in both frontends. */
export function registerTasksTab(app, api, catalog) {
  const manager = app.extensionManager;
  const register = manager?.sidebarTab?.registerSidebarTab?.bind(manager.sidebarTab)
    ?? manager?.registerSidebarTab?.bind(manager);
  if (!register) return false;
  let panel = null;
  const onRun = () => panel?.isConnected && panel.mgRefresh();
  for (const event of ["execution_start", "executed", "execution_success", "execution_error", "execution_interrupted"]) {
    api.addEventListener(event, onRun);
  }
  register({
    id: TAB_ID,
    icon: "pi pi-receipt",
    title: t("tasks.title"),
    tooltip: t("tasks.tooltip"),
    type: "custom",
    render: (container) => {
      panel = tasksPanel(app, api, catalog);
      container.replaceChildren(panel);
    },
    destroy: () => {
      panel = null;
    },
  });
  return true;
}
