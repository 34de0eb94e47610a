// A conversation: its transcript live from the server's events, masked numbers revealed on
// request (audited by the server), replies (canned or typed), the hand-back to the bot and the
// transfer. Every text from the server is set with textContent.
"use strict";

(() => {
  const STATES = { waiting: "در صف", active: "در حال گفتگو", closed: "با ربات" };
  const AUTHORS = { citizen: "شهروند", bot: "همیار", system: "همیار" };
  const id = new URLSearchParams(window.location.search).get("id") || "";
  const path = `conversations/${encodeURIComponent(id)}`;
  const status = document.getElementById("status");
  const transcript = document.getElementById("transcript");
  let me = null;
  let current = null;
  const revealed = new Map(); // entry id → the full text this page was shown

  function toLogin() {
    window.location.assign("/desk/login");
  }

  function say(text) {
    status.textContent = text;
  }

  async function post(action, body) {
    const answer = await Desk.api("POST", `${path}/${action}`, body, me.csrf_token);
    if (answer.status === 401) toLogin();
    return answer;
  }

  async function reveal(line, text) {
    const answer = await post("reveal", { entry: line.id });
    if (answer.status !== 200) {
      say(answer.data.text || "نمایش کامل انجام نشد.");
      return;
    }
    revealed.set(line.id, answer.data.text);
    text.textContent = answer.data.text;
  }

  function renderLine(line) {
    const li = Desk.el("li", `line ${line.author}`);
    li.dataset.entry = String(line.id);
    const who = line.author === "agent" ? `${line.agent_name || "کارشناس"} (کارشناس)` : AUTHORS[line.author] || line.author;
    const text = Desk.el("p", "text", revealed.get(line.id) || line.text);
    li.append(Desk.el("span", "who", who), Desk.el("span", "at", Desk.when(line.at)), text);
    if (line.masked && current.yours && !revealed.has(line.id)) {
      const button = Desk.el("button", "reveal", "نمایش کامل");
      button.type = "button";
      button.addEventListener("click", () => reveal(line, text).then(() => button.remove()));
      li.append(button);
    }
    return li;
  }

  function render(conversation) {
    current = conversation;
    const info = document.getElementById("info");
    info.replaceChildren(
      Desk.el("span", "agency", conversation.agency_name || conversation.agency || ""),
      Desk.el("span", "channel", Desk.CHANNELS[conversation.channel] || conversation.channel),
      Desk.el("span", "reason", Desk.reason(conversation.reason)),
      Desk.el("span", "state", STATES[conversation.state] || conversation.state),
      Desk.el("span", "agent", conversation.agent ? `کارشناس: ${conversation.agent}` : "بدون کارشناس"),
    );
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    transcript.replaceChildren(...conversation.transcript.map(renderLine));
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
    document.getElementById("take").hidden = conversation.state !== "waiting";
    document.getElementById("tools").hidden = !conversation.yours;
    const canned = document.getElementById("canned");
    canned.replaceChildren(
      ...conversation.canned_replies.map((reply) => {
        const button = Desk.el("button", "canned", reply);
        button.type = "button";
        button.addEventListener("click", () => {
          document.getElementById("reply-text").value = reply;
          document.getElementById("reply-text").focus();
        });
        return button;
      }),
    );
  }

  async function transferTargets() {
    const { status: code, data } = await Desk.api("GET", "transfer-targets");
    if (code !== 200) return;
    const group = (label, entries) => {
      const node = Desk.el("optgroup");
      node.label = label;
      node.append(...entries);
      return node;
    };
    const agencies = group("بخش‌ها", Desk.options(data.agencies, (a) => `agency:${a.id}`, (a) => a.name));
    const agents = group("کارشناسان", Desk.options(data.agents, (a) => `agent:${a.username}`, (a) => a.name));
    document.getElementById("transfer-to").replaceChildren(agencies, agents);
  }

  function wire() {
    document.getElementById("take").addEventListener("click", async () => {
      const answer = await post("take", {});
      say(answer.status === 200 ? "" : answer.data.text || "برداشتن گفتگو انجام نشد.");
    });
    const reply = document.getElementById("reply");
    reply.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await post("messages", { text: reply.text.value });
      if (answer.status === 200) reply.text.value = "";
      else say(answer.data.text || "پیام فرستاده نشد.");
    });
    const release = document.getElementById("release");
    release.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await post("release", { note: release.note.value });
      if (answer.status === 200) window.location.assign("/desk/");
      else say(answer.data.text || "بازگشت به ربات انجام نشد.");
    });
    const transfer = document.getElementById("transfer");
    transfer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [kind, target] = transfer.to.value.split(/:(.*)/s);
      const answer = await post("transfer", { [kind]: target, note: transfer.note.value });
      if (answer.status === 200) window.location.assign("/desk/");
      else say(answer.data.text || "سپردن گفتگو انجام نشد.");
    });
  }

  function listen() {
    const events = new EventSource(`/desk/api/${path}/events`);
    events.addEventListener("conversation", (event) => {
      say("");
      render(JSON.parse(event.data));
    });
    events.addEventListener("ended", () => {
      events.close();
      toLogin();
    });
    events.addEventListener("error", async () => {
      const { status: code, data } = await Desk.api("GET", path);
      if (code === 401) {
        events.close();
        toLogin();
      } else if (code === 404) {
        events.close();
        say(data.text || "این گفتگو پیدا نشد.");
      } else if (events.readyState === EventSource.CLOSED) {
        say(Desk.STREAM_REFUSED); // refused, not lost: the browser will not try again
      } else {
        say("ارتباط قطع شد؛ دوباره وصل می‌شویم…");
      }
    });
  }

  async function start() {
    me = await Desk.signedIn();
    if (!me) return;
    wire();
    transferTargets();
    listen();
  }

  start();
})();
