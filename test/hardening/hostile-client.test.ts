import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as tcp, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startHost, type RunningHost } from '../../engine/host/server.ts';
import type { DataFile, ServerEvent, UploadReply } from '../../engine/contract/api.ts';
import { uploadText, PIECE_CHARS, type UploadClient } from '../../renderer/src/upload-text.ts';
import { UPLOAD_CHUNK_CHARS } from '../../engine/contract/api.ts';
import { template, testService } from '../support/service-harness.ts';

/**
 * What a hostile page, a raw client or a broken one can send the web host, from Node (raw TCP,
 * raw HTTP, hand-made WebSocket frames): after each request the host still serves its page and
 * answers the API, and a training run started before the first one still advances.
 */

const { root, workspace, service, ok } = testService('hostile');
const staticDir = join(root, 'dist');
mkdirSync(staticDir);
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
// Things named like assets that are not regular files.
mkdirSync(join(staticDir, 'folder.js'));
execFileSync('mkfifo', [join(staticDir, 'fifo.js')]);

let host: RunningHost;
const logs: string[] = [];
let step = 0;
let runId = '';

/** Send raw bytes; resolves with everything the host answered before closing (or `ms`). */
function raw(bytes: string | Buffer, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = tcp(host.port, '127.0.0.1', () => socket.write(bytes));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** A WebSocket opened by hand on a raw socket: what follows are frames we build ourselves. */
function handshake(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcp(host.port, '127.0.0.1', () => {
      socket.write(
        [
          `GET /api?token=${host.token} HTTP/1.1`,
          `Host: 127.0.0.1:${host.port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          `Origin: http://127.0.0.1:${host.port}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
    socket.once('data', (d) => {
      if (d.toString().startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`handshake refused: ${d.toString()}`));
    });
    socket.on('error', reject);
  });
}

interface Frame {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
  rsv1?: boolean;
  masked?: boolean;
  /** Claim this length in the header instead of the payload's. */
  claimedLength?: number;
}

function frame({
  opcode,
  payload = Buffer.alloc(0),
  fin = true,
  rsv1,
  masked = true,
  claimedLength,
}: Frame): Buffer {
  const length = claimedLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  const mask = masked ? 0x80 : 0;
  if (length < 126) head.push(mask | length);
  else if (length < 65536) head.push(mask | 126, length >> 8, length & 255);
  else {
    head.push(mask | 127, 0, 0, 0, 0);
    head.push((length >>> 24) & 255, (length >>> 16) & 255, (length >>> 8) & 255, length & 255);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] as number)));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Send frames on a fresh hand-made socket; resolves with what came back before it closed. */
async function frames(...list: Buffer[]): Promise<Buffer> {
  const socket = await handshake();
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(got));
    };
    const timer = setTimeout(done, 1500);
    socket.on('data', (d) => got.push(d));
    socket.on('close', done);
    socket.on('error', done);
    for (const f of list) socket.write(f);
  });
}

/** The close code in the first close frame the host sent (unmasked, short payload). */
function closeCode(reply: Buffer): number | null {
  for (let i = 0; i + 3 < reply.length; i++) {
    if (reply[i] === 0x88 && (reply[i + 1] as number) >= 2 && (reply[i + 1] as number) < 126) {
      return reply.readUInt16BE(i + 2);
    }
  }
  return null;
}

function client(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, {
      origin: `http://127.0.0.1:${host.port}`,
    });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

function call(ws: WebSocket, message: string | Buffer): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const parsed = JSON.parse(String(data)) as Record<string, unknown>;
      if ('event' in parsed) return;
      ws.off('message', onMessage);
      resolve(parsed);
    };
    ws.on('message', onMessage);
    ws.send(message);
  });
}

/** The host still serves its page and answers a call on a new connection. */
async function assertAlive(what: string): Promise<void> {
  // A raw request on a new socket: a pooled keep-alive connection could be one the host just
  // timed out, which says nothing about the host.
  const page = await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  assert.match(page, /^HTTP\/1\.1 200/, `${what}: the page is still served`);
  const ws = await client();
  const info = await call(ws, JSON.stringify({ id: 1, method: 'app.info', params: {} }));
  ws.close();
  assert.equal(info.ok, true, `${what}: the API still answers`);
}

const GET = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;
const UPGRADE = (target: string) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

const HTTP_CASES: [string, string | Buffer, RegExp][] = [
  ['a path that does not percent-decode (/%)', GET('/%'), /^HTTP\/1\.1 400/],
  ['a lone % in an asset name', GET('/app%.js'), /^HTTP\/1\.1 400/],
  ['an absolute target that is not a URL', GET('http://['), /^HTTP\/1\.1 400/],
  ['an upgrade to a target that is not a URL', UPGRADE('http://[/api'), /^HTTP\/1\.1 400/],
  ['an upgrade to /% ', UPGRADE('/%'), /^HTTP\/1\.1 400/],
  ['a NUL byte in the path', GET('/app%00.js'), /^HTTP\/1\.1 400/],
  ['a directory named like an asset', GET('/folder.js'), /^HTTP\/1\.1 404/],
  ['a FIFO named like an asset', GET('/fifo.js'), /^HTTP\/1\.1 404/],
  ['an escape out of the static folder', GET('/..%2f..%2f..%2fetc%2fpasswd.js'), /^HTTP\/1\.1 403/],
  ['a request line of garbage', '\x00\x01\x02 garbage\r\n\r\n', /^HTTP\/1\.1 400/],
  ['a header too large', GET('/', `X-Big: ${'a'.repeat(200_000)}\r\n`), /^HTTP\/1\.1 431/],
  [
    'an upgrade without a key',
    `GET /api?token=x HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    /^HTTP\/1\.1 401/,
  ],
  ['an upgrade with a wrong token', UPGRADE('/api?token=nope'), /^HTTP\/1\.1 401/],
  ['half a request, then the socket closes', 'GET / HTTP/1.1\r\nHost: 127', /^$/],
];

describe('hostile clients cannot bring the web host down', () => {
  before(async () => {
    host = await startHost({ service, staticDir, port: 0, log: (l) => logs.push(l) });
    const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
    const advanced = new Promise<void>((resolve) => {
      service.onEvent((e: ServerEvent) => {
        if (e.type === 'train.event' && e.event.type === 'step') {
          step = e.event.metrics.step;
          if (step >= 2) resolve();
        }
      });
    });
    ({ runId } = await ok<{ runId: string }>('train.start', {
      document: doc,
      data: 'copy:length=4',
      config: { backend: 'cpu', batch: 4, steps: 1_000_000, evalEvery: 0, checkpointEvery: 0 },
    }));
    await advanced;
  });
  after(async () => {
    await ok('train.stop', { runId }).catch(() => undefined);
    await host.close();
  });

  for (const [name, request, status] of HTTP_CASES) {
    it(`HTTP: ${name}`, async () => {
      const reply = await raw(request);
      assert.match(reply, status, `${name}: ${reply.slice(0, 80)}`);
      await assertAlive(name);
    });
  }

  const text = (s: string) => Buffer.from(s, 'utf8');
  const FRAME_CASES: [string, Buffer[], number][] = [
    [
      'text that is not UTF-8',
      [frame({ opcode: 1, payload: Buffer.from([0xc3, 0x28, 0xff]) })],
      1007,
    ],
    ['an unmasked client frame', [frame({ opcode: 1, payload: text('{}'), masked: false })], 1002],
    ['an unknown opcode', [frame({ opcode: 3, payload: text('x') })], 1002],
    ['RSV1 without an extension', [frame({ opcode: 1, payload: text('{}'), rsv1: true })], 1002],
    ['a reserved close code', [frame({ opcode: 8, payload: Buffer.from([0x03, 0xed]) })], 1002],
    ['a fragmented ping', [frame({ opcode: 9, payload: text('p'), fin: false })], 1002],
    ['a continuation with nothing to continue', [frame({ opcode: 0, payload: text('x') })], 1002],
    ['a frame over 16 MiB', [frame({ opcode: 1, claimedLength: 17 * 1024 * 1024 })], 1009],
  ];
  for (const [name, list, code] of FRAME_CASES) {
    it(`WebSocket: ${name} closes that socket only (${code})`, async () => {
      const reply = await frames(...list);
      assert.equal(closeCode(reply), code, name);
      await assertAlive(name);
    });
  }

  it('WebSocket: a binary frame and text that is not JSON get a sentence, the socket stays', async () => {
    const ws = await client();
    const binary = await call(ws, randomBytes(64));
    assert.equal(binary.ok, false);
    const junk = await call(ws, '{"id": 3, "method": ');
    assert.match(JSON.stringify(junk), /The request is malformed/);
    const deep = await call(ws, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.equal(deep.ok, false);
    ws.close();
    await assertAlive('junk messages');
  });

  it('WebSocket: a document nested 5,000 deep is refused with a sentence, not a crash', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const doc = `{"version":1,"name":"x","main":{"nodes":[],"edges":[]},"meta":${deep}}`;
    writeFileSync(join(workspace, 'deep.json'), doc);
    const ws = await client();
    const validate = await call(
      ws,
      `{"id":5,"method":"document.validate","params":{"doc":${doc}}}`,
    );
    assert.match(JSON.stringify(validate), /nested more than 64 levels deep/);
    const open = await call(ws, '{"id":6,"method":"document.open","params":{"path":"deep.json"}}');
    assert.equal(open.ok, false);
    assert.match(JSON.stringify(open), /nested more than 64 levels deep/);
    ws.close();
    await assertAlive('a deep document');
  });

  it('a dropped 18 MB file of CJK text arrives in pieces and is copied whole', async () => {
    assert.ok(PIECE_CHARS <= UPLOAD_CHUNK_CHARS, "the renderer's pieces fit the host's limit");
    // 6M characters of three bytes each: more than one 16 MiB frame could carry.
    const block = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(0x4e00 + i)).join('');
    const cjk = block.repeat(3146);
    const withPair = `${cjk}😀 end\n`;
    const ws = await client();
    let nextId = 100;
    const wsClient: UploadClient = {
      call: async (method, params) => {
        const r = await call(ws, JSON.stringify({ id: nextId++, method, params }));
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.result as UploadReply;
      },
    };
    const fractions: number[] = [];
    const file: DataFile = await uploadText(wsClient, 'corpus 中文.txt', withPair, (f) =>
      fractions.push(f),
    );
    ws.close();
    assert.equal(file.path, 'data/corpus 中文.txt');
    assert.equal(file.characters, [...withPair].length);
    assert.equal(file.bytes, Buffer.byteLength(withPair));
    assert.ok(file.bytes > 16 * 1024 * 1024);
    assert.equal(file.lines, 2);
    assert.equal(file.charVocab, 2000 + new Set('😀 end\n').size + 1);
    assert.ok(fractions.length >= 6 && fractions.at(-1) === 1, `${fractions.length} pieces`);
    const { readFileSync } = await import('node:fs');
    assert.equal(readFileSync(join(workspace, file.path), 'utf8'), withPair);
    await assertAlive('a large upload');
  });

  it('uploads refuse pieces out of order and binary content, leaving no part file', async () => {
    const first = await ok<UploadReply>('data.upload', {
      name: 'a.txt',
      index: 0,
      text: 'ab',
      last: false,
    });
    const { call: rawCall } = {
      call: (p: unknown) => service.dispatch({ id: 9, method: 'data.upload', params: p }),
    };
    const skipped = await rawCall({
      name: 'a.txt',
      uploadId: first.uploadId,
      index: 2,
      text: 'c',
      last: true,
    });
    assert.match(
      JSON.stringify(skipped),
      /Piece 2 of \\"a.txt\\" arrived where piece 1 was expected/,
    );
    const gone = await rawCall({
      name: 'a.txt',
      uploadId: first.uploadId,
      index: 1,
      text: 'c',
      last: true,
    });
    assert.match(JSON.stringify(gone), /was interrupted/);
    const second = await ok<UploadReply>('data.upload', {
      name: 'b.bin',
      index: 0,
      text: 'PNG',
      last: false,
    });
    const binary = await rawCall({
      name: 'b.bin',
      uploadId: second.uploadId,
      index: 1,
      text: '\0\0',
      last: true,
    });
    assert.match(JSON.stringify(binary), /is not a text file/);
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(join(workspace, 'data', '.uploads')), []);
  });

  it('the training run started before all of this kept training', async () => {
    const before = step;
    const deadline = Date.now() + 60_000;
    while (step <= before + 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(step > before + 2, `the run went on: step ${before} → ${step}`);
    const status = await ok<{ run: { status: string } }>('train.status', { runId });
    assert.equal(status.run.status, 'running');
  });

  it('refusals are logged, but a flood of them is not', async () => {
    const start = logs.length;
    await Promise.all(Array.from({ length: 60 }, () => raw(UPGRADE('/api?token=nope'), 500)));
    const refused = logs.slice(start).filter((l) => l.startsWith('Refused'));
    // At most one burst (10) per window, and the flood spans at most two windows.
    assert.ok(refused.length <= 20, `${refused.length} lines for 60 refusals`);
  });
});
