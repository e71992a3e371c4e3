/**
 * Locks an unlocked wallet nobody is using: after AUTO_LOCK_IDLE_MS without a key press, click or
 * touch, or once the page has been out of sight (another tab, a locked phone) for
 * AUTO_LOCK_HIDDEN_MS. Locking drops the keys from memory; the passphrase opens the wallet again.
 */

export const AUTO_LOCK_IDLE_MS = 5 * 60_000;
export const AUTO_LOCK_HIDDEN_MS = 60_000;
const ACTIVITY = ['keydown', 'pointerdown', 'touchstart', 'wheel'] as const;

/** Starts watching; the returned function stops it (call it when the wallet locks otherwise). */
export function lockWhenIdle(lock: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(lock, ms);
  };
  const active = () => {
    if (document.visibilityState === 'visible') arm(AUTO_LOCK_IDLE_MS);
  };
  const visibility = () => arm(document.visibilityState === 'visible' ? AUTO_LOCK_IDLE_MS : AUTO_LOCK_HIDDEN_MS);
  for (const name of ACTIVITY) window.addEventListener(name, active, { passive: true, capture: true });
  document.addEventListener('visibilitychange', visibility);
  visibility();
  return () => {
    clearTimeout(timer);
    for (const name of ACTIVITY) window.removeEventListener(name, active, { capture: true });
    document.removeEventListener('visibilitychange', visibility);
  };
}
