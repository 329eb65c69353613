// Import page: drop files on the form, show the upload's progress, then the import's own
// progress (files done of N, the step and file under way, rows read of each file read), which
// the page asks the server for while the import runs. Text is set with textContent only; the
// server's answer replaces the page as a whole document.
(function () {
  var form = document.getElementById("upload");
  var input = document.getElementById("files");
  var drop = document.getElementById("drop");
  var bar = document.getElementById("progress");
  var status = document.getElementById("import-progress");
  if (!form || !input || !drop || !bar || !status) return;
  ["dragenter", "dragover"].forEach(function (e) {
    drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (e) {
    drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (ev) {
    if (ev.dataTransfer && ev.dataTransfer.files.length) input.files = ev.dataTransfer.files;
  });

  function jobId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function show(body) {
    if (!body || !body.text) return;
    status.hidden = false;
    status.textContent = body.text.join("\n");
    if (typeof body.percent === "number") bar.value = body.percent;
  }

  form.addEventListener("submit", function (ev) {
    if (!window.XMLHttpRequest || !window.FormData || !window.fetch || !window.crypto) return;
    ev.preventDefault();
    var job = jobId();
    var data = new FormData(form);
    data.append("job", job);
    var url = form.action + "/progress/" + job;
    var timer = null;
    var finished = false;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) { if (!finished) show(body); })
        .catch(function () {});
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (p) {
      if (p.lengthComputable) bar.value = Math.round((100 * p.loaded) / p.total);
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 0;
      poll();
      timer = window.setInterval(poll, 500);
    });
    xhr.addEventListener("load", function () {
      finished = true;
      if (timer !== null) window.clearInterval(timer);
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.send(data);
  });
})();
