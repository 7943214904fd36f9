// SIVICON portal: a form is sent once. A second click (or a double click) while the first
// submission is on its way does nothing, so nobody disposes, signs or files twice by accident;
// the services refuse a repeated step anyway. Forms driven by htmx (the filters) are left alone.
"use strict";

(function () {
  function sending(form) {
    return form.getAttribute("data-sending") === "1";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-get") || form.hasAttribute("hx-post")) {
      return;
    }
    if (sending(form)) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "1");
    form.setAttribute("aria-busy", "true");
  }, true);

  // A page brought back by the browser's Back button may be the one that was sending: its
  // forms can be used again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.removeAttribute("aria-busy");
    });
  });
})();
