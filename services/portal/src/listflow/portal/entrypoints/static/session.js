// Optional: a minute before the idle timeout, the session notice (with its Extend button,
// which works without this script) is announced and highlighted.
(function () {
  var box = document.getElementById("session");
  if (!box) return;
  var minutes = parseInt(box.getAttribute("data-idle-minutes"), 10) || 10;
  window.setTimeout(function () {
    box.classList.add("warning");
    box.setAttribute("role", "alert");
    var note = document.getElementById("session-note");
    if (note) note.textContent = note.textContent + " " + (document.documentElement.lang === "es"
      ? "Su sesión terminará en un minuto."
      : "Your session will end in one minute.");
  }, Math.max(minutes - 1, 1) * 60 * 1000);
})();
