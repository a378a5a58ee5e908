// A run-wide job's progress page: while the job runs, read its JSON twin every second and
// show its counts; once it has ended, load the page again for the full report.
"use strict";
(function () {
  const line = document.querySelector("[data-progress]");
  if (!line || line.dataset.state !== "running") return;
  async function poll() {
    try {
      const response = await fetch(line.dataset.twin, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const job = (await response.json()).job;
        line.querySelector("[data-done]").textContent = job.done;
        for (const [result, n] of Object.entries(job.counts)) {
          const cell = document.querySelector(`[data-count="${result}"]`);
          if (cell) cell.textContent = n;
        }
        if (job.state !== "running") { window.location.reload(); return; }
      }
    } catch (error) { /* the server is restarting: try again */ }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
