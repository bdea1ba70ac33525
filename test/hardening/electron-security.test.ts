import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

// Static checks of Electron's security checklist (docs/electron-security.md): what can be
// read from the shell's source without starting Electron.

const ROOT = resolve(import.meta.dirname, '../..');
const main = readFileSync(join(ROOT, 'electron/main.ts'), 'utf8');
const preload = readFileSync(join(ROOT, 'electron/preload.ts'), 'utf8');
const vite = readFileSync(join(ROOT, 'vite.config.ts'), 'utf8');
const electronSources = [main, preload];

describe('Electron security (static)', () => {
  it('webPreferences: contextIsolation, sandbox, no nodeIntegration, webSecurity on', () => {
    const prefs = /webPreferences:\s*\{([^}]*)\}/.exec(main)?.[1];
    assert.ok(prefs, 'no webPreferences block in electron/main.ts');
    assert.match(prefs, /contextIsolation:\s*true/);
    assert.match(prefs, /sandbox:\s*true/);
    assert.match(prefs, /nodeIntegration:\s*false/);
    assert.doesNotMatch(prefs, /webSecurity:\s*false/);
    assert.doesNotMatch(prefs, /nodeIntegrationIn(SubFrames|Worker):\s*true/);
    assert.match(main, /app\.enableSandbox\(\)/);
    for (const src of electronSources) {
      assert.doesNotMatch(src, /allowRunningInsecureContent:\s*true/);
      assert.doesNotMatch(src, /experimentalFeatures:\s*true/);
      assert.doesNotMatch(src, /enableBlinkFeatures/);
      assert.doesNotMatch(src, /webSecurity:\s*false/);
    }
  });

  it('navigation, redirects, webviews and new windows are refused', () => {
    assert.match(main, /on\('will-navigate',\s*\(e\)\s*=>\s*e\.preventDefault\(\)\)/);
    assert.match(main, /on\('will-redirect',\s*\(e\)\s*=>\s*e\.preventDefault\(\)\)/);
    assert.match(main, /on\('will-attach-webview',\s*\(e\)\s*=>\s*e\.preventDefault\(\)\)/);
    assert.match(main, /setWindowOpenHandler\(\(\)\s*=>\s*\(\{\s*action:\s*'deny'\s*\}\)\)/);
  });

  it('permissions denied; no remote module, no shell.openExternal', () => {
    assert.match(main, /setPermissionRequestHandler\([^)]*\)\s*=>\s*done\(false\)\)/);
    assert.match(main, /setPermissionCheckHandler\(\(\)\s*=>\s*false\)/);
    assert.match(main, /setDevicePermissionHandler\(\(\)\s*=>\s*false\)/);
    for (const src of electronSources) {
      assert.doesNotMatch(src, /@electron\/remote|\bremote\b\s*[,}]|enableRemoteModule/);
      assert.doesNotMatch(src, /openExternal/);
    }
  });

  it('shell only reveals a file the workspace path policy let through', () => {
    for (const src of electronSources)
      assert.deepEqual(
        src.match(/\bshell\.\w+/g) ?? [],
        src === main ? ['shell.showItemInFolder'] : [],
      );
    const reveal = /'files\.reveal':[\s\S]*?\n {2}\},/.exec(main)?.[0] ?? '';
    const check = reveal.indexOf('service.policy.workspaceFile(path)');
    assert.ok(check > 0, 'files.reveal does not pass the path through the workspace policy');
    assert.ok(check < reveal.indexOf('shell.showItemInFolder(file)'), 'shown before the check');
  });

  it('IPC: the sender frame is validated before dispatch; the preload exposes no Electron API', () => {
    const handler = /ipcMain\.handle\(IPC_CALL,[\s\S]*?\n\}\);/.exec(main)?.[0];
    assert.ok(handler, 'no ipcMain.handle(IPC_CALL, …)');
    const check = handler.indexOf('trusted(event.senderFrame)');
    assert.ok(check > 0, 'the IPC handler does not check the sender frame');
    assert.ok(check < handler.indexOf('service.dispatch'), 'the sender is checked after dispatch');
    assert.match(main, /frame === win\.webContents\.mainFrame/);
    assert.doesNotMatch(main, /ipcMain\.on\(/, 'every IPC goes through the one checked handler');
    assert.match(preload, /contextBridge\.exposeInMainWorld\('trm', bridge\)/);
    assert.equal((preload.match(/exposeInMainWorld/g) ?? []).length, 1);
    const exposed = /const bridge[^=]*=\s*\{([\s\S]*?)\n\};/.exec(preload)?.[1] ?? '';
    assert.doesNotMatch(exposed, /^\s*ipcRenderer\s*[,:]/m, 'raw ipcRenderer exposed');
  });

  it('the built page carries a strict Content-Security-Policy', () => {
    assert.match(vite, /'http-equiv': 'Content-Security-Policy'/);
    assert.match(vite, /apply: 'build'/);
    const csp = /const CSP = \[([\s\S]*?)\]\.join/.exec(vite)?.[1] ?? '';
    assert.match(csp, /"default-src 'self'"/);
    assert.match(csp, /"script-src 'self'"/);
    assert.match(csp, /"object-src 'none'"/);
    assert.doesNotMatch(csp, /script-src[^"]*'unsafe-(inline|eval)'/);
    assert.doesNotMatch(csp, /\*/);
  });
});
