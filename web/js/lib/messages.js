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
    "refused": "refused — {problem}",
    "sandbox": "not needed in sandbox mode"
   },
   "test": "Test connection",
   "testing": "testing…",
   "where": "Keys are kept on the ComfyUI server in {file} (mode 0600), never in workflows or in this browser. An environment variable overrides the file."
  },
  "problem": {
   "choice": "{node}: {field} must be one of {allowed} for {model} (got {value}).",
   "duration": "{node}: duration must be {allowed} seconds for {model} (got {value}); 0 takes its default, {default}.",
   "images": "{node}: {model} takes no reference image: disconnect {field} or clear it, or pick another model.",
   "mark": "⚠ {field} {value} is not allowed ({allowed}): the run stops before sending anything",
   "markImageUrl": "⚠ {model} takes no reference image: clear {field}; the run stops before sending anything",
   "markImages": "⚠ {model} takes no reference image: disconnect {field}; the run stops before sending anything",
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
   "earlierRun": "an earlier run",
   "failed": "failed",
   "frames": "{n} frames at {fps} fps",
   "generating": "generating {n} image(s)",
   "of": "(of {n})",
   "process": "process {pid} on {host}",
   "queued": "in queue",
   "queuedAt": "in queue, position {n}",
   "running": "running",
   "runningPct": "running {pct}",
   "timing": "{elapsed} of ~{estimate}",
   "waitingOther": "another run ({who}) is submitting this same request; waiting for the gateway's answer to it"
  },
  "tasks": {
   "addNode": "Add Task From Id node",
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
   "madeOn": "on {host} (process {pid})",
   "month": "this month",
   "noId": "no task id: the gateway's answer never arrived, so it may have been accepted and charged",
   "nothingReported": "nothing reported",
   "open": "Open",
   "refresh": "Refresh",
   "resume": "Resume waiting",
   "resuming": "waiting on the server…",
   "runShots": "one run, {n} shots",
   "shot": "shot {shot} of {shots}",
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
   "reusedSome": "{n} of them reused, not paid again",
   "sandbox": "sandbox",
   "tasks": "{n} tasks",
   "tokens": "{n} tokens"
  }
 },
 "ru": {
  "docs": {
   "inputs": "Входы",
   "keys": "Ключи никогда не попадают в воркфлоу: задайте их в Настройки → Шлюз моделей, в окружении или в файле ключей.",
   "name": "Имя",
   "outputs": "Выходы",
   "what": "Что это"
  },
  "keys": {
   "key": "Ключ: {state}",
   "loading": "Загрузка…",
   "open": "Ключи и подключения…",
   "paste": "вставьте ключ",
   "readError": "Не удалось прочитать состояние: {error}",
   "readOnly": "Базовые URL и CLOUDBASE_ENV_ID определяют, куда уходят ключи, поэтому менять их здесь можно только в браузере на машине, где запущен ComfyUI (по адресу http://127.0.0.1:PORT). В остальных случаях задайте их в окружении или в {file}.",
   "remove": "Удалить",
   "replace": "вставьте новый ключ, чтобы заменить",
   "sandbox": "Режим песочницы (MODEL_GATEWAY_SANDBOX=1): все шлюзы заменены встроенным эмулятором, ничего не оплачивается.",
   "save": "Сохранить",
   "state": {
    "environment": "задан в переменной окружения {name}{ending}",
    "file": "задан в файле ключей{ending}",
    "missing": "не задан — вставьте ключ ниже или задайте {name}",
    "overridden": "; переменная окружения важнее файла ключей",
    "refused": "отклонён — {problem}",
    "sandbox": "в режиме песочницы не нужен"
   },
   "test": "Проверить подключение",
   "testing": "проверка…",
   "where": "Ключи хранятся на сервере ComfyUI в {file} (права 0600) — никогда в воркфлоу и не в этом браузере. Переменная окружения важнее файла."
  },
  "problem": {
   "choice": "{node}: для {model} поле {field} может быть только {allowed} (сейчас {value}).",
   "duration": "{node}: для {model} длительность (duration) должна быть {allowed} с (сейчас {value}); 0 — значение модели по умолчанию, {default}.",
   "images": "{node}: {model} не принимает опорное изображение: отключите или очистите {field} либо выберите другую модель.",
   "mark": "⚠ {field} {value} не допускается ({allowed}): запуск остановится до отправки запросов",
   "markImageUrl": "⚠ {model} не принимает опорное изображение: очистите {field}; запуск остановится до отправки запросов",
   "markImages": "⚠ {model} не принимает опорное изображение: отключите {field}; запуск остановится до отправки запросов",
   "short": "Значение не допускается моделью",
   "temperature": "{node}: для протокола {protocol} temperature должна быть от 0 до {max} (сейчас {value})."
  },
  "settings": {
   "category": "Шлюз моделей",
   "group": "Ключи шлюзов",
   "name": "Ключи шлюзов и подключения",
   "tooltip": "Задайте или замените ключ каждого шлюза (он хранится на сервере и никогда не попадает в воркфлоу) и проверьте подключение."
  },
  "status": {
   "cancelled": "отменено",
   "decoding": "декодирование: {kept} из {planned} кадров",
   "done": "готово",
   "downloading": "скачивается",
   "earlierRun": "прежний запуск",
   "failed": "ошибка",
   "frames": "{n} кадров, {fps} к/с",
   "generating": "создаётся изображений: {n}",
   "of": "(из {n})",
   "process": "процесс {pid} на {host}",
   "queued": "в очереди",
   "queuedAt": "в очереди, позиция {n}",
   "running": "выполняется",
   "runningPct": "выполняется {pct}",
   "timing": "{elapsed} из ~{estimate}",
   "waitingOther": "другой запуск ({who}) отправляет этот же запрос; ждём ответа шлюза на него"
  },
  "tasks": {
   "addNode": "Добавить узел «задача по id»",
   "copied": "скопировано",
   "copyId": "Копировать id",
   "count": "{shown} из {total} задач",
   "created": "создано {time}",
   "empty": "Задач пока нет. Здесь появляется каждая задача, отправленная пакетом на шлюз, вместе с результатом.",
   "error": "Не удалось прочитать задачи: {error}",
   "forget": "Забыть",
   "forgetConfirm": "Забыть эту запись? Тогда точно такой же запрос при следующем запуске будет отправлен — и оплачен — заново.",
   "kind": {
    "image": "изображение",
    "text": "ответ",
    "video": "видео"
   },
   "loadMore": "Показать ещё (осталось {left})",
   "madeOn": "на {host} (процесс {pid})",
   "month": "в этом месяце",
   "noId": "нет id задачи: ответ шлюза не дошёл, поэтому запрос мог быть принят и оплачен",
   "nothingReported": "нет данных",
   "open": "Открыть",
   "refresh": "Обновить",
   "resume": "Ждать дальше",
   "resuming": "ожидание на сервере…",
   "runShots": "один запуск, кадров: {n}",
   "shot": "кадр {shot} из {shots}",
   "spent": "По данным шлюзов",
   "state": {
    "cancelled": "отменено",
    "failed": "ошибка",
    "queued": "в очереди",
    "running": "выполняется",
    "submitting": "отправляется",
    "succeeded": "готово",
    "unknown": "исход неизвестен"
   },
   "title": "Задачи шлюзов",
   "today": "сегодня",
   "tooltip": "Все задачи, отправленные пакетом на шлюзы: ход, результаты и расходы"
  },
  "usage": {
   "cost": "стоимость {n}",
   "credits": "кредиты {n}",
   "inOut": "вход {in} / выход {out}",
   "price": "цена {n}",
   "reused": "взято готовое, повторно не оплачено",
   "reusedSome": "{n} из них взяты готовыми, повторно не оплачены",
   "sandbox": "песочница",
   "tasks": "задач: {n}",
   "tokens": "токенов: {n}"
  }
 },
 "zh": {
  "docs": {
   "inputs": "输入",
   "keys": "密钥绝不写入工作流：请在 设置 → 模型网关、环境变量或密钥文件中设置。",
   "name": "名称",
   "outputs": "输出",
   "what": "说明"
  },
  "keys": {
   "key": "密钥：{state}",
   "loading": "加载中…",
   "open": "密钥与连接…",
   "paste": "粘贴密钥",
   "readError": "无法读取状态：{error}",
   "readOnly": "基础 URL 和 CLOUDBASE_ENV_ID 决定密钥发往何处，因此只能在运行 ComfyUI 的本机浏览器中（通过 http://127.0.0.1:PORT）修改。在其他地方，请在环境变量或 {file} 中设置。",
   "remove": "删除",
   "replace": "粘贴新密钥以替换",
   "sandbox": "沙盒模式（MODEL_GATEWAY_SANDBOX=1）：所有网关均为内置模拟器，不产生任何费用。",
   "save": "保存",
   "state": {
    "environment": "已在环境变量 {name} 中设置{ending}",
    "file": "已在密钥文件中设置{ending}",
    "missing": "未设置 —— 请在下方粘贴密钥，或设置 {name}",
    "overridden": "；环境变量优先于密钥文件",
    "refused": "已拒绝 —— {problem}",
    "sandbox": "沙盒模式下无需密钥"
   },
   "test": "测试连接",
   "testing": "测试中…",
   "where": "密钥保存在 ComfyUI 服务器的 {file} 中（权限 0600），绝不写入工作流，也不保存在此浏览器中。环境变量优先于该文件。"
  },
  "problem": {
   "choice": "{node}：{field} 对 {model} 只能取 {allowed}（当前为 {value}）。",
   "duration": "{node}：duration 对 {model} 必须是 {allowed} 秒（当前为 {value}）；0 表示使用其默认值 {default}。",
   "images": "{node}：{model} 不接受参考图：请断开或清空 {field}，或换一个模型。",
   "mark": "⚠ {field} {value} 不被允许（可选：{allowed}）：运行会在发送任何请求之前停止",
   "markImageUrl": "⚠ {model} 不接受参考图：请清空 {field}；运行会在发送任何请求之前停止",
   "markImages": "⚠ {model} 不接受参考图：请断开 {field}；运行会在发送任何请求之前停止",
   "short": "该值不被模型允许",
   "temperature": "{node}：temperature 在 {protocol} 协议下必须介于 0 和 {max} 之间（当前为 {value}）。"
  },
  "settings": {
   "category": "模型网关",
   "group": "网关密钥",
   "name": "网关密钥与连接",
   "tooltip": "设置或更换各网关的密钥（保存在服务器上，绝不写入工作流），并测试连接。"
  },
  "status": {
   "cancelled": "已取消",
   "decoding": "解码中：{kept} / {planned} 帧",
   "done": "完成",
   "downloading": "下载中",
   "earlierRun": "之前的一次运行",
   "failed": "失败",
   "frames": "{n} 帧，{fps} fps",
   "generating": "正在生成 {n} 张图像",
   "of": "（共 {n} 个）",
   "process": "{host} 上的进程 {pid}",
   "queued": "排队中",
   "queuedAt": "排队中，第 {n} 位",
   "running": "运行中",
   "runningPct": "运行中 {pct}",
   "timing": "{elapsed} / 约 {estimate}",
   "waitingOther": "另一次运行（{who}）正在提交同一请求；正在等待网关对它的答复"
  },
  "tasks": {
   "addNode": "添加“按 ID 获取任务”节点",
   "copied": "已复制",
   "copyId": "复制 ID",
   "count": "{shown} / {total} 个任务",
   "created": "创建于 {time}",
   "empty": "还没有任务。本插件发往网关的每个任务都会连同结果列在这里。",
   "error": "无法读取任务：{error}",
   "forget": "移除",
   "forgetConfirm": "移除这条记录？之后再次运行完全相同的请求将会重新发送——并再次付费。",
   "kind": {
    "image": "图像",
    "text": "回答",
    "video": "视频"
   },
   "loadMore": "加载更多（还有 {left} 个）",
   "madeOn": "在 {host}（进程 {pid}）",
   "month": "本月",
   "noId": "没有任务 ID：网关的答复未能送达，该请求可能已被接受并计费",
   "nothingReported": "未报告",
   "open": "打开",
   "refresh": "刷新",
   "resume": "继续等待",
   "resuming": "正在服务器上等待…",
   "runShots": "同一次运行，{n} 个镜头",
   "shot": "第 {shot} 个镜头，共 {shots} 个",
   "spent": "网关报告的用量",
   "state": {
    "cancelled": "已取消",
    "failed": "失败",
    "queued": "排队中",
    "running": "运行中",
    "submitting": "提交中",
    "succeeded": "完成",
    "unknown": "结果未知"
   },
   "title": "网关任务",
   "today": "今天",
   "tooltip": "本插件发往网关的所有任务：进度、结果与花费"
  },
  "usage": {
   "cost": "费用 {n}",
   "credits": "积分 {n}",
   "inOut": "输入 {in} / 输出 {out}",
   "price": "价格 {n}",
   "reused": "复用结果，未再次付费",
   "reusedSome": "其中 {n} 个复用结果，未再次付费",
   "sandbox": "沙盒",
   "tasks": "{n} 个任务",
   "tokens": "{n} 个 token"
  }
 }
};
