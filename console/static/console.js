// The console's little script: forms are checked in the browser before they are sent (the
// services check again). A form marked `validate` is not sent while a field is invalid;
// the first invalid field is focused and says why.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.classList || !form.classList.contains("validate")) return;
  if (!form.checkValidity()) {
    event.preventDefault();
    form.reportValidity();
    return;
  }
  const button = form.querySelector("button[type=submit], button:not([type])");
  if (button) button.disabled = true;  // one click, one command
});
