/* The visit reports queue: a report is saved on the phone first (localStorage) and removed only once the server
 * has answered 200/201 for its client_uuid. It survives a reload, a closed tab and an expired session; sending the
 * same client_uuid twice is harmless because the server keeps the first submission (DESIGN §3).
 * Plain script, no build step. */
(function () {
  "use strict";

  var KEY = "crm.visitQueue.v1";
  var RETRY_MS = 15000;
  var root = document.getElementById("visit-queue");
  if (!root) return;
  var script = document.currentScript || document.querySelector("script[src*='visit-queue']");
  var msg = root.dataset;
  var userId = root.dataset.user;
  var apiUrl = root.dataset.api;
  var sending = false;

  // --- storage ----------------------------------------------------------------------------------------
  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY));
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }
  function save(items) {
    window.localStorage.setItem(KEY, JSON.stringify(items));
  }
  function patch(uuid, changes) {
    // Re-read before writing: another tab may have changed the queue meanwhile.
    save(load().map(function (item) {
      return item.client_uuid === uuid ? Object.assign({}, item, changes) : item;
    }));
  }
  function removeItem(uuid) {
    save(load().filter(function (item) { return item.client_uuid !== uuid; }));
  }
  function enqueue(item) {
    var items = load().filter(function (i) { return i.client_uuid !== item.client_uuid; });
    items.push(item);
    save(items);
  }

  function newUuid() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    // The cookie is the freshest token (it changes when the rep logs in again); the page's copy is the fallback.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  // --- sending ----------------------------------------------------------------------------------------
  var flushAgain = false;

  function flush() {
    if (sending) {
      // A report queued while others are being sent goes out right after them, not at the next retry tick.
      flushAgain = true;
      return Promise.resolve();
    }
    sending = true;
    flushAgain = false;
    var pending = load().filter(function (i) { return i.user === userId && i.state !== "rejected"; });
    var chain = Promise.resolve(true);
    pending.forEach(function (item) {
      chain = chain.then(function (goOn) {
        return goOn ? sendOne(item) : false;
      });
    });
    function done(goOn) {
      sending = false;
      render();
      if (flushAgain && goOn !== false) flush();
    }
    return chain.then(done, function () { done(false); });
  }

  function sendOne(item) {
    return fetch(apiUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "XMLHttpRequest"
      },
      body: JSON.stringify(item.payload)
    }).then(function (resp) {
      if (resp.status === 200 || resp.status === 201) {
        removeItem(item.client_uuid);
        return true;
      }
      if (resp.status === 401 || resp.status === 403 || resp.type === "opaqueredirect" || resp.redirected) {
        patch(item.client_uuid, { state: "login" });
        return false;
      }
      if (resp.status === 400) {
        return resp.json().then(function (errors) {
          patch(item.client_uuid, { state: "rejected", errors: errors });
          return true;
        }, function () {
          patch(item.client_uuid, { state: "rejected", errors: {} });
          return true;
        });
      }
      patch(item.client_uuid, { state: "retry" });
      return false;
    }, function () {
      patch(item.client_uuid, { state: "offline" });
      return false;
    });
  }

  // --- showing what waits -----------------------------------------------------------------------------
  function stateText(item) {
    if (item.user !== userId) return msg.msgOtherUser;
    return {
      offline: msg.msgOffline,
      login: msg.msgLogin,
      retry: msg.msgRetry,
      rejected: msg.msgRejected
    }[item.state] || msg.msgWaiting;
  }

  function errorText(errors) {
    if (!errors || typeof errors !== "object") return "";
    return Object.keys(errors).map(function (k) {
      var v = errors[k];
      return k + ": " + (Array.isArray(v) ? v.join(" ") : JSON.stringify(v));
    }).join("; ");
  }

  function render() {
    var items = load();
    var mine = items.filter(function (i) { return i.user === userId; });
    root.querySelector("[data-queue-count]").textContent = String(items.length);
    root.querySelector("[data-queue-empty]").hidden = items.length > 0;
    root.querySelector("[data-queue-send]").hidden = mine.length === 0;
    root.querySelector("[data-queue-login]").hidden = !mine.some(function (i) { return i.state === "login"; });
    var list = root.querySelector("[data-queue-list]");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.dataset.clientUuid = item.client_uuid;
      li.dataset.state = item.state || "waiting";
      var title = document.createElement("strong");
      title.textContent = item.label || item.client_uuid;
      li.appendChild(title);
      var when = document.createElement("span");
      when.className = "muted";
      when.textContent = " · " + new Date(item.queued_at).toLocaleString();
      li.appendChild(when);
      var state = document.createElement("span");
      state.className = "state";
      state.textContent = stateText(item) + (item.state === "rejected" ? " " + errorText(item.errors) : "");
      li.appendChild(state);
      if (item.state === "rejected" && item.user === userId) {
        var actions = document.createElement("div");
        actions.className = "actions";
        if (form) {
          var edit = document.createElement("button");
          edit.type = "button";
          edit.textContent = msg.msgEdit;
          edit.addEventListener("click", function () { editItem(item); });
          actions.appendChild(edit);
        }
        var discard = document.createElement("button");
        discard.type = "button";
        discard.textContent = msg.msgDiscard;
        discard.addEventListener("click", function () {
          if (window.confirm(msg.msgDiscardConfirm)) {
            removeItem(item.client_uuid);
            render();
          }
        });
        actions.appendChild(discard);
        li.appendChild(actions);
      }
      list.appendChild(li);
    });
  }

  // --- the form ---------------------------------------------------------------------------------------
  var form = document.getElementById("visit-form");
  var tzOffset = form ? parseInt(form.dataset.tzOffset || "0", 10) : 0;

  function offsetSuffix() {
    var sign = tzOffset < 0 ? "-" : "+";
    var abs = Math.abs(tzOffset);
    return sign + ("0" + Math.floor(abs / 60)).slice(-2) + ":" + ("0" + (abs % 60)).slice(-2);
  }
  function localNow() {
    // The company's time zone, whatever the phone's: the server reads the same wall-clock time.
    return new Date(Date.now() + tzOffset * 60000).toISOString().slice(0, 16);
  }
  function value(name) {
    var el = form.elements[name];
    return el ? String(el.value || "").trim() : "";
  }

  function collect() {
    var customer = value("customer");
    var payload = {
      client_uuid: value("client_uuid"),
      customer: customer ? parseInt(customer, 10) : null,
      visited_at: value("visited_at") ? value("visited_at") + ":00" + offsetSuffix() : null,
      method: value("method") || "visit",
      findings_market: value("findings_market"),
      findings_channel: value("findings_channel"),
      findings_competitor: value("findings_competitor"),
      findings_consumer: value("findings_consumer"),
      outcome: value("outcome"),
      failure_reason: value("failure_reason"),
      step_reached: value("step_reached") ? parseInt(value("step_reached"), 10) : null,
      buying_signals: Array.prototype.map.call(
        form.querySelectorAll("input[name=buying_signals]:checked"), function (el) { return el.value; }),
      intends_to_rebuy: form.elements.intends_to_rebuy ? form.elements.intends_to_rebuy.checked : false,
      next_step: value("next_step"),
      next_visit_on: value("next_visit_on") || null,
      latitude: value("latitude") || null,
      longitude: value("longitude") || null,
      competitor_brands: value("competitor_brands").split(/[,，]/).map(function (s) { return s.trim(); })
        .filter(Boolean),
      survey_answers: []
    };
    Array.prototype.forEach.call(form.querySelectorAll("[name^=survey_]"), function (el) {
      if (el.value.trim()) {
        payload.survey_answers.push({ question: parseInt(el.name.slice(7), 10), answer: el.value.trim() });
      }
    });
    var label;
    if (!payload.customer && value("new_customer_name")) {
      payload.new_customer = {
        name: value("new_customer_name"),
        city: value("new_customer_city"),
        address: value("new_customer_address"),
        phone: value("new_customer_phone")
      };
      label = payload.new_customer.name;
    } else if (payload.customer) {
      label = form.elements.customer.options[form.elements.customer.selectedIndex].text;
    }
    return { payload: payload, label: (label || "") + " · " + value("visited_at").replace("T", " ") };
  }

  function freshForm() {
    form.reset();
    form.elements.client_uuid.value = newUuid();
    form.elements.visited_at.value = localNow();
    form.elements.latitude.value = "";
    form.elements.longitude.value = "";
  }

  function showErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-errors-for]"), function (ul) {
      ul.textContent = "";
      var list = errors && errors[ul.dataset.errorsFor];
      if (!list) return;
      (Array.isArray(list) ? list : [errorText(list)]).forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = typeof text === "string" ? text : errorText(text);
        ul.appendChild(li);
      });
    });
  }

  function editItem(item) {
    var p = item.payload;
    form.reset();
    Object.keys(p).forEach(function (name) {
      var el = form.elements[name];
      if (!el || el.length !== undefined && !el.tagName) return;
      if (el.type === "checkbox") el.checked = !!p[name];
      else if (p[name] !== null && typeof p[name] !== "object") el.value = String(p[name]);
    });
    if (p.visited_at) form.elements.visited_at.value = p.visited_at.slice(0, 16);
    Array.prototype.forEach.call(form.querySelectorAll("input[name=buying_signals]"), function (el) {
      el.checked = (p.buying_signals || []).indexOf(el.value) >= 0;
    });
    form.elements.competitor_brands.value = (p.competitor_brands || []).join(", ");
    if (p.new_customer) {
      form.elements.new_customer_name.value = p.new_customer.name || "";
      form.elements.new_customer_city.value = p.new_customer.city || "";
      form.elements.new_customer_address.value = p.new_customer.address || "";
      form.elements.new_customer_phone.value = p.new_customer.phone || "";
    }
    (p.survey_answers || []).forEach(function (a) {
      var el = form.elements["survey_" + a.question];
      if (el) el.value = a.answer;
    });
    // It was never stored by the server: the corrected report keeps its client_uuid.
    form.elements.client_uuid.value = item.client_uuid;
    showErrors(item.errors);
    removeItem(item.client_uuid);
    render();
    form.scrollIntoView();
  }

  if (form) {
    // Never reuse the uuid printed in the page: a page served from the offline cache would repeat it.
    form.elements.client_uuid.value = newUuid();
    if (!form.elements.visited_at.value) form.elements.visited_at.value = localNow();

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var status = document.querySelector("[data-form-status]");
      var collected = collect();
      if (!collected.payload.customer && !collected.payload.new_customer) {
        showErrors({ customer: [script.dataset.needCustomer] });
        return;
      }
      showErrors({});
      try {
        enqueue({
          client_uuid: collected.payload.client_uuid,
          user: userId,
          payload: collected.payload,
          label: collected.label,
          queued_at: new Date().toISOString(),
          state: "waiting"
        });
      } catch (e) {
        // No storage on this phone (private mode, quota): post the form the classic way instead of losing it.
        form.submit();
        return;
      }
      freshForm();
      if (status) status.textContent = script.dataset.saved;
      render();
      flush();
    });

    var geo = form.querySelector("[data-geo]");
    if (geo) {
      geo.addEventListener("click", function () {
        var out = form.querySelector("[data-geo-status]");
        if (!navigator.geolocation) {
          out.textContent = script.dataset.geoDenied;
          return;
        }
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.elements.latitude.value = pos.coords.latitude.toFixed(6);
          form.elements.longitude.value = pos.coords.longitude.toFixed(6);
          out.textContent = script.dataset.geoOk;
        }, function () {
          out.textContent = script.dataset.geoDenied;
        }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
      });
    }
  }

  // --- offline page cache -----------------------------------------------------------------------------
  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !root.dataset.sw) return;
    navigator.serviceWorker.register(root.dataset.sw, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = [window.location.pathname];
      Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet]"), function (el) {
        urls.push(el.getAttribute("src") || el.getAttribute("href"));
      });
      navigator.serviceWorker.addEventListener("message", function (ev) {
        if (ev.data && ev.data.type === "precached") {
          var ready = root.querySelector("[data-offline-ready]");
          ready.textContent = msg.msgOfflineReady;
          ready.hidden = false;
          document.body.dataset.offlineReady = "1";
        }
      });
      reg.active.postMessage({ type: "precache", urls: urls });
    }).catch(function () { /* offline use is a bonus; the queue works without it */ });
  }

  root.querySelector("[data-queue-send]").addEventListener("click", function () { flush(); });
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("storage", function (ev) { if (ev.key === KEY) render(); });
  window.setInterval(function () { if (navigator.onLine !== false) flush(); }, RETRY_MS);
  render();
  registerServiceWorker();
  flush();
})();
