import { useEffect } from 'react';
import type { MenuCommand } from '../../engine/contract/api.ts';

/** What a key or menu item can ask the app to do. */
export type Command =
  MenuCommand | 'copy' | 'cut' | 'paste' | 'back' | 'group' | 'ungroup' | 'enter' | 'wrapRecursion';

interface Binding {
  key: string;
  mod?: boolean;
  shift?: boolean;
  /** Also while a text field has focus (save and open never edit text). */
  always?: boolean;
  /**
   * Arrives as a DOM clipboard event rather than a key press, so Electron's Edit menu
   * (roles copy/cut/paste) and the keyboard both reach it.
   */
  clipboard?: boolean;
  /** Only while the canvas (or nothing) has focus: elsewhere the key keeps its own meaning. */
  canvas?: boolean;
  command: Command;
}

/** The one keymap: the handler below and the help overlay both read it. */
export const BINDINGS: Binding[] = [
  { key: 'z', mod: true, command: 'undo' },
  { key: 'y', mod: true, command: 'redo' },
  { key: 'z', mod: true, shift: true, command: 'redo' },
  { key: 'd', mod: true, command: 'duplicate' },
  { key: 'c', mod: true, clipboard: true, command: 'copy' },
  { key: 'x', mod: true, clipboard: true, command: 'cut' },
  { key: 'v', mod: true, clipboard: true, command: 'paste' },
  { key: 'a', mod: true, command: 'selectAll' },
  { key: 'g', mod: true, command: 'group' },
  { key: 'g', mod: true, shift: true, command: 'ungroup' },
  { key: 'n', mod: true, command: 'new' },
  { key: 's', mod: true, always: true, command: 'save' },
  { key: 's', mod: true, shift: true, always: true, command: 'saveAs' },
  { key: 'o', mod: true, always: true, command: 'open' },
  { key: 'f', command: 'fitView' },
  { key: 'l', command: 'autoLayout' },
  { key: 'r', command: 'runs' },
  { key: 'p', command: 'playground' },
  { key: 't', command: 'train' },
  { key: 'e', mod: true, command: 'export' },
  { key: 'i', command: 'insight' },
  { key: 'g', command: 'glossary' },
  { key: '?', command: 'help' },
  { key: 'escape', command: 'back' },
  { key: 'tab', canvas: true, command: 'enter' },
  { key: 'tab', shift: true, canvas: true, command: 'back' },
];

const WHAT: Record<Command, string> = {
  undo: 'Undo',
  redo: 'Redo',
  duplicate: 'Duplicate the selection',
  copy: 'Copy the selection',
  cut: 'Cut the selection',
  paste: 'Paste (also into another document)',
  selectAll: 'Select all',
  group: 'Group the selection into a component',
  ungroup: 'Ungroup the selected component instance',
  enter: 'Open the selected component instance or recursion',
  wrapRecursion: 'Wrap the selected component instance in a recursion',
  new: 'New document',
  save: 'Save',
  saveAs: 'Save as',
  open: 'Open',
  fitView: 'Fit the graph in view',
  autoLayout: 'Auto-layout',
  help: 'This help',
  back: 'Back to the enclosing graph',
  templates: 'Templates',
  runs: 'Runs: compare training runs',
  playground: 'Playground: try a trained model',
  train: 'Show or hide the Train panel',
  export: 'Export ONNX',
  insight: 'Recursion insight: accuracy against depth',
  glossary: 'Glossary: what every node, setting and concept is',
};

function label(b: Binding): string {
  const key = b.key === 'escape' ? 'Escape' : b.key === 'tab' ? 'Tab' : b.key.toUpperCase();
  return `${b.mod ? 'Ctrl+' : ''}${b.shift ? 'Shift+' : ''}${key}`;
}

/** Rows for the help overlay: keys grouped by what they do, plus the pointer gestures. */
export function shortcutRows(): [string, string][] {
  const byCommand = new Map<Command, string[]>();
  for (const b of BINDINGS)
    byCommand.set(b.command, [...(byCommand.get(b.command) ?? []), label(b)]);
  return [
    ...[...byCommand].map(([c, keys]): [string, string] => [keys.join(' / '), WHAT[c]]),
    ['Delete / Backspace', 'Delete the selection'],
    ['Shift+click, Shift+drag', 'Select several nodes'],
    ['Double-click a node', 'Open a component or recursion body'],
    ['Double-click empty canvas', 'Add a node there: type to search, arrows, Enter'],
    ['Let a wire go on empty canvas', 'Add a node that plugs into it'],
    ['Right-click a node or selection', 'Group, ungroup, or wrap in a recursion'],
    ['Drag a row of the Components list', 'Add an instance of that component'],
  ];
}

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return (
    !!el &&
    (el.tagName === 'INPUT' ||
      el.tagName === 'TEXTAREA' ||
      el.tagName === 'SELECT' ||
      el.isContentEditable)
  );
}

/** Focus on the canvas, or on nothing in particular (the page itself). */
function onCanvas(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !el || el === document.body || !!el.closest('.react-flow');
}

/** Global keyboard shortcuts; quiet while a dialog is open or (mostly) while typing. */
export function useShortcuts(run: (c: Command) => void, paused: boolean): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const b = BINDINGS.find(
        (x) => x.key === key && !!x.mod === mod && (x.key === '?' || !!x.shift === e.shiftKey),
      );
      if (!b || b.clipboard || (!b.always && (paused || isTyping(e.target)))) return;
      if (b.canvas && !onCanvas(e.target)) return;
      e.preventDefault();
      run(b.command);
    };
    const onClipboard = (e: ClipboardEvent) => {
      if (paused || isTyping(e.target)) return;
      e.preventDefault();
      run(e.type as 'copy' | 'cut' | 'paste');
    };
    window.addEventListener('keydown', onKey);
    for (const type of ['copy', 'cut', 'paste'] as const)
      document.addEventListener(type, onClipboard);
    return () => {
      window.removeEventListener('keydown', onKey);
      for (const type of ['copy', 'cut', 'paste'] as const) {
        document.removeEventListener(type, onClipboard);
      }
    };
  }, [run, paused]);
}
