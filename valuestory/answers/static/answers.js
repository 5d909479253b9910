// A member's page works without this. With it, what they wrote is never lost to a dropped
// connection or a stopped server: the text box's words are kept in this browser as they type,
// and a form that can't be sent says so and stays as it was, to be sent again.
(function () {
  "use strict";
  var form = document.querySelector("form.asking");
  if (!form) { return; }
  var box = form.querySelector("textarea");
  var key = "valuestory-draft-" + location.pathname + "-" + form.dataset.draft;
  var said = form.querySelector(".not-sent");
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }
  if (box && store) {
    var kept = store.getItem(key);
    if (kept !== null && kept !== box.value) { box.value = kept; }
    box.addEventListener("input", function () {
      try { store.setItem(key, box.value); } catch (e) { /* full or refused: nothing to do */ }
    });
  }
  var pressed = null;
  form.addEventListener("click", function (event) {
    if (event.target.name === "do") { pressed = event.target; }
  });
  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.FormData) { return; }
    event.preventDefault();
    var data = new FormData(form);
    var button = event.submitter || pressed;
    if (button) { data.append("do", button.value); }
    fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (answer) {
        if (answer.status >= 500) { throw new Error("not taken"); }
        if (store) { store.removeItem(key); }
        return answer.text().then(function (page) {
          if (answer.redirected || answer.ok) { location.replace(answer.url); return; }
          document.open(); document.write(page); document.close();
        });
      })
      .catch(function () {
        said.textContent = form.dataset.notSent;
        said.hidden = false;
        said.setAttribute("tabindex", "-1");
        said.focus();
      });
  });
  var problem = document.getElementById("problem");
  if (problem) { problem.focus(); }
})();
