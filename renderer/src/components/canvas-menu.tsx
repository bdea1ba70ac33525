import type { XY } from '../state/reducer.ts';

export type CanvasMenuCommand = 'group' | 'ungroup';

/** The canvas's right-click menu: what can be done with the selection. */
export function CanvasMenu({
  at,
  onCommand,
  onClose,
}: {
  at: XY;
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
    </div>
  );
}
