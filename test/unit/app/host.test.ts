import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { rateLimitedLog } from '../../../engine/host/log-limit.ts';
import { allowedOrigins, interfaceAddresses } from '../../../engine/host/request-guard.ts';
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

  it('moves the token from the address into an HttpOnly cookie that opens the API', async () => {
    const first = await fetch(`http://127.0.0.1:${host.port}/?token=${host.token}&doc=a`, {
      redirect: 'manual',
    });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/?doc=a', 'the token leaves the address');
    const cookie = first.headers.get('set-cookie') ?? '';
    assert.match(
      cookie,
      new RegExp(`^trm-token-${host.port}=${host.token}; HttpOnly; SameSite=Strict`),
    );
    // A wrong token in the address is not turned into a cookie.
    const wrong = await fetch(`http://127.0.0.1:${host.port}/?token=nope`, { redirect: 'manual' });
    assert.equal(wrong.status, 200);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const withCookie = await new Promise<WebSocket | number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, {
        headers: { cookie: cookie.split(';')[0] as string },
        origin: `http://127.0.0.1:${host.port}`,
      });
      ws.on('open', () => resolve(ws));
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
    });
    assert.ok(withCookie instanceof WebSocket, `refused with ${String(withCookie)}`);
    withCookie.close();
  });

  it('tells a page whether it holds the session token (/api/session)', async () => {
    const base = `http://127.0.0.1:${host.port}/api/session`;
    assert.equal((await fetch(base)).status, 401);
    assert.equal((await fetch(`${base}?token=nope`)).status, 401);
    const cookie = { cookie: `trm-token-${host.port}=${host.token}` };
    assert.equal((await fetch(base, { headers: cookie })).status, 204);
  });

  it('accepts pages from every address a wildcard or loopback bind is reached by', () => {
    const wildcard = allowedOrigins('0.0.0.0', 80);
    assert.ok(wildcard.has('http://127.0.0.1:80'));
    assert.ok(wildcard.has('http://localhost:80'));
    for (const address of interfaceAddresses())
      assert.ok(wildcard.has(`http://${address}:80`), address);
    assert.ok(!wildcard.has('http://0.0.0.0:80'));
    assert.ok(allowedOrigins('127.0.0.2', 80).has('http://127.0.0.2:80'));
    assert.deepEqual([...allowedOrigins('10.1.2.3', 80)], ['http://10.1.2.3:80']);
    assert.ok(allowedOrigins('::1', 80).has('http://[::1]:80'));
  });

  it('warns loudly on a wildcard bind, prints an address a browser can open, and a page from it connects', async () => {
    const lines: string[] = [];
    const open = await startHost({
      service,
      staticDir,
      host: '0.0.0.0',
      port: 0,
      log: (l) => lines.push(l),
    });
    try {
      assert.match(lines.join('\n'), /WARNING: listening on 0\.0\.0\.0/);
      assert.match(open.url, new RegExp(`^http://127\\.0\\.0\\.1:${open.port}/\\?token=`));
      const ws = await connect(
        `ws://127.0.0.1:${open.port}/api?token=${open.token}`,
        `http://127.0.0.1:${open.port}`,
      );
      assert.ok(ws instanceof WebSocket, `refused with ${String(ws)}`);
      ws.close();
    } finally {
      await open.close();
    }
  });

  it('a page from 127.0.0.2 connects to a host bound there', async () => {
    const open = await startHost({
      service,
      staticDir,
      host: '127.0.0.2',
      port: 0,
      log: () => undefined,
    });
    try {
      const ws = await connect(
        `ws://127.0.0.2:${open.port}/api?token=${open.token}`,
        `http://127.0.0.2:${open.port}`,
      );
      assert.ok(ws instanceof WebSocket, `refused with ${String(ws)}`);
      ws.close();
    } finally {
      await open.close();
    }
  });
});

describe('rate-limited log', () => {
  it('shows a burst per window, then how many lines it left out', () => {
    const lines: string[] = [];
    let t = 0;
    const log = rateLimitedLog((l) => lines.push(l), { burst: 2, windowMs: 1000, now: () => t });
    for (let i = 0; i < 5; i++) log(`line ${i}`);
    assert.deepEqual(lines, ['line 0', 'line 1']);
    t = 1500;
    log('later');
    assert.deepEqual(lines.slice(2), ['(3 similar lines left out in the last 1 s)', 'later']);
  });
});
