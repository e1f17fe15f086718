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
  document.addEventListener("DOMContentLoaded", function () {
    openFromHash();
    focusFirstError();
  });
  window.addEventListener("hashchange", openFromHash);
})();
