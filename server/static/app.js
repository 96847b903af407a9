// textgen web page: talks to /api/generate (streamed), /v1/models and /api/finetune.
// Model output is only ever inserted as text (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "textgen-api-key";
let apiKey = sessionStorage.getItem(KEY_STORE) || "";
let keyWaiters = null;          // pending promise while the key dialog is open
let current = null;             // {controller, id} of the running generation
let chatHistory = [];           // chat mode: [{role, content}]
let finetuneJob = null;         // id of the job being watched

// --- API key ------------------------------------------------------------------------
function askForKey(message) {
  if (!keyWaiters) {
    keyWaiters = new Promise((resolve) => {
      $("key-error").textContent = message || "";
      $("key-input").value = "";
      $("key-dialog").showModal();
      $("key-form").onsubmit = () => {
        apiKey = $("key-input").value.trim();
        sessionStorage.setItem(KEY_STORE, apiKey);
        keyWaiters = null;
        resolve();
      };
    });
  }
  return keyWaiters;
}

// Every API call: adds the key; on 401 asks for one (again, if refused) and retries.
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (apiKey) headers["Authorization"] = "Bearer " + apiKey;
  if (options.body && !headers["Content-Type"]) headers["Content-Type"] = "application/json";
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    await askForKey(apiKey ? "That key was refused; try again." : "");
    return api(path, options);
  }
  return response;
}

async function errorText(response) {
  try {
    const body = await response.json();
    return (body.error && body.error.message) || response.statusText;
  } catch (e) {
    return response.status + " " + response.statusText;
  }
}

// --- models and modes ------------------------------------------------------------------
async function loadModels(select) {
  const response = await api("/v1/models");
  if (!response.ok) { $("server-state").textContent = await errorText(response); return; }
  const models = (await response.json()).data;
  const previous = select || $("model").value;
  $("model").replaceChildren(...models.map((m) => {
    const option = document.createElement("option");
    option.value = m.id;
    option.textContent = m.id + (m.source === "finetuned" ? " (fine-tuned)" : "");
    return option;
  }));
  if (models.some((m) => m.id === previous)) $("model").value = previous;
  $("server-state").textContent = models.length + " model(s)";
}

async function loadModes() {
  const response = await api("/api/modes");
  if (!response.ok) return;
  const info = await response.json();
  $("genre").replaceChildren(...info.genres.map((g) => {
    const option = document.createElement("option");
    option.value = option.textContent = g;
    return option;
  }));
}

function showModeFields() {
  const mode = $("mode").value;
  document.querySelectorAll("[data-modes]").forEach((el) => {
    el.hidden = !el.dataset.modes.split(" ").includes(mode);
  });
}

// --- generation -------------------------------------------------------------------------
function requestBody() {
  const mode = $("mode").value;
  const body = { mode, prompt: $("prompt").value, stream: true, model: $("model").value || null };
  for (const name of ["max_tokens", "top_k", "seed"]) {
    if ($(name).value !== "") body[name] = parseInt($(name).value, 10);
  }
  for (const name of ["temperature", "top_p", "min_p", "repetition_penalty"]) {
    if ($(name).value !== "") body[name] = parseFloat($(name).value);
  }
  if (mode === "story") { body.genre = $("genre").value; body.memory = $("memory").value; }
  if (mode === "twist") body.count = parseInt($("count").value, 10) || 3;
  if (mode === "dialogue") {
    body.character = $("character").value;
    if ($("speaker").value) body.name = $("speaker").value;
  }
  if (mode === "code") { body.task = $("task").value; body.language = $("language").value; }
  if (mode === "chat") {
    body.messages = chatHistory;
    if ($("system-prompt").value) body.system_prompt = $("system-prompt").value;
  }
  return body;
}

function addChatMessage(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.textContent = text;
  $("chat-log").appendChild(div);
  return div;
}

function setRunning(running) {
  $("generate").disabled = running;
  $("stop").disabled = !running;
}

async function* sseEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6)).join("\n");
      if (!data) continue;           // keep-alive comment
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

async function generate() {
  const body = requestBody();
  const mode = body.mode;
  const output = $("output");
  output.textContent = "";
  $("twists").replaceChildren();
  let chatBubble = null;
  if (mode === "chat") {
    if (!body.prompt.trim()) { $("status").textContent = "type a message first"; return; }
    addChatMessage("user", body.prompt);
    chatBubble = addChatMessage("assistant", "");
  }
  const controller = new AbortController();
  current = { controller, id: null };
  setRunning(true);
  $("status").textContent = "waiting for the model…";
  let received = 0;
  try {
    const response = await api("/api/generate", {
      method: "POST", body: JSON.stringify(body), signal: controller.signal });
    if (!response.ok) {
      $("status").textContent = "error: " + await errorText(response);
      if (chatBubble) { chatBubble.remove(); $("chat-log").lastChild.remove(); }
      return;
    }
    current.id = response.headers.get("X-Request-Id");
    for await (const event of sseEvents(response)) {
      if (event.type === "start") {
        current.id = event.id;
        $("status").textContent = "generating…";
      } else if (event.type === "delta") {
        received += 1;
        output.append(event.text);
        if (chatBubble) chatBubble.append(event.text);
        $("status").textContent = "generating… " + received + " chunks";
      } else if (event.type === "candidate_end") {
        output.append("\n");
        const item = document.createElement("li");
        item.textContent = event.text || "(empty)";
        if (!event.accepted) item.className = "rejected";
        $("twists").appendChild(item);
      } else if (event.type === "done") {
        const result = event.result;
        if (mode !== "twist") output.textContent = result.text;
        if (chatBubble) {
          chatBubble.textContent = result.text;
          chatHistory.push({ role: "user", content: body.prompt },
                           { role: "assistant", content: result.text });
          $("prompt").value = "";
        }
        const s = result.stats;
        $("status").textContent = `done: ${s.completion_tokens} tokens, ` +
          `${s.tokens_per_second} tok/s (${s.stop_reason})`;
      } else if (event.error) {
        $("status").textContent = "error: " + event.error.message;
      }
    }
  } catch (err) {
    if (err.name === "AbortError") {
      $("status").textContent = "stopped";
    } else {
      $("status").textContent = "error: " + err.message;
    }
  } finally {
    current = null;
    setRunning(false);
  }
}

async function stop() {
  if (!current) return;
  const { controller, id } = current;
  controller.abort();                 // closing the stream stops the model...
  if (id) {                           // ...and so does asking, in case a proxy keeps it open
    api("/api/generate/" + encodeURIComponent(id), { method: "DELETE" }).catch(() => {});
  }
}

// --- fine-tuning ------------------------------------------------------------------------------
async function startFinetune() {
  const file = $("ft-file").files[0];
  if (!file) { $("ft-status").textContent = "choose a text file first"; return; }
  const body = { text: await file.text(), model: $("model").value || null,
                 epochs: parseInt($("ft-epochs").value, 10) || 1, lora: $("ft-lora").checked };
  if ($("ft-steps").value) body.max_steps = parseInt($("ft-steps").value, 10);
  if ($("ft-name").value) body.name = $("ft-name").value;
  const response = await api("/api/finetune", { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) { $("ft-status").textContent = "error: " + await errorText(response); return; }
  const job = await response.json();
  finetuneJob = job.id;
  $("ft-start").disabled = true;
  $("ft-cancel").disabled = false;
  showJob(job);
  watchJob(job.id);
}

function showJob(job) {
  const progress = $("ft-progress");
  if (job.total_steps) { progress.max = job.total_steps; progress.value = job.step; }
  else progress.removeAttribute("value");
  const parts = [job.status];
  if (job.total_steps) parts.push(`step ${job.step}/${job.total_steps}`);
  if (job.loss != null) parts.push(`loss ${job.loss.toFixed(3)}`);
  if (job.eta_seconds != null) parts.push(`ETA ${Math.round(job.eta_seconds)} s`);
  if (job.model) parts.push(`new model: ${job.model}`);
  if (job.error) parts.push(job.error);
  $("ft-status").textContent = parts.join(" · ");
}

async function watchJob(id) {
  while (finetuneJob === id) {
    const response = await api("/api/finetune/" + encodeURIComponent(id));
    if (!response.ok) { $("ft-status").textContent = await errorText(response); break; }
    const job = await response.json();
    showJob(job);
    if (["succeeded", "failed", "cancelled"].includes(job.status)) {
      if (job.status === "succeeded") { $("ft-progress").value = $("ft-progress").max; await loadModels(); }
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  $("ft-start").disabled = false;
  $("ft-cancel").disabled = true;
}

async function cancelFinetune() {
  if (!finetuneJob) return;
  const response = await api("/api/finetune/" + encodeURIComponent(finetuneJob), { method: "DELETE" });
  if (response.ok) showJob(await response.json());
}

// --- start ------------------------------------------------------------------------------------
$("mode").addEventListener("change", showModeFields);
$("generate").addEventListener("click", generate);
$("stop").addEventListener("click", stop);
$("clear-chat").addEventListener("click", () => { chatHistory = []; $("chat-log").replaceChildren(); });
$("prompt").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("generate").disabled) generate();
});
$("ft-start").addEventListener("click", startFinetune);
$("ft-cancel").addEventListener("click", cancelFinetune);
showModeFields();
loadModels().then(loadModes);
