// SIVICON portal: log in, show who is logged in, and list the inbox. Plain JavaScript, no build.
"use strict";

(function () {
  var TOKEN_KEY = "sivicon.token";
  var USER_KEY = "sivicon.user";
  // The office's time zone, as the portal's settings say (SIVICON_TIMEZONE): set on <html>.
  var OFFICE_TZ = document.documentElement.dataset.timezone;
  var WITA = new Intl.DateTimeFormat("id-ID", {
    timeZone: OFFICE_TZ, day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit"
  });
  var WITA_TIME = new Intl.DateTimeFormat("id-ID", {
    timeZone: OFFICE_TZ, hour: "2-digit", minute: "2-digit"
  });

  function $(id) { return document.getElementById(id); }

  function showError(text) {
    var el = $("error");
    el.textContent = text || "";
    el.hidden = !text;
  }

  // A failed call as one Indonesian sentence: the service's `pesan` when it sent one.
  function ApiError(status, pesan) {
    this.status = status;
    this.message = pesan;
  }

  function call(method, url, body) {
    var headers = { "Accept": "application/json" };
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) { headers["Authorization"] = "Bearer " + token; }
    var init = { method: method, headers: headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var pesan = data && data.error && data.error.pesan;
          throw new ApiError(response.status,
            pesan || "Terjadi kesalahan pada server (kode " + response.status + ").");
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, "Tidak dapat menghubungi server. Periksa koneksi jaringan Anda.");
    });
  }

  // The portal names the role (shared/roles.py), in login's and /me's answer alike.
  function roleText(user) {
    return user.role_name || user.role;
  }

  function showLogin() {
    $("session").hidden = true;
    $("login").hidden = false;
    $("inbox-rows").textContent = "";
    $("password").value = "";
    $("username").focus();
  }

  function showSession(user) {
    $("login").hidden = true;
    $("session").hidden = false;
    $("user-name").textContent = user.name;
    $("user-role").textContent = roleText(user);
    $("user-opd").textContent = user.opd_code ? " (" + user.opd_code + ")" : "";
    loadInbox();
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    showError(message || "");
    showLogin();
  }

  function handleFailure(err) {
    if (err instanceof ApiError && err.status === 401) {
      logout(err.message);
    } else {
      showError(err.message || String(err));
    }
  }

  function first() {
    for (var i = 0; i < arguments.length; i++) {
      if (arguments[i] !== undefined && arguments[i] !== null && arguments[i] !== "") {
        return arguments[i];
      }
    }
    return null;
  }

  function formatWhen(start, end) {
    if (!start) { return "–"; }
    var s = new Date(start);
    if (isNaN(s.getTime())) { return String(start); }
    var text = WITA.format(s);
    var e = end ? new Date(end) : null;
    if (e && !isNaN(e.getTime())) { text += "–" + WITA_TIME.format(e); }
    return text;
  }

  function rowsOf(data) {
    if (Array.isArray(data)) { return data; }
    if (data && Array.isArray(data.items)) { return data.items; }
    if (data && Array.isArray(data.cases)) { return data.cases; }
    return [];
  }

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "–" : String(text);
    tr.appendChild(td);
  }

  function renderInbox(items) {
    var body = $("inbox-rows");
    body.textContent = "";
    items.forEach(function (item) {
      var meeting = item.meeting || {};
      var letter = item.letter || {};
      var tr = document.createElement("tr");
      cell(tr, item.agenda_number);
      cell(tr, first(item.opd_name, item.opd_code));
      cell(tr, first(item.hal, item.subject, letter.subject, item.topic, meeting.topic));
      cell(tr, formatWhen(first(item.meeting_start, item.requested_start, item.start, meeting.start),
                          first(item.meeting_end, item.requested_end, item.end, meeting.end)));
      var step = first(item.waiting_step, item.pending_step, item.step, item.next_step);
      var stepName = first(item.pending_step_name, item.step_name, item.waiting_step_name);
      var stepText = step !== null ? "Langkah " + step : null;
      if (stepName) { stepText = stepText ? stepText + ": " + stepName : stepName; }
      cell(tr, stepText);
      body.appendChild(tr);
    });
    $("inbox-table").hidden = items.length === 0;
    $("inbox-status").textContent = items.length === 0
      ? "Tidak ada permohonan yang menunggu tindakan Anda."
      : items.length + " permohonan menunggu tindakan Anda.";
  }

  function loadInbox() {
    $("inbox-status").textContent = "Memuat kotak masuk…";
    return call("GET", "/gw/disposition/api/v1/inbox").then(function (data) {
      showError("");
      renderInbox(rowsOf(data));
    }, function (err) {
      $("inbox-status").textContent = "Kotak masuk tidak dapat dimuat.";
      handleFailure(err);
    });
  }

  function onLogin(event) {
    event.preventDefault();
    var username = $("username").value.trim();
    var password = $("password").value;
    if (!username || !password) {
      showError("Isi nama pengguna dan kata sandi.");
      (username ? $("password") : $("username")).focus();
      return;
    }
    var button = $("login-button");
    button.disabled = true;
    call("POST", "/api/v1/auth/login",
         { username: username, password: password, acting: $("acting").checked })
      .then(function (data) {
        sessionStorage.setItem(TOKEN_KEY, data.token);
        sessionStorage.setItem(USER_KEY, JSON.stringify(data.user));
        showError("");
        $("password").value = "";
        showSession(data.user);
      }, function (err) {
        showError(err.message);
        $("password").focus();
      })
      .then(function () { button.disabled = false; });
  }

  function start() {
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", function () { logout(""); });
    $("refresh").addEventListener("click", function () { loadInbox(); });
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      showLogin();
      return;
    }
    // A stored token may have expired: ask the portal who it belongs to before trusting it.
    call("GET", "/api/v1/me").then(showSession, handleFailure);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
