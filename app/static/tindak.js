// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  function openFromHash() {
    if (!window.location.hash) { return; }
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  function focusFirstError() {
    var invalid = document.querySelector("main .is-invalid");
    if (invalid && typeof invalid.focus === "function") { invalid.focus(); }
  }

  // A long list to pick from (an agency among 649) gets a search box above it: typing keeps the options whose
  // text holds every typed word (case and accents ignored) and picks the first of them; the select stays the
  // form's field, so the page works the same without this script.
  var SEARCHABLE_MIN_OPTIONS = 30;
  var TEXTS = {
    id: { label: "Saring pilihan %s", placeholder: "Ketik untuk menyaring\u2026", count: "%n pilihan cocok",
          none: "Tidak ada pilihan yang cocok" },
    en: { label: "Filter the choices of %s", placeholder: "Type to filter\u2026", count: "%n matching choices",
          none: "No matching choice" }
  };
  function text(key) {
    return TEXTS[document.documentElement.lang === "en" ? "en" : "id"][key];
  }
  function folded(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function makeSearchable(select) {
    var items = Array.prototype.map.call(select.options, function (option) {
      return { option: option, key: folded(option.text + " " + option.value) };
    });
    var chosen = select.value;
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    var input = document.createElement("input");
    input.type = "search";
    input.id = select.id + "-cari";
    input.className = "form-control form-control-sm mb-1 select-search";
    input.autocomplete = "off";
    input.placeholder = text("placeholder");
    input.setAttribute("aria-label", text("label").replace("%s", label ? label.textContent.trim() : ""));
    input.setAttribute("aria-controls", select.id);
    var status = document.createElement("div");
    status.id = select.id + "-cari-status";
    status.className = "form-text select-search-status";
    status.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", status.id);
    select.parentNode.insertBefore(input, select);
    select.parentNode.insertBefore(status, select.nextSibling);

    function filter() {
      var words = folded(input.value).split(/\s+/).filter(Boolean);
      var first = null;
      var shown = 0;
      var keepsChosen = false;
      select.textContent = "";
      items.forEach(function (item) {
        var placeholder = item.option.value === "";
        var match = placeholder || words.every(function (word) { return item.key.indexOf(word) !== -1; });
        if (!match) { return; }
        select.appendChild(item.option);
        if (placeholder) { return; }
        shown += 1;
        if (first === null) { first = item.option; }
        if (item.option.value === chosen) { keepsChosen = true; }
      });
      if (!words.length || keepsChosen) {
        select.value = chosen;
      } else {
        select.value = first ? first.value : "";
      }
      status.textContent = !words.length ? "" : (shown ? text("count").replace("%n", String(shown)) : text("none"));
    }
    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }  // never submits the form half done
    });
    select.addEventListener("change", function () { chosen = select.value; });
  }
  function searchableSelects() {
    Array.prototype.forEach.call(document.querySelectorAll("main select"), function (select) {
      if (select.id && (select.hasAttribute("data-searchable") || select.options.length >= SEARCHABLE_MIN_OPTIONS)) {
        makeSearchable(select);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    openFromHash();
    searchableSelects();
    focusFirstError();
  });
  window.addEventListener("hashchange", openFromHash);
})();
