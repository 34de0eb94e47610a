// What the desk's pages share: Persian numbers, calls to /desk/api, and building elements whose
// text is always set as text (never as HTML), so nothing a citizen typed can become markup.
"use strict";

const Desk = (() => {
  const DIGITS = "۰۱۲۳۴۵۶۷۸۹";

  function fa(value) {
    return String(value).replace(/[0-9]/g, (d) => DIGITS[Number(d)]);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return "کمتر از یک دقیقه";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${fa(minutes)} دقیقه`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest ? `${fa(hours)} ساعت و ${fa(rest)} دقیقه` : `${fa(hours)} ساعت`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function api(method, path, body, csrfToken) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    const response = await fetch(`/desk/api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    return { status: response.status, data };
  }

  // Labels the pages share, for the server's codes.
  const REASONS = {
    request: "درخواست گفتگو با کارشناس",
    request_human: "درخواست گفتگو با کارشناس",
    misunderstood: "ربات دو بار متوجه نشد",
    complaint: "شکایت",
    rule: "طبق قاعده",
  };
  // What a page says when the desk refuses its live updates (too many pages open for one user).
  const STREAM_REFUSED = "این صفحه دیگر خودبه‌خود به‌روز نمی‌شود: صفحه‌های باز میز کار شما بیش از اندازه است. چند صفحه را ببندید و این صفحه را دوباره باز کنید.";

  const CHANNELS = {
    telegram: "تلگرام",
    bale: "بله",
    splus: "سروش پلاس",
    soroush: "سروش",
    eitaa: "ایتا",
    rubika: "روبیکا",
    sms: "پیامک",
    web: "گفتگوی وب",
  };
  const ROLES = { agent: "کارشناس", supervisor: "سرپرست", admin: "مدیر" };

  // A reason may carry why a call-back was offered instead of the queue: "request_human:closed".
  function reason(code) {
    const [why, instead] = String(code).split(":");
    const INSTEAD = { closed: "بیرون از ساعت کاری", full: "صف پر بود", unreachable: "کانال پاسخ بعدی ندارد" };
    const text = REASONS[why] || why;
    return instead ? `${text} (${INSTEAD[instead] || instead})` : text;
  }

  // A time in the Jalali calendar with Persian digits, as the browser's Intl writes it.
  function when(iso) {
    return new Intl.DateTimeFormat("fa-IR-u-ca-persian", { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  }

  function conversationLink(id) {
    return `/desk/conversation?id=${encodeURIComponent(id)}`;
  }

  // Who is signed in (with the session's CSRF token), shown in the header; the login page when nobody is.
  async function signedIn() {
    const { status, data } = await api("GET", "me");
    if (status !== 200) {
      window.location.assign("/desk/login");
      return null;
    }
    document.getElementById("who").textContent = `${data.first_name || data.username} (${ROLES[data.role] || data.role})`;
    return data;
  }

  // <option>s of a <select>: one for each entry, with its value and its text.
  function options(entries, value, text) {
    return entries.map((entry) => {
      const option = el("option", "", text(entry));
      option.value = value(entry);
      return option;
    });
  }

  return { fa, duration, el, api, CHANNELS, ROLES, STREAM_REFUSED, reason, when, conversationLink, signedIn, options };
})();
