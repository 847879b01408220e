// Live preview of the design editor: the preview images follow the form's current values
// (and the sample holder) without saving. Without JavaScript they show the saved design.
(function () {
  "use strict";
  const form = document.getElementById("design-form");
  if (!form) return;
  const names = ["certificate_layout", "badge_layout", "paper", "font", "primary_color", "accent_color", "sample"];
  const images = { certificate: document.getElementById("certificate-preview"), badge: document.getElementById("badge-preview") };
  let timer = null;
  function refresh() {
    const query = new URLSearchParams();
    for (const name of names) {
      const field = form.elements[name];  // includes the sample select, outside with form=…
      if (field && field.value) query.set(name, field.value);
    }
    for (const [kind, image] of Object.entries(images)) {
      if (image) image.src = form.dataset.previewUrl.replace("KIND", kind) + "?" + query.toString();
    }
  }
  function later() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
  form.addEventListener("change", later);
  form.addEventListener("input", later);
  const sample = document.getElementById("preview-sample");
  if (sample) sample.addEventListener("change", later);
  form.dataset.ready = "true";
})();
