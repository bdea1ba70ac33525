import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  session,
  shell,
  type MenuItemConstructorOptions,
  type WebFrameMain,
} from 'electron';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerEvent, type MenuCommand } from '../engine/contract/api.ts';
import { writeAtomic } from '../engine/service/files.ts';
import { importPickedFile } from '../engine/service/data-files.ts';
import { IPC_CALL, IPC_EVENT } from '../engine/contract/ipc.ts';
import { createService, type Handlers } from '../engine/service/service.ts';

/**
 * Electron's main process: owns the engine service, one locked-down window, native menus
 * and dialogs. A thin adapter: every request is validated by the service's dispatch.
 */

const ROOT = resolve(process.env.TRM_ROOT ?? join(import.meta.dirname, '../..'));
const INDEX = join(ROOT, 'renderer/dist/index.html');
// This file runs bundled (out/electron/main.mjs): tell training where its worker's source is.
process.env.TRM_TRAIN_WORKER ??= pathToFileURL(join(ROOT, 'engine/train/worker.ts')).href;
const INDEX_URL = pathToFileURL(INDEX).href;
const DOCUMENT_FILTER = [{ name: 'TRM graph', extensions: ['trm.json', 'json'] }];

const service = createService({
  host: 'electron',
  workspace: join(app.getPath('documents'), 'TRM Studio'),
  stateDir: app.getPath('userData'),
  templatesDir: join(ROOT, 'templates'),
  nativeDialogs: true,
  version: app.getVersion(),
});

let win: BrowserWindow | null = null;

/** File dialogs: what the person picks becomes readable/writable, nothing else does. */
const handlers: Handlers = {
  ...service.handlers,
  'document.open': async ({ path }) => {
    if (path !== undefined) return service.handlers['document.open']({ path });
    const picked = await dialog.showOpenDialog(win as BrowserWindow, {
      properties: ['openFile'],
      filters: DOCUMENT_FILTER,
      defaultPath: service.policy.workspace,
    });
    const file = picked.filePaths[0];
    if (picked.canceled || !file) return null;
    service.policy.allowFile(file);
    return service.handlers['document.open']({ path: file });
  },
  'document.saveAs': async ({ path, doc, overwrite }) => {
    if (path !== undefined) return service.handlers['document.saveAs']({ path, doc, overwrite });
    const picked = await dialog.showSaveDialog(win as BrowserWindow, {
      filters: DOCUMENT_FILTER,
      defaultPath: join(service.policy.workspace, `${doc.name.replace(/[^\w-]+/g, '-')}.trm.json`),
    });
    if (picked.canceled || !picked.filePath) return null;
    service.policy.allowFile(picked.filePath);
    // The native dialog has already asked before replacing an existing file.
    return service.handlers['document.saveAs']({ path: picked.filePath, doc, overwrite: true });
  },
  'data.pick': async () => {
    const picked = await dialog.showOpenDialog(win as BrowserWindow, {
      title: 'Training text',
      properties: ['openFile'],
      filters: [
        { name: 'Text', extensions: ['txt', 'md', 'csv', 'tsv', 'text'] },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    const file = picked.filePaths[0];
    if (picked.canceled || !file) return null;
    return importPickedFile(service.policy.workspace, file);
  },
  // Same path policy as the web host (workspace files only), then the system file manager.
  'files.reveal': async ({ path }) => {
    const file = await service.policy.workspaceFile(path);
    shell.showItemInFolder(file);
    return { folder: dirname(file), shown: true };
  },
};

/** Only our own page, in the top frame, may call the engine. */
function trusted(frame: WebFrameMain | null): boolean {
  return (
    !!frame && !!win && frame === win.webContents.mainFrame && frame.url.split('#')[0] === INDEX_URL
  );
}

ipcMain.handle(IPC_CALL, async (event, payload: unknown) => {
  if (!trusted(event.senderFrame)) {
    return {
      id: 0,
      ok: false,
      error: { code: 'untrusted', message: 'This frame may not call the engine.' },
    };
  }
  const reply = await service.dispatch(payload, handlers);
  const method = (payload as { method?: unknown } | null)?.method;
  if (reply.ok && typeof method === 'string' && /^document\.(open|save)/.test(method)) {
    void buildMenu(); // the recent list changed
  }
  return reply;
});

function send(event: ServerEvent): void {
  win?.webContents.send(IPC_EVENT, ServerEvent.parse(event));
}

// Training progress reaches the window; the run itself lives here and survives a reload.
service.onEvent(send);

const command = (c: MenuCommand) => () => send({ type: 'menu', command: c });

async function buildMenu(): Promise<void> {
  const { recent } = await service.handlers['document.list']({});
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New', accelerator: 'CmdOrCtrl+N', click: command('new') },
        { label: 'Templates…', click: command('templates') },
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: command('open') },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((path) => ({
                label: path,
                click: () => {
                  // Recent files were opened or saved with the person's consent before.
                  service.policy.allowFile(path);
                  send({ type: 'open-recent', path });
                },
              }))
            : [{ label: 'No recent documents', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: command('save') },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: command('saveAs') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: command('undo') },
        { label: 'Redo', accelerator: 'CmdOrCtrl+Y', click: command('redo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { label: 'Duplicate', accelerator: 'CmdOrCtrl+D', click: command('duplicate') },
        { label: 'Select All', accelerator: 'CmdOrCtrl+A', click: command('selectAll') },
      ],
    },
    {
      label: 'View',
      submenu: [
        {
          label: 'Fit View',
          accelerator: 'F',
          registerAccelerator: false,
          click: command('fitView'),
        },
        {
          label: 'Auto-layout',
          accelerator: 'L',
          registerAccelerator: false,
          click: command('autoLayout'),
        },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Model',
      submenu: [
        {
          label: 'Train Panel',
          accelerator: 'T',
          registerAccelerator: false,
          click: command('train'),
        },
        {
          label: 'Export ONNX…',
          accelerator: 'CmdOrCtrl+E',
          registerAccelerator: false,
          click: command('export'),
        },
        { type: 'separator' },
        { label: 'Runs', accelerator: 'R', registerAccelerator: false, click: command('runs') },
        {
          label: 'Playground',
          accelerator: 'P',
          registerAccelerator: false,
          click: command('playground'),
        },
        {
          label: 'Recursion Insight',
          accelerator: 'I',
          registerAccelerator: false,
          click: command('insight'),
        },
      ],
    },
    {
      label: 'Help',
      submenu: [
        {
          label: 'Glossary',
          accelerator: 'G',
          registerAccelerator: false,
          click: command('glossary'),
        },
        { label: 'Keyboard Shortcuts', click: command('help') },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

const stateFile = () => join(app.getPath('userData'), 'window-state.json');

function loadWindowState(): WindowState {
  try {
    const s = JSON.parse(readFileSync(stateFile(), 'utf8')) as Partial<WindowState>;
    if (typeof s.width === 'number' && typeof s.height === 'number') {
      return { x: s.x, y: s.y, width: s.width, height: s.height, maximized: !!s.maximized };
    }
  } catch {
    // First run, or an unreadable file: use the defaults.
  }
  return { width: 1440, height: 900, maximized: false };
}

function rememberWindowState(w: BrowserWindow): void {
  const b = w.getNormalBounds();
  const state: WindowState = { ...b, maximized: w.isMaximized() };
  void writeAtomic(stateFile(), JSON.stringify(state)).catch(() => undefined);
}

function createWindow(): void {
  const state = loadWindowState();
  win = new BrowserWindow({
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#0d1017',
    title: 'TRM Studio',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win?.show());
  let timer: NodeJS.Timeout | undefined;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => win && rememberWindowState(win), 500);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('close', () => win && rememberWindowState(win));
  // The page refuses to unload with unsaved changes; ask, as a native app does.
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win as BrowserWindow, {
      type: 'question',
      buttons: ['Discard changes', 'Keep editing'],
      defaultId: 1,
      cancelId: 1,
      message: 'This model has unsaved changes.',
      detail: 'Close anyway? The changes stay in the recovery file until you start a new document.',
    });
    if (choice === 0) event.preventDefault();
  });
  win.on('closed', () => (win = null));
  void win.loadFile(INDEX);
}

app.enableSandbox();

app.on('web-contents-created', (_, contents) => {
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

void app.whenReady().then(async () => {
  // The app needs no web permission (camera, notifications, HID, serial, USB…): requests,
  // synchronous checks and device access are all refused.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, done) => done(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.setDevicePermissionHandler(() => false);
  await buildMenu();
  createWindow();
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
