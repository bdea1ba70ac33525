import type { XY } from '../../../engine/graph/edits/apply-edit.ts';
import './canvas-menu.css';

export type CanvasMenuCommand = 'group' | 'ungroup' | 'wrapRecursion' | 'enter';

/**
 * The canvas's right-click menu: what can be done with the selection. A component instance
 * also offers to open it and to wrap it in a recursion.
 */
export function CanvasMenu({
  at,
  instance,
  onCommand,
  onClose,
}: {
  at: XY;
  /** The one selected node is a component instance. */
  instance: boolean;
  onCommand: (c: CanvasMenuCommand) => void;
  onClose: () => void;
}) {
  const item = (command: CanvasMenuCommand, label: string, keys: string) => (
    <button
      role="menuitem"
      data-testid={`menu-${command}`}
      onClick={() => {
        onClose();
        onCommand(command);
      }}
    >
      {label}
      <kbd>{keys}</kbd>
    </button>
  );
  return (
    <div
      className="canvas-menu"
      role="menu"
      style={{ left: at.x, top: at.y }}
      onContextMenu={(e) => e.preventDefault()}
    >
      {item('group', 'Group into component', 'Ctrl+G')}
      {item('ungroup', 'Ungroup', 'Ctrl+Shift+G')}
      {instance ? item('wrapRecursion', 'Wrap in recursion…', '') : null}
      {instance ? item('enter', 'Open component', 'Tab') : null}
    </div>
  );
}
