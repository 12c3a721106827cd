// Written by tools/make_web.py from locales/<lang>/page.json: edit that, then run the tool.
export const MESSAGES = {
 "en": {
  "docs": {
   "inputs": "Inputs",
   "keys": "Keys never go in the workflow: set them in Settings → Model Gateway, in the environment, or in the keys file.",
   "name": "Name",
   "outputs": "Outputs",
   "what": "What it is"
  },
  "keys": {
   "key": "Key: {state}",
   "loading": "Loading…",
   "open": "Keys and connections…",
   "paste": "paste the key",
   "readError": "Could not read the status: {error}",
   "readOnly": "Base URLs and CLOUDBASE_ENV_ID decide where keys are sent, so they can be changed here only in a browser on the machine running ComfyUI (at http://127.0.0.1:PORT). Elsewhere set them in the environment or in {file}.",
   "remove": "Remove",
   "replace": "paste a new key to replace it",
   "sandbox": "Sandbox mode (MODEL_GATEWAY_SANDBOX=1): every gateway is the built-in emulator; nothing is paid.",
   "save": "Save",
   "state": {
    "environment": "set in the environment variable {name}{ending}",
    "file": "set in the keys file{ending}",
    "missing": "not set — paste a key below, or set {name}",
    "overridden": "; the environment variable overrides the keys file",
    "refused": "refused — {problem}"
   },
   "test": "Test connection",
   "testing": "testing…",
   "where": "Keys are kept on the ComfyUI server in {file} (mode 0600), never in workflows or in this browser. An environment variable overrides the file."
  },
  "problem": {
   "choice": "{node}: {field} must be one of {allowed} for {model} (got {value}).",
   "duration": "{node}: duration must be {allowed} seconds for {model} (got {value}); 0 takes its default, {default}.",
   "mark": "⚠ {field} {value} is not allowed ({allowed}): the run stops before sending anything",
   "short": "Value not allowed by the model",
   "temperature": "{node}: temperature must be between 0 and {max} for the {protocol} protocol (got {value})."
  },
  "settings": {
   "category": "Model Gateway",
   "group": "Gateway keys",
   "name": "Gateway keys and connections",
   "tooltip": "Set or replace each gateway's key (stored on the server, never in a workflow), and test the connection."
  },
  "status": {
   "cancelled": "cancelled",
   "decoding": "decoding: {kept} of {planned} frames",
   "done": "done",
   "downloading": "downloading",
   "failed": "failed",
   "frames": "{n} frames at {fps} fps",
   "generating": "generating {n} image(s)",
   "last": "last run: {usage}",
   "of": "(of {n})",
   "queued": "in queue",
   "queuedAt": "in queue, position {n}",
   "running": "running",
   "runningPct": "running {pct}",
   "timing": "{elapsed} of ~{estimate}",
   "waitingOther": "another run ({who}) is submitting this same request; waiting for the gateway's answer to it"
  },
  "tasks": {
   "addNode": "Add Task From Id node",
   "answer": "Answer",
   "copied": "copied",
   "copyId": "Copy id",
   "count": "{shown} of {total} jobs",
   "created": "created {time}",
   "empty": "No jobs yet. Every job the pack sends to a gateway is listed here, with its result.",
   "error": "Could not read the jobs: {error}",
   "forget": "Forget",
   "forgetConfirm": "Forget this entry? Running the very same request again would then be sent — and paid — again.",
   "kind": {
    "image": "image",
    "text": "answer",
    "video": "video"
   },
   "loadMore": "Load more ({left} left)",
   "month": "this month",
   "noId": "no task id: the gateway's answer never arrived, so it may have been accepted and charged",
   "nothingReported": "nothing reported",
   "open": "Open",
   "refresh": "Refresh",
   "resume": "Resume waiting",
   "resuming": "waiting on the server…",
   "spent": "Reported by the gateways",
   "state": {
    "cancelled": "cancelled",
    "failed": "failed",
    "queued": "in queue",
    "running": "running",
    "submitting": "submitting",
    "succeeded": "done",
    "unknown": "outcome unknown"
   },
   "title": "Gateway tasks",
   "today": "today",
   "tooltip": "Every job the pack has sent to a gateway: progress, results, and what was spent"
  },
  "usage": {
   "cost": "cost {n}",
   "credits": "credits {n}",
   "inOut": "{in} in / {out} out",
   "price": "price {n}",
   "reused": "reused, not paid again",
   "sandbox": "sandbox",
   "tasks": "{n} tasks",
   "tokens": "{n} tokens"
  }
 },
 "ru": {
  "docs": {
   "inputs": "Inputs",
   "keys": "Keys never go in the workflow: set them in Settings → Model Gateway, in the environment, or in the keys file.",
   "name": "Name",
   "outputs": "Outputs",
   "what": "What it is"
  },
  "keys": {
   "key": "Key: {state}",
   "loading": "Loading…",
   "open": "Keys and connections…",
   "paste": "paste the key",
   "readError": "Could not read the status: {error}",
   "readOnly": "Base URLs and CLOUDBASE_ENV_ID decide where keys are sent, so they can be changed here only in a browser on the machine running ComfyUI (at http://127.0.0.1:PORT). Elsewhere set them in the environment or in {file}.",
   "remove": "Remove",
   "replace": "paste a new key to replace it",
   "sandbox": "Sandbox mode (MODEL_GATEWAY_SANDBOX=1): every gateway is the built-in emulator; nothing is paid.",
   "save": "Save",
   "state": {
    "environment": "set in the environment variable {name}{ending}",
    "file": "set in the keys file{ending}",
    "missing": "not set — paste a key below, or set {name}",
    "overridden": "; the environment variable overrides the keys file",
    "refused": "refused — {problem}"
   },
   "test": "Test connection",
   "testing": "testing…",
   "where": "Keys are kept on the ComfyUI server in {file} (mode 0600), never in workflows or in this browser. An environment variable overrides the file."
  },
  "problem": {
   "choice": "{node}: {field} must be one of {allowed} for {model} (got {value}).",
   "duration": "{node}: duration must be {allowed} seconds for {model} (got {value}); 0 takes its default, {default}.",
   "mark": "⚠ {field} {value} is not allowed ({allowed}): the run stops before sending anything",
   "short": "Value not allowed by the model",
   "temperature": "{node}: temperature must be between 0 and {max} for the {protocol} protocol (got {value})."
  },
  "settings": {
   "category": "Model Gateway",
   "group": "Gateway keys",
   "name": "Gateway keys and connections",
   "tooltip": "Set or replace each gateway's key (stored on the server, never in a workflow), and test the connection."
  },
  "status": {
   "cancelled": "cancelled",
   "decoding": "decoding: {kept} of {planned} frames",
   "done": "done",
   "downloading": "downloading",
   "failed": "failed",
   "frames": "{n} frames at {fps} fps",
   "generating": "generating {n} image(s)",
   "last": "last run: {usage}",
   "of": "(of {n})",
   "queued": "in queue",
   "queuedAt": "in queue, position {n}",
   "running": "running",
   "runningPct": "running {pct}",
   "timing": "{elapsed} of ~{estimate}",
   "waitingOther": "another run ({who}) is submitting this same request; waiting for the gateway's answer to it"
  },
  "tasks": {
   "addNode": "Add Task From Id node",
   "answer": "Answer",
   "copied": "copied",
   "copyId": "Copy id",
   "count": "{shown} of {total} jobs",
   "created": "created {time}",
   "empty": "No jobs yet. Every job the pack sends to a gateway is listed here, with its result.",
   "error": "Could not read the jobs: {error}",
   "forget": "Forget",
   "forgetConfirm": "Forget this entry? Running the very same request again would then be sent — and paid — again.",
   "kind": {
    "image": "image",
    "text": "answer",
    "video": "video"
   },
   "loadMore": "Load more ({left} left)",
   "month": "this month",
   "noId": "no task id: the gateway's answer never arrived, so it may have been accepted and charged",
   "nothingReported": "nothing reported",
   "open": "Open",
   "refresh": "Refresh",
   "resume": "Resume waiting",
   "resuming": "waiting on the server…",
   "spent": "Reported by the gateways",
   "state": {
    "cancelled": "cancelled",
    "failed": "failed",
    "queued": "in queue",
    "running": "running",
    "submitting": "submitting",
    "succeeded": "done",
    "unknown": "outcome unknown"
   },
   "title": "Gateway tasks",
   "today": "today",
   "tooltip": "Every job the pack has sent to a gateway: progress, results, and what was spent"
  },
  "usage": {
   "cost": "cost {n}",
   "credits": "credits {n}",
   "inOut": "{in} in / {out} out",
   "price": "price {n}",
   "reused": "reused, not paid again",
   "sandbox": "sandbox",
   "tasks": "{n} tasks",
   "tokens": "{n} tokens"
  }
 },
 "zh": {
  "docs": {
   "inputs": "Inputs",
   "keys": "Keys never go in the workflow: set them in Settings → Model Gateway, in the environment, or in the keys file.",
   "name": "Name",
   "outputs": "Outputs",
   "what": "What it is"
  },
  "keys": {
   "key": "Key: {state}",
   "loading": "Loading…",
   "open": "Keys and connections…",
   "paste": "paste the key",
   "readError": "Could not read the status: {error}",
   "readOnly": "Base URLs and CLOUDBASE_ENV_ID decide where keys are sent, so they can be changed here only in a browser on the machine running ComfyUI (at http://127.0.0.1:PORT). Elsewhere set them in the environment or in {file}.",
   "remove": "Remove",
   "replace": "paste a new key to replace it",
   "sandbox": "Sandbox mode (MODEL_GATEWAY_SANDBOX=1): every gateway is the built-in emulator; nothing is paid.",
   "save": "Save",
   "state": {
    "environment": "set in the environment variable {name}{ending}",
    "file": "set in the keys file{ending}",
    "missing": "not set — paste a key below, or set {name}",
    "overridden": "; the environment variable overrides the keys file",
    "refused": "refused — {problem}"
   },
   "test": "Test connection",
   "testing": "testing…",
   "where": "Keys are kept on the ComfyUI server in {file} (mode 0600), never in workflows or in this browser. An environment variable overrides the file."
  },
  "problem": {
   "choice": "{node}: {field} must be one of {allowed} for {model} (got {value}).",
   "duration": "{node}: duration must be {allowed} seconds for {model} (got {value}); 0 takes its default, {default}.",
   "mark": "⚠ {field} {value} is not allowed ({allowed}): the run stops before sending anything",
   "short": "Value not allowed by the model",
   "temperature": "{node}: temperature must be between 0 and {max} for the {protocol} protocol (got {value})."
  },
  "settings": {
   "category": "Model Gateway",
   "group": "Gateway keys",
   "name": "Gateway keys and connections",
   "tooltip": "Set or replace each gateway's key (stored on the server, never in a workflow), and test the connection."
  },
  "status": {
   "cancelled": "cancelled",
   "decoding": "decoding: {kept} of {planned} frames",
   "done": "done",
   "downloading": "downloading",
   "failed": "failed",
   "frames": "{n} frames at {fps} fps",
   "generating": "generating {n} image(s)",
   "last": "last run: {usage}",
   "of": "(of {n})",
   "queued": "in queue",
   "queuedAt": "in queue, position {n}",
   "running": "running",
   "runningPct": "running {pct}",
   "timing": "{elapsed} of ~{estimate}",
   "waitingOther": "another run ({who}) is submitting this same request; waiting for the gateway's answer to it"
  },
  "tasks": {
   "addNode": "Add Task From Id node",
   "answer": "Answer",
   "copied": "copied",
   "copyId": "Copy id",
   "count": "{shown} of {total} jobs",
   "created": "created {time}",
   "empty": "No jobs yet. Every job the pack sends to a gateway is listed here, with its result.",
   "error": "Could not read the jobs: {error}",
   "forget": "Forget",
   "forgetConfirm": "Forget this entry? Running the very same request again would then be sent — and paid — again.",
   "kind": {
    "image": "image",
    "text": "answer",
    "video": "video"
   },
   "loadMore": "Load more ({left} left)",
   "month": "this month",
   "noId": "no task id: the gateway's answer never arrived, so it may have been accepted and charged",
   "nothingReported": "nothing reported",
   "open": "Open",
   "refresh": "Refresh",
   "resume": "Resume waiting",
   "resuming": "waiting on the server…",
   "spent": "Reported by the gateways",
   "state": {
    "cancelled": "cancelled",
    "failed": "failed",
    "queued": "in queue",
    "running": "running",
    "submitting": "submitting",
    "succeeded": "done",
    "unknown": "outcome unknown"
   },
   "title": "Gateway tasks",
   "today": "today",
   "tooltip": "Every job the pack has sent to a gateway: progress, results, and what was spent"
  },
  "usage": {
   "cost": "cost {n}",
   "credits": "credits {n}",
   "inOut": "{in} in / {out} out",
   "price": "price {n}",
   "reused": "reused, not paid again",
   "sandbox": "sandbox",
   "tasks": "{n} tasks",
   "tokens": "{n} tokens"
  }
 }
};
