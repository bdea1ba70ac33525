import {
  useEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from 'react';
import { useEscape } from '../use-escape.ts';
import './modal.css';

export interface ModalProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** The wide frame, for galleries and tables. */
  wide?: boolean;
  /** The dialog's own class, which its stylesheet sizes and lays out. */
  className?: string;
  /** Header content between the title and the close button. */
  actions?: ReactNode;
  /**
   * False while a job runs in the dialog (an export being verified, a depth sweep): Escape then
   * leaves it open, since closing would hide work in progress. The × still closes it.
   */
  escapes?: boolean;
  /** A sheet over the whole window without a backdrop, the app still showing at its edges. */
  sheet?: boolean;
  testId?: string;
}

const FOCUSABLE =
  'button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * Focus moves into the dialog when it opens (unless a field there took it with autoFocus) and
 * goes back to where it was when it closes, unless something else took it meanwhile (the next
 * dialog's field).
 */
function useDialogFocus(box: RefObject<HTMLDivElement | null>) {
  const [opener] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const dialog = box.current;
    if (dialog && !dialog.contains(document.activeElement)) dialog.focus({ preventScroll: true });
    return () => {
      const now = document.activeElement;
      if ((!now || now === document.body) && opener?.isConnected)
        opener.focus({ preventScroll: true });
    };
  }, [box, opener]);
}

/** Tab and Shift+Tab cycle through the dialog's controls rather than leave it. */
function trapTab(e: KeyboardEvent<HTMLDivElement>) {
  if (e.key !== 'Tab') return;
  const items = Array.from(e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => el.getClientRects().length > 0, // drawn: a hidden control cannot take focus
  );
  const first = items[0];
  const last = items.at(-1);
  if (!first || !last) return;
  const at = document.activeElement;
  if (e.shiftKey && (at === first || at === e.currentTarget)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && at === last) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * Every dialog's frame: a titled box with a close button over a backdrop that closes it when
 * pressed, Escape to close, and focus kept inside while it is open.
 */
export function Modal({
  title,
  onClose,
  children,
  wide,
  className,
  actions,
  escapes = true,
  sheet,
  testId,
}: ModalProps) {
  const box = useRef<HTMLDivElement>(null);
  useEscape(onClose, escapes);
  useDialogFocus(box);
  const frame = sheet ? className : ['modal', wide && 'wide', className].filter(Boolean).join(' ');
  const dialog = (
    <div
      ref={box}
      className={frame}
      role="dialog"
      aria-label={title}
      data-testid={testId}
      tabIndex={-1}
      onKeyDown={trapTab}
    >
      <header>
        <h2>{title}</h2>
        {actions}
        <button className="close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      {children}
    </div>
  );
  if (sheet) return dialog;
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      {dialog}
    </div>
  );
}
