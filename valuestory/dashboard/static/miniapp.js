// Signs in from inside Telegram: posts the Mini App's initData, then opens the dashboard.
(function () {
  "use strict";
  var status = document.getElementById("status");
  var app = window.Telegram && window.Telegram.WebApp;
  if (!app || !app.initData) {
    return; // opened outside Telegram: the page already says what to do
  }
  app.ready();
  var body = new URLSearchParams();
  body.set("initData", app.initData);
  fetch("/dashboard/app/signin", {
    method: "POST", body: body, credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" }
  }).then(function (response) {
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json();
  }).then(function (data) {
    window.location.replace(data.next);
  }).catch(function () {
    status.textContent = "Sorry, you can't be signed in here. Send /dashboard to the bot for a link.";
  });
})();
