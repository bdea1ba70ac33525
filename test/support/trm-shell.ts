import { spawn } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Running `trm` commands the way a person pastes them into a shell: `sh -c "<command>"` with a
 * `trm` on the PATH (a link to bin/trm.js), so a printed resume hint is tested exactly as
 * printed. The shell runs in its own process group, so SIGKILL takes the whole tree down.
 */

const ROOT = resolve(import.meta.dirname, '../..');

/** A PATH whose first entry holds `trm`. */
export function trmPath(): string {
  const bin = mkdtempSync(join(tmpdir(), 'trm-bin-'));
  symlinkSync(join(ROOT, 'bin/trm.js'), join(bin, 'trm'));
  return [bin, dirname(process.execPath), process.env.PATH ?? ''].join(':');
}

export interface ShellRun {
  lines: string[];
  code: number | null;
  killed: boolean;
}

/**
 * Run `command` in `sh`; `onLine` sees each stdout line and may return a delay in ms after
 * which the whole process group is killed with SIGKILL.
 */
export function runShell(
  command: string,
  path: string,
  onLine: (line: string) => number | undefined = () => undefined,
): Promise<ShellRun> {
  return new Promise((done, fail) => {
    const child = spawn('sh', ['-c', command], {
      cwd: ROOT,
      env: { ...process.env, PATH: path },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const lines: string[] = [];
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const delay = killed || timer ? undefined : onLine(line);
      if (delay === undefined) return;
      timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
          killed = true;
        } catch {
          // It ended on its own first.
        }
      }, delay);
    });
    child.stderr.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString().trim()}`));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ lines, code, killed });
    });
  });
}
