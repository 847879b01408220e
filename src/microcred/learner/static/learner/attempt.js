// The exam page's helpers: the timer (the server's deadline, re-synced on every save),
// autosave with idempotency keys and retries, and advisory integrity signals. Without this
// script the page still works: every button posts the form.
(function () {
  "use strict";
  const bar = document.querySelector(".exam-bar");
  if (!bar) return;
  const form = document.getElementById("question-form");
  const status = document.getElementById("save-status");
  const timeLeft = document.getElementById("time-left");
  const warning = document.getElementById("time-warning");
  const csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  let deadline = bar.dataset.deadline ? Date.parse(bar.dataset.deadline) : null;
  let offset = Date.parse(bar.dataset.serverNow) - Date.now(); // server time − this clock
  let submitted = false;

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = "save-status" + (kind ? " " + kind : "");
  }

  // -- timer ------------------------------------------------------------------------------
  const announced = new Set();
  function tick() {
    if (deadline === null || !timeLeft) return;
    const left = Math.max(0, Math.floor((deadline - (Date.now() + offset)) / 1000));
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    timeLeft.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
    for (const mark of [600, 300, 60]) {
      if (left <= mark && left > 0 && !announced.has(mark)) {
        announced.add(mark);
        if (warning) warning.textContent = Math.round(mark / 60) + " minutes left.";
        bar.classList.add("hurry");
      }
    }
    if (left === 0 && !submitted) timeUp();
  }
  async function timeUp() {
    submitted = true;
    say("Time is up. Your saved answers are being submitted…", "warn");
    await flush();
    try {
      await fetch(bar.dataset.submitUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
    } finally {
      window.location.assign(bar.dataset.reviewUrl);
    }
  }
  if (deadline !== null) { tick(); setInterval(tick, 1000); }

  // -- autosave ---------------------------------------------------------------------------
  let timer = null, inFlight = null, dirty = false, key = null;
  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
  }
  function schedule(delay) {
    dirty = true;
    key = newKey(); // a new answer gets a new key; retries of one answer reuse it
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }
  async function save(attempt) {
    timer = null;
    if (!form || !dirty) return;
    if (inFlight) { await inFlight; if (!dirty) return; }
    dirty = false;
    const data = new FormData(form);
    data.set("key", key);
    data.delete("go");
    say("Saving…");
    inFlight = (async function () {
      let response;
      try {
        response = await fetch(bar.dataset.saveUrl, {
          method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
        });
      } catch (error) {
        // Offline or the server did not answer: keep the same key and try again.
        dirty = true;
        const wait = Math.min(30000, 1000 * Math.pow(2, attempt || 0));
        say("Not saved: no connection. Retrying…", "bad");
        timer = setTimeout(function () { save((attempt || 0) + 1); }, wait);
        return;
      }
      const body = await response.json().catch(function () { return {}; });
      if (response.ok) {
        form.elements.sequence.value = body.sequence;
        if (body.deadline) deadline = Date.parse(body.deadline);
        if (body.server_now) offset = Date.parse(body.server_now) - Date.now();
        say("Saved at " + new Date(Date.parse(body.saved_at)).toLocaleTimeString(), "good");
        markAnswered();
      } else if (response.status === 410) {
        submitted = true;
        say(body.error || "This attempt has been submitted.", "bad");
        window.location.assign(body.review || bar.dataset.reviewUrl);
      } else if (response.status === 409) {
        say(body.error + " ", "bad");
        const reload = document.createElement("a");
        reload.href = window.location.pathname;
        reload.textContent = "Reload this question";
        status.appendChild(reload);
      } else {
        say("Not saved: " + (body.error || "the server refused the answer."), "bad");
      }
    })();
    await inFlight;
    inFlight = null;
  }
  function flush() {
    clearTimeout(timer);
    return dirty ? save() : (inFlight || Promise.resolve());
  }
  function markAnswered() {
    const current = document.querySelector(".question-nav li.current");
    if (current) current.classList.add("answered");
  }
  if (form) {
    form.addEventListener("input", function (event) {
      if (event.target.name === "flag") return;
      schedule(event.target.matches("input[type=text], input:not([type]), textarea, input[inputmode]") ? 1500 : 200);
    });
    form.addEventListener("change", function (event) {
      if (event.target.name === "flag") return;
      if (!event.target.matches("textarea, input:not([type]), input[type=text]")) schedule(0);
    });
    // A button press posts the form: first let a pending save finish, so the form carries the
    // sequence number that save produced.
    form.addEventListener("submit", function (event) {
      if (!dirty && !inFlight) return;
      event.preventDefault();
      const button = event.submitter;
      flush().then(function () { form.requestSubmit(button); });
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty || inFlight) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  // -- integrity signals (advisory: an assessor looks at them; they never fail anyone) --------
  const last = {};
  function signal(kind, detail) {
    const now = Date.now();
    if (submitted || (last[kind] && now - last[kind] < 10000)) return;
    last[kind] = now;
    fetch(bar.dataset.signalUrl, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ kind: kind, detail: detail || "" }),
    }).catch(function () {});
  }
  // Hidden tab and lost focus are reported when the candidate comes back, with how long they
  // were away: leaving the page for the next question (or closing it) is not "looking away".
  let hiddenAt = null, blurredAt = null;
  function away(since) { return String(Math.round((Date.now() - since) / 1000)) + " s"; }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { hiddenAt = Date.now(); return; }
    if (hiddenAt !== null) { signal("tab_hidden", away(hiddenAt)); hiddenAt = null; }
  });
  window.addEventListener("blur", function () { blurredAt = Date.now(); });
  window.addEventListener("focus", function () {
    if (blurredAt !== null && Date.now() - blurredAt > 1000) signal("focus_lost", away(blurredAt));
    blurredAt = null;
  });
  document.addEventListener("paste", function () { signal("paste"); });
  document.addEventListener("fullscreenchange", function () { if (!document.fullscreenElement) signal("fullscreen_exit"); });
  // Listeners are attached: answers typed from now on are autosaved (before, only the form's
  // own buttons would carry them). Tests wait for this mark.
  bar.dataset.ready = "true";
})();
