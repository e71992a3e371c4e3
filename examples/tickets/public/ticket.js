// The ticket page's "Copy" button (a separate file: the page's CSP allows no inline script).
const button = document.getElementById('copy');
const field = document.getElementById('token');
const status = document.getElementById('copy-status');
if (button && field && status) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = 'Copied.';
    } catch {
      status.textContent = 'Selected: copy it with your keyboard or menu.';
    }
  });
}
