// Hamyar web chat: sends through the gateway like any messenger, receives replies as events.
"use strict";
const log = document.getElementById("log");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const statusLine = document.getElementById("status");
const seen = new Set();
const sentHere = new Set();  // ids of messages this page already shows

function newId() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
}

function bubble(text, who) {
  const div = document.createElement("div");
  div.className = "msg " + who;
  div.textContent = text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

// A call-centre agent's words: their own bubble, signed above the text (both as text, never HTML).
function agentBubble(name, text) {
  const div = bubble("", "agent");
  const signature = document.createElement("div");
  signature.className = "name";
  signature.textContent = name;
  const words = document.createElement("div");
  words.textContent = text;
  div.append(signature, words);
  return div;
}

function showBot(message) {
  if (message.text && message.agent_name) agentBubble(message.agent_name, message.text);
  else if (message.text) bubble(message.text, "bot");
  if (message.audio_url) {
    // A reply as voice (the citizen pressed «🔊 بشنوید» or chose «همیشه صوتی»).
    const div = bubble("", "bot voice");
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = message.audio_url;
    div.appendChild(audio);
  }
  if (message.buttons && message.buttons.length) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const b of message.buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.dataset.buttonId = b.id;
      button.addEventListener("click", () => {
        for (const other of row.querySelectorAll("button")) other.disabled = true;
        bubble(b.title, "me");
        send({ button_id: b.id });
      });
      row.appendChild(button);
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }
}

// A message keeps its id across retries, so the gateway processes it once.
async function send(body, attempt = 0) {
  const message = Object.assign({ message_id: body.message_id || newId() }, body);
  sentHere.add(message.message_id);
  try {
    const response = await fetch("/chat/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message),
      credentials: "same-origin",
    });
    if (response.status === 401) { location.reload(); return; }
    if (response.status === 429) {
      // Too many messages too fast: the gateway says, kindly, when to send again.
      const answer = await response.json().catch(() => ({}));
      statusLine.textContent = answer.text || "پیام‌ها خیلی پشت سر هم رسید. لطفاً یک دقیقه صبر کنید و بعد دوباره بفرستید.";
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    statusLine.textContent = "";
  } catch (error) {
    if (attempt < 3) {
      statusLine.textContent = "اتصال برقرار نیست؛ دوباره تلاش می‌کنم…";
      setTimeout(() => send(message, attempt + 1), 1000 * (attempt + 1));
    } else {
      statusLine.textContent = "پیام فرستاده نشد. لطفاً اتصال اینترنت را بررسی کنید و دوباره بفرستید.";
    }
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  bubble(text, "me");
  send({ text });
});

let started = false;
let lastEventId = "";

function listen() {
  // Resumes after the last event seen, so nothing is shown twice or missed.
  const stream = new EventSource("/chat/events" + (lastEventId ? "?after=" + encodeURIComponent(lastEventId) : ""));
  stream.onopen = () => {
    statusLine.textContent = "";
    // The assistant introduces itself once per conversation; the gateway ignores later starts.
    if (!started) {
      started = true;
      // A link from the call centre (?code=H-ABCDE) opens the bot where the agent chose; the code
      // leaves the address bar, so a reload or a shared address does not send it again.
      const code = new URLSearchParams(location.search).get("code");
      if (code) history.replaceState(null, "", location.pathname);
      send(code ? { start: true, code: code } : { start: true, message_id: "start" });
    }
  };
  stream.onmessage = (event) => {
    if (seen.has(event.lastEventId)) return;
    seen.add(event.lastEventId);
    lastEventId = event.lastEventId;
    const message = JSON.parse(event.data);
    if (message.clear_history) log.replaceChildren();  // goodbye: the conversation leaves the screen
    if (message.sender === "user") {
      if (!sentHere.has(message.message_id)) bubble(message.text, "me");
      return;
    }
    showBot(message);
  };
  stream.onerror = () => {
    if (stream.readyState !== EventSource.CLOSED) {
      statusLine.textContent = "در حال وصل شدن دوباره…";
      return;
    }
    // Refused (this chat is open in many pages, or the assistant is busy): try again later.
    statusLine.textContent = "الان همیار خیلی شلوغ است. چند لحظه دیگر دوباره وصل می‌شوم…";
    setTimeout(listen, 30000);
  };
}

listen();
