import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startHost, type RunningHost } from '../../../engine/host/server.ts';
import { createService } from '../../../engine/service/service.ts';

const root = mkdtempSync(join(tmpdir(), 'trm-host-'));
const staticDir = join(root, 'dist');
mkdirSync(staticDir);
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
const service = createService({
  host: 'web',
  workspace: join(root, 'w'),
  stateDir: join(root, 's'),
  templatesDir: 'templates',
});

/** Open a socket; resolves with it, or with the HTTP status the host refused it with. */
function connect(url: string, origin?: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

function request(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  });
}

describe('web host', () => {
  let host: RunningHost;
  const logs: string[] = [];
  before(async () => {
    host = await startHost({ service, staticDir, port: 0, log: (l) => logs.push(l) });
  });
  after(async () => {
    await host.close();
    rmSync(root, { recursive: true, force: true });
  });
  const api = (token: string) => `ws://127.0.0.1:${host.port}/api?token=${token}`;

  it('binds to loopback with a long random token in the printed URL', () => {
    assert.match(host.url, new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=[\\w-]{32}$`));
    assert.deepEqual(logs, []);
  });

  it('serves the renderer with a strict content security policy', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
    mkdirSync(join(root, 'dist2'));
    writeFileSync(join(root, 'dist2', 'secret.txt'), 'secret');
    for (const path of ['..%2f..%2fpackage.json', '..%2fdist2%2fsecret.txt']) {
      const escape = await fetch(`http://127.0.0.1:${host.port}/${path}`);
      assert.equal(escape.status, 403, path);
    }
  });

  it('refuses a missing or wrong token and a foreign origin', async () => {
    assert.equal(await connect(`ws://127.0.0.1:${host.port}/api`), 401);
    assert.equal(await connect(api('x'.repeat(host.token.length))), 401);
    assert.equal(await connect(api(host.token), 'http://evil.example'), 403);
    assert.equal(await connect(api(host.token), `http://localhost:${host.port + 1}`), 403);
    assert.equal(logs.filter((l) => l.startsWith('Refused')).length, 4);
  });

  it('answers validated calls from its own origin, and refuses malformed ones', async () => {
    const ws = await connect(api(host.token), `http://127.0.0.1:${host.port}`);
    assert.ok(ws instanceof WebSocket);
    const info = await request(ws, { id: 7, method: 'app.info', params: {} });
    assert.equal(info.id, 7);
    assert.equal(info.ok, true);
    assert.equal((info.result as { host: string }).host, 'web');
    const bad = await request(ws, '{not json');
    assert.equal(bad.ok, false);
    assert.equal((bad.error as { code: string }).code, 'bad-request');
    const wrong = await request(ws, { id: 8, method: 'templates.get', params: { id: 3 } });
    assert.equal((wrong.error as { code: string }).code, 'bad-params');
    ws.close();
  });

  it('pushes events to connected clients', async () => {
    const ws = await connect(api(host.token));
    assert.ok(ws instanceof WebSocket);
    const got = new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    host.broadcast({ type: 'menu', command: 'save' });
    assert.deepEqual(await got, { event: { type: 'menu', command: 'save' } });
    ws.close();
  });

  it('warns loudly when bound to an address other machines can reach', async () => {
    const lines: string[] = [];
    const open = await startHost({
      service,
      staticDir,
      host: '0.0.0.0',
      port: 0,
      log: (l) => lines.push(l),
    });
    await open.close();
    assert.match(lines.join('\n'), /WARNING: listening on 0\.0\.0\.0/);
  });
});
