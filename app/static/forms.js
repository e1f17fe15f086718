// Forms that take a file (the case page's upload, an event's document): a file over the upload limit is said at
// once, next to its field, and the form is not sent, so nothing typed is lost. The limit and the words come from
// the form (data-max-bytes, data-too-large); the server checks the same limit and says the same words (413).
// Every form works without this file.
(function () {
  "use strict";
  function feedbackFor(input) {
    var id = input.id + "-too-large";
    var node = document.getElementById(id);
    if (!node) {
      node = document.createElement("div");
      node.id = id;
      node.className = "invalid-feedback d-block";
      node.setAttribute("role", "alert");
      var anchor = input.parentNode.querySelector(".form-text") || input;
      anchor.parentNode.insertBefore(node, anchor.nextSibling);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    return node;
  }
  function tooLarge(form, input) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    var files = input.files || [];
    for (var i = 0; i < files.length; i += 1) {
      if (limit && files[i].size > limit) { return true; }
    }
    return false;
  }
  function check(form, input) {
    var over = tooLarge(form, input);
    var existing = document.getElementById(input.id + "-too-large");
    if (over) {
      feedbackFor(input).textContent = form.getAttribute("data-too-large");
      input.classList.add("is-invalid");
    } else if (existing) {
      existing.parentNode.removeChild(existing);
      input.classList.remove("is-invalid");
    }
    return !over;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-max-bytes]");
    Array.prototype.forEach.call(forms, function (form) {
      var inputs = form.querySelectorAll("input[type=file]");
      Array.prototype.forEach.call(inputs, function (input) {
        input.addEventListener("change", function () { check(form, input); });
      });
      form.addEventListener("submit", function (event) {
        var first = null;
        Array.prototype.forEach.call(inputs, function (input) {
          if (!check(form, input) && !first) { first = input; }
        });
        if (first) {
          event.preventDefault();
          first.focus();
        }
      });
    });
  });
})();
