// The upload page: drop files on the page, see the upload's progress; the job page: poll the job's JSON until it
// ends, then reload (the server renders the counts and rejections). Without this script the form posts as it is
// and the job page reloads itself.
(function () {
  "use strict";

  function setupUpload(form) {
    var input = document.getElementById("files");
    var zone = document.getElementById("drop-zone");
    var list = document.getElementById("chosen-files");
    var problem = document.getElementById("upload-problem");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;

    function showFiles() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (f) {
        var li = document.createElement("li");
        li.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1000)) + " kB)";
        list.appendChild(li);
      });
    }

    function refuse(message) {
      problem.textContent = message;
      problem.hidden = false;
      problem.focus && problem.focus();
    }

    input.addEventListener("change", showFiles);
    ["dragenter", "dragover"].forEach(function (name) {
      document.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      document.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    document.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("dragging");
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        showFiles();
      }
    });

    form.addEventListener("submit", function (e) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      e.preventDefault();
      problem.hidden = true;
      var total = 0;
      Array.prototype.forEach.call(input.files, function (f) { total += f.size; });
      if (maxBytes && total > maxBytes) {
        refuse("These files are " + Math.round(total / 1e6) + " MB together: the limit is " +
               Math.round(maxBytes / 1e6) + " MB. Upload fewer or smaller files.");
        return;
      }
      var bar = document.getElementById("upload-bar");
      var button = document.getElementById("upload-button");
      document.getElementById("upload-progress").hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "text/html");
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.value = Math.round(100 * p.loaded / p.total); }
      });
      xhr.addEventListener("load", function () {
        button.disabled = false;
        if (xhr.status === 200 && /\/ingest\/[0-9a-f]+$/.test(xhr.responseURL)) {
          window.location.assign(xhr.responseURL);  // the job's page, after the server's 303
          return;
        }
        document.getElementById("upload-progress").hidden = true;
        var text = "The upload was refused (" + xhr.status + ").";
        try {
          text = "The upload was refused: " + JSON.parse(xhr.responseText).detail;
        } catch (err) {
          var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var alert = page.querySelector(".alert li, main p");
          if (alert) { text = alert.textContent; }
        }
        refuse(text);
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        refuse("The upload did not reach the server. Check the connection and try again.");
      });
      xhr.send(new FormData(form));
    });
  }

  function pollJob(section) {
    var bar = document.getElementById("job-bar");
    var count = document.getElementById("job-count");
    function poll() {
      fetch(window.location.pathname, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (res) { return res.json(); })
        .then(function (job) {
          if (["done", "failed", "interrupted"].indexOf(job.status) >= 0) {
            window.location.reload();
            return;
          }
          if (bar) { bar.max = job.total || 1; bar.value = job.done; }
          if (count) { count.textContent = job.done + " of about " + job.total; }
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 500);
  }

  var form = document.getElementById("upload-form");
  if (form) { setupUpload(form); }
  var job = document.getElementById("ingest-job");
  if (job && job.getAttribute("data-running") === "true") { pollJob(job); }
})();
