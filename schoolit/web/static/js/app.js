// Behaviour of the pages, loaded from here because the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // <button data-action="print">: print the page (loan agreements, loan lists).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action=print]");
    if (button) { window.print(); }
  });

  // <button data-action="insert-text" data-source="SELECT-ID" data-target="TEXTAREA-ID">: insert the chosen
  // option's data-text (a text module, its placeholders filled in by the server) at the cursor.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action=insert-text]");
    if (!button) return;
    var select = document.getElementById(button.getAttribute("data-source"));
    var target = document.getElementById(button.getAttribute("data-target"));
    var option = select && select.options[select.selectedIndex];
    var text = option && option.getAttribute("data-text");
    if (!target || !text) return;
    var start = target.selectionStart || 0, end = target.selectionEnd || 0;
    target.value = target.value.slice(0, start) + text + target.value.slice(end);
    target.focus();
    target.selectionStart = target.selectionEnd = start + text.length;
  });

  // <form data-enter-moves-on>: a barcode scanner types the serial and presses Enter; move on to the
  // next field instead of sending the form.
  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("form[data-enter-moves-on]");
    if (!form || event.key !== "Enter" || event.target.tagName !== "INPUT" || event.target.type === "checkbox") return;
    event.preventDefault();
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input:not([type=hidden]):not([type=checkbox])"));
    var next = inputs[inputs.indexOf(event.target) + 1];
    if (next) { next.focus(); next.select(); }
  });

  // <… data-page-address="/tickets/7">: a form refused on its page is answered with the page again, at the
  // form's address (POST /tickets/7/status). The address bar names the page, so that a reload or a bookmark
  // opens it instead of sending the form again.
  var refusedOn = document.querySelector("[data-page-address]");
  if (refusedOn && window.history.replaceState) {
    var address = refusedOn.getAttribute("data-page-address");
    if (address && address.charAt(0) === "/" && window.location.pathname !== address) {
      window.history.replaceState(null, "", address + window.location.hash);
    }
  }

  // <form data-swap-errors>: htmx swaps the answer in place also for 422 and 409, which carry the
  // form again with the errors next to its fields.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (event.detail.elt.closest("form[data-swap-errors]") && (status === 422 || status === 409)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A refused form opens with its error summary ([data-error-summary], web/_form.html): after htmx swapped
  // the form in place, the reader is taken there — focused, and at the top of the window (it was where the
  // submit button is, far below on a long form). A page loaded anew focuses it by its autofocus.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    var summary = target && target.querySelector && (target.matches("[data-error-summary]") ? target
      : target.querySelector("[data-error-summary]"));
    if (!summary) return;
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "start" });
  });

  // A link of the error summary moves the focus to its field and shows the field with its label (a plain
  // jump to the input would hide the label above it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#field-']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var shown = (field.type === "checkbox" && field.closest("fieldset")) || field.closest("label") || field;
    field.focus({ preventScroll: true });
    shown.scrollIntoView({ block: "start" });
  });

  // <input type="checkbox" data-select-all="NAME">: ticks or unticks every checkbox
  // NAME of its form (also those outside it that name the form with form="…"), e.g. a list's page.
  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("input[data-select-all]");
    if (!box || !box.form) return;
    var name = box.getAttribute("data-select-all");
    Array.prototype.forEach.call(box.form.elements, function (element) {
      if (element.type === "checkbox" && element.name === name) { element.checked = box.checked; }
    });
  });

  // The queue refreshes itself every 30 seconds; not while tickets are ticked for a bulk action.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.elt;
    if (target && target.id === "queue-rows" && target.querySelector("input[type=checkbox]:checked")) {
      event.preventDefault();
    }
  });

  // <details class="narrow-disclosure"> (the main menu, a list's filters) is a disclosure on phones only.
  // Wider, app.css shows its content and hides its summary where the browser can style ::details-content;
  // where it cannot (Firefox before 143 — Firefox ESR 140 in many schools and offices —, Safari before
  // 18.4), this opens them and marks the page so that app.css hides their summaries there too.
  if (!(window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 48.0625rem)");
    var openWhenWide = function () {
      document.documentElement.classList.toggle("disclosures-opened", wide.matches);
      if (!wide.matches) { return; }
      document.querySelectorAll("details.narrow-disclosure").forEach(function (box) { box.open = true; });
    };
    openWhenWide();
    wide.addEventListener("change", openWhenWide);
    document.body.addEventListener("htmx:afterSwap", openWhenWide);
  }

  // <details class="menu">: Escape closes the open main menu and gives the focus back to its summary.
  document.addEventListener("keydown", function (event) {
    var menu = event.key === "Escape" && event.target.closest && event.target.closest("details.menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  // A table wider than its box scrolls inside it (app.css, phones): make it reachable by keyboard and
  // name it for screen readers, after the page loads and after every htmx swap.
  function focusableScrollers() {
    document.querySelectorAll("main table, main .table-box").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scrolls", "");
      } else if (!scrolls && table.hasAttribute("data-scrolls")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scrolls");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", focusableScrollers);
  document.addEventListener("htmx:afterSettle", focusableScrollers);
  window.addEventListener("resize", focusableScrollers);
})();
