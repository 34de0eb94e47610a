// The queue page: who waits, live from the server's events, each with a button to take them; the
// user's own conversations; the call-back list; the handoff-code form; and, for supervisors, the
// figures and who has waited too long, live as well. Every text from the server is set with
// textContent.
"use strict";

(() => {
  const STATS = [
    ["waiting", "در صف", Desk.fa],
    ["longest_wait_seconds", "بیشترین انتظار", Desk.duration],
    ["active", "در حال گفتگو", Desk.fa],
    ["handled_today", "رسیدگی‌شده امروز", Desk.fa],
    ["average_wait_seconds", "میانگین انتظار", Desk.duration],
    ["average_handling_seconds", "میانگین رسیدگی", Desk.duration],
  ];
  const CALLBACK_STATUS = { requested: "در انتظار تماس", called: "تماس گرفته شد", not_reached: "پاسخ نداد" };
  const CALLBACK_ACTIONS = [
    ["called", "تماس گرفتم"],
    ["not_reached", "پاسخ نداد"],
    ["done", "انجام شد"],
  ];

  const list = document.getElementById("queue");
  const empty = document.getElementById("empty");
  const status = document.getElementById("status");
  let me = null;
  let waiting = [];
  let overdue = [];
  let receivedAt = Date.now();

  function toLogin() {
    window.location.assign("/desk/login");
  }

  function say(text) {
    status.textContent = text;
  }

  async function take(id) {
    const { status: code, data } = await Desk.api("POST", `conversations/${encodeURIComponent(id)}/take`, {}, me.csrf_token);
    if (code === 200) {
      window.location.assign(Desk.conversationLink(id));
      return;
    }
    if (code === 401) toLogin();
    say(data.text || "برداشتن گفتگو انجام نشد.");
  }

  function renderItem(item, elapsed, takeable) {
    const li = Desk.el("li", item.priority > 0 ? "item high" : "item");
    li.dataset.conversation = item.conversation_id;
    const meta = Desk.el("div", "meta");
    meta.append(
      Desk.el("span", "agency", item.agency_name || item.agency),
      Desk.el("span", "channel", Desk.CHANNELS[item.channel] || item.channel),
      Desk.el("span", "reason", Desk.reason(item.reason)),
      Desk.el("span", "waiting", `در انتظار: ${Desk.duration(item.waiting_seconds + elapsed)}`),
    );
    if (item.priority > 0) {
      const why = item.priority_reasons.length ? `: ${item.priority_reasons.join("، ")}` : "";
      meta.append(Desk.el("span", "priority", `اولویت بالا${why}`));
    }
    li.append(meta, Desk.el("p", "preview", item.preview));
    if (takeable) {
      const button = Desk.el("button", "take", "برداشتن");
      button.type = "button";
      button.addEventListener("click", () => take(item.conversation_id));
      li.append(button);
    }
    return li;
  }

  function render() {
    const elapsed = Math.floor((Date.now() - receivedAt) / 1000);
    list.replaceChildren(...waiting.map((item) => renderItem(item, elapsed, true)));
    empty.hidden = waiting.length > 0;
    document.getElementById("overdue").replaceChildren(...overdue.map((item) => renderItem(item, elapsed, false)));
    document.getElementById("overdue-title").hidden = overdue.length === 0;
  }

  async function showMine() {
    const { status: code, data } = await Desk.api("GET", "conversations");
    if (code !== 200) return;
    const items = data.conversations.map((c) => {
      const li = Desk.el("li", "item");
      li.dataset.conversation = c.conversation_id;
      const link = Desk.el("a", "open", `${c.agency_name || c.agency} — ${Desk.CHANNELS[c.channel] || c.channel}`);
      link.href = Desk.conversationLink(c.conversation_id);
      li.append(link, Desk.el("p", "preview", c.preview));
      return li;
    });
    document.getElementById("mine").replaceChildren(...items);
    document.getElementById("mine-empty").hidden = items.length > 0;
  }

  function showStats(data) {
    const rows = STATS.map(([key, label, format]) => {
      const row = Desk.el("div");
      row.append(Desk.el("dt", "", label), Desk.el("dd", "", format(data[key])));
      return row;
    });
    document.getElementById("stats").replaceChildren(...rows);
    overdue = data.overdue;
    render();
  }

  async function showCallbacks() {
    const { status: code, data } = await Desk.api("GET", "callbacks");
    if (code !== 200) return;
    const items = data.callbacks.map((c) => {
      const li = Desk.el("li", "item callback");
      li.dataset.callback = String(c.id);
      const meta = Desk.el("div", "meta");
      const phone = Desk.el("span", "phone", Desk.fa(c.phone));
      phone.dir = "ltr";
      meta.append(
        Desk.el("span", "agency", c.agency_name || c.agency || ""),
        phone,
        Desk.el("span", "time", `زمان دلخواه: ${c.preferred_time || "هر وقت"}`),
        Desk.el("span", "reason", Desk.reason(c.reason)),
        Desk.el("span", "state", CALLBACK_STATUS[c.status] || c.status),
        Desk.el("span", "created", Desk.when(c.created_at)),
      );
      const actions = Desk.el("div", "actions");
      const reveal = Desk.el("button", "reveal", "نمایش شماره");
      reveal.type = "button";
      reveal.addEventListener("click", async () => {
        const answer = await Desk.api("POST", `callbacks/${c.id}/reveal`, {}, me.csrf_token);
        if (answer.status === 200) phone.textContent = Desk.fa(answer.data.phone);
        else say(answer.data.text || "نمایش شماره انجام نشد.");
      });
      actions.append(reveal);
      for (const [value, label] of CALLBACK_ACTIONS) {
        const button = Desk.el("button", `mark ${value}`, label);
        button.type = "button";
        button.addEventListener("click", async () => {
          const answer = await Desk.api("POST", `callbacks/${c.id}`, { status: value }, me.csrf_token);
          if (answer.status !== 200) say(answer.data.text || "ثبت نتیجه تماس انجام نشد.");
          showCallbacks();
        });
        actions.append(button);
      }
      li.append(meta, actions);
      return li;
    });
    document.getElementById("callbacks").replaceChildren(...items);
    document.getElementById("callbacks-empty").hidden = items.length > 0;
  }

  async function codeForm() {
    const form = document.getElementById("code-form");
    const guide = document.getElementById("guide");
    const { status: code, data } = await Desk.api("GET", "guides");
    if (code === 200) guide.replaceChildren(...Desk.options(data.guides, (g) => g.id, (g) => g.title));
    form.addEventListener("change", () => {
      guide.disabled = form.kind.value !== "guide";
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { note: form.note.value };
      if (form.kind.value === "guide") body.guide = guide.value;
      else body[form.kind.value] = true;
      const answer = await Desk.api("POST", "handoff-codes", body, me.csrf_token);
      if (answer.status !== 201) {
        say(answer.data.text || "ساختن کد انجام نشد.");
        return;
      }
      document.getElementById("code").textContent = answer.data.code;
      document.getElementById("code-expiry").textContent = `تا ${Desk.when(answer.data.expires_at)} و فقط یک بار کار می‌کند.`;
      const links = Object.entries(answer.data.links).map(([channel, url]) => {
        const li = Desk.el("li");
        const link = Desk.el("a", "", url);
        if (/^https?:\/\//.test(url)) link.href = url;
        link.dir = "ltr";
        li.append(Desk.el("span", "", `${Desk.CHANNELS[channel] || channel}: `), link);
        return li;
      });
      document.getElementById("code-links").replaceChildren(...links);
      document.getElementById("code-result").hidden = false;
    });
  }

  function listen(path, name, handle) {
    const events = new EventSource(`/desk/api/${path}`);
    events.addEventListener(name, (event) => {
      status.textContent = "";
      handle(JSON.parse(event.data));
    });
    events.addEventListener("ended", () => {
      events.close();
      toLogin();
    });
    events.addEventListener("error", async () => {
      say("ارتباط قطع شد؛ دوباره وصل می‌شویم…");
      const { status: code } = await Desk.api("GET", "me");
      if (code === 401) {
        events.close();
        toLogin();
      } else if (events.readyState === EventSource.CLOSED) {
        say(Desk.STREAM_REFUSED); // refused, not lost: the browser will not try again
      }
    });
  }

  async function start() {
    me = await Desk.signedIn();
    if (!me) return;
    document.getElementById("supervisor").hidden = me.role === "agent";
    document.getElementById("logout").addEventListener("click", async () => {
      await Desk.api("POST", "logout", undefined, me.csrf_token);
      toLogin();
    });
    let callbacksSeen = null;
    listen("queue/events", "queue", (listing) => {
      waiting = listing.waiting;
      receivedAt = Date.now();
      render();
      showMine();
      // A call-back requested or worked elsewhere: the list is read again.
      if (listing.callbacks !== callbacksSeen) {
        callbacksSeen = listing.callbacks;
        showCallbacks();
      }
    });
    if (me.role !== "agent") listen("supervisor/events", "supervisor", showStats);
    showCallbacks(); // also when the page's live updates are refused
    codeForm();
    // Waiting times move on between events.
    window.setInterval(render, 15000);
  }

  start();
})();
