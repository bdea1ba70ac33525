import { useEffect } from 'react';

/**
 * Escape closes a dialog, as every dialog in the app does, unless `enabled` says a job is running
 * there (an export being verified, a depth sweep): closing then would hide work in progress.
 */
export function useEscape(onClose: () => void, enabled = true): void {
  useEffect(() => {
    if (!enabled) return;
    const esc = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', esc);
    return () => window.removeEventListener('keydown', esc);
  }, [onClose, enabled]);
}
