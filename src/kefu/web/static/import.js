// Import page: drop files on the form and show upload progress. No data is put into HTML
// here: the server's answer replaces the page as a whole document.
(function () {
  var form = document.getElementById("upload");
  var input = document.getElementById("files");
  var drop = document.getElementById("drop");
  var bar = document.getElementById("progress");
  if (!form || !input || !drop || !bar) return;
  ["dragenter", "dragover"].forEach(function (e) {
    drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (e) {
    drop.addEventListener(e, function (ev) { ev.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (ev) {
    if (ev.dataTransfer && ev.dataTransfer.files.length) input.files = ev.dataTransfer.files;
  });
  form.addEventListener("submit", function (ev) {
    if (!window.XMLHttpRequest || !window.FormData) return; // plain form post
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (p) {
      if (p.lengthComputable) bar.value = Math.round((100 * p.loaded) / p.total);
    });
    xhr.addEventListener("load", function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.send(new FormData(form));
  });
})();
