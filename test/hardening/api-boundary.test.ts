import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startHost, type RunningHost } from '../../engine/host/server.ts';
import { methodNames, type MethodName, type Reply } from '../../engine/contract/api.ts';
import { createService, type Handlers, type Service } from '../../engine/service/service.ts';

// API boundary: every method of the typed API, called directly through the service's
// dispatch (what Electron's IPC handler calls) and through the web host's WebSocket, with
// invalid payloads. Each must be refused with a sentence, and none may reach a handler.

const ROOT = resolve(import.meta.dirname, '../..');
const SEED = 20261128;
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const doc = JSON.parse(readFileSync(join(ROOT, 'templates/tiny-gpt.json'), 'utf8')) as Record<
  string,
  unknown
>;

const valid: Record<MethodName, Record<string, unknown>> = {
  'app.info': {},
  'templates.list': {},
  'templates.get': { id: 'tiny-gpt' },
  'document.validate': { doc },
  'document.list': {},
  'document.open': { path: 'a.json' },
  'document.save': { path: 'a.json', doc },
  'document.saveAs': { path: 'a.json', doc },
  'document.autosave': { doc, path: null },
  'document.recover': {},
  'document.discardRecovery': {},
  'train.options': {},
  'train.engines': {},
  'train.start': { document: doc, data: 'copy', config: {} },
  'train.pause': { runId: 'run-1' },
  'train.resume': { runId: 'run-1' },
  'train.stop': { runId: 'run-1' },
  'train.status': { runId: 'run-1' },
  'runs.list': {},
  'runs.get': { runId: 'run-1' },
  'runs.delete': { runId: 'run-1' },
  'export.pytorch': { document: doc },
  'export.run': { runId: 'run-1', precision: 'int8', mode: 'full' },
  'data.import': { name: 'a.txt', text: 'hello' },
  'data.upload': { name: 'a.txt', index: 0, text: 'hello', last: true },
  'data.pick': {},
  'infer.sources': {},
  'infer.describe': { source: { runId: 'run-1' } },
  'infer.generate': { source: { runId: 'run-1' }, prompt: 'The', settings: { strategy: 'greedy' } },
  'infer.cancel': { generationId: 'gen-1' },
  'infer.puzzle': { source: { onnxPath: 'exports/trm.onnx' } },
  'infer.solve': { source: { runId: 'run-1' }, puzzle: Array.from({ length: 16 }, () => 1) },
  'insight.depth': {
    runId: 'run-1',
    checkpoint: 'step-000010',
    examples: 8,
    maxDepth: 4,
    jobId: 'j1',
  },
  'insight.example': { runId: 'run-1', index: 0, maxDepth: 4, topK: 3 },
  'insight.cancel': { jobId: 'j1' },
  'files.reveal': { path: 'exports/a.onnx' },
};
for (const m of methodNames) assert.ok(m in valid, `the fuzz does not know ${m} yet`);

/** Fields whose schema is `unknown` (the engine's own parser judges them), not fuzzed here. */
const OPEN_FIELDS = new Set([
  'document.validate.doc',
  'document.autosave.doc',
  // A shorthand string or any data spec / settings object; the trainer's own schemas judge them.
  'train.start.data',
  'train.start.config',
]);
/** String fields meant to carry whole files, and one character more than they may. */
const LARGE_STRINGS = new Set(['data.import.text', 'data.upload.text']);
const HUGE_TEXT = 'x'.repeat(12 * 1024 * 1024 + 1);
/** Fields a payload may leave out. */
const OPTIONAL = new Set([
  'document.open.path',
  'document.saveAs.path',
  'train.start.config',
  'train.status.runId',
  'data.upload.uploadId',
  'export.run.mode',
  'insight.depth.checkpoint',
  'insight.depth.examples',
  'insight.depth.maxDepth',
  'insight.depth.jobId',
  'insight.example.index',
  'insight.example.maxDepth',
  'insight.example.topK',
]);

const wrongValue = (right: unknown) =>
  fc
    .oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.string(),
      fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
    )
    .filter((v) => {
      if (typeof right === 'string') return typeof v !== 'string';
      // A number of the right kind may be valid; out-of-range numbers are fuzzed apart.
      if (typeof right === 'number') return typeof v !== 'number';
      if (typeof right === 'boolean') return typeof v !== 'boolean';
      if (right === null) return v !== null && typeof v !== 'string';
      // A document: anything but a document (an object with the wrong content too).
      return true;
    });

/** JSON text with an own "__proto__" (or other dangerous) key, as a hostile client sends it. */
function withKey(obj: Record<string, unknown>, key: string, value: unknown): unknown {
  const body = JSON.stringify(obj).slice(1, -1);
  return JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)}${body ? `,${body}` : ''}}`);
}

function invalidParams(method: MethodName): fc.Arbitrary<{ why: string; params: unknown }> {
  const base = valid[method];
  const fields = Object.keys(base).filter((k) => !OPEN_FIELDS.has(`${method}.${k}`));
  const arbs: fc.Arbitrary<{ why: string; params: unknown }>[] = [
    fc
      .oneof(fc.integer(), fc.string(), fc.boolean(), fc.array(fc.jsonValue(), { maxLength: 3 }))
      .map((params) => ({ why: 'params of the wrong type', params })),
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin', 'toString'),
          fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in base)),
        ),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([k, v]) => ({ why: `extra field ${k}`, params: withKey(base, k, v) })),
  ];
  for (const f of fields) {
    arbs.push(
      wrongValue(base[f]).map((v) => ({
        why: `${f} of the wrong type`,
        params: { ...base, [f]: v },
      })),
    );
    if (!OPTIONAL.has(`${method}.${f}`)) {
      const rest = { ...base };
      delete rest[f];
      arbs.push(fc.constant({ why: `${f} missing`, params: rest }));
    }
    if (typeof base[f] === 'number') {
      // Every numeric field is a non-negative whole number of at most 100 000.
      arbs.push(
        fc
          .oneof(
            fc.integer({ max: -1 }),
            fc.integer({ min: 100_001 }),
            fc.double({ min: 0.1, max: 0.9 }),
          )
          .map((v) => ({ why: `${f} out of range`, params: { ...base, [f]: v } })),
      );
    }
    if (LARGE_STRINGS.has(`${method}.${f}`)) {
      // A dropped text file may be megabytes, but not more than one message carries.
      arbs.push(fc.constant({ why: `${f} oversized`, params: { ...base, [f]: HUGE_TEXT } }));
    } else if (typeof base[f] === 'string' || base[f] === null) {
      arbs.push(
        fc.integer({ min: 4097, max: 70_000 }).map((n) => ({
          why: `${f} oversized`,
          params: { ...base, [f]: `${'x'.repeat(n)}.json` },
        })),
      );
    }
    if (f === 'doc') {
      // Wrong types deep inside the document, and oversized parts.
      const bad = (patch: (d: Record<string, unknown>) => void, why: string) => {
        const d = structuredClone(doc);
        patch(d);
        return fc.constant({ why, params: { ...base, doc: d } });
      };
      arbs.push(
        bad((d) => (d.name = 42), 'doc.name a number'),
        bad((d) => (d.name = 'n'.repeat(201)), 'doc.name oversized'),
        bad((d) => (d.description = 'd'.repeat(5001)), 'doc.description oversized'),
        bad((d) => ((d.main as { nodes: unknown }).nodes = 'none'), 'doc.main.nodes a string'),
        bad(
          (d) => ((d.main as { nodes: { id: unknown }[] }).nodes[0]!.id = { x: 1 }),
          'a node id an object',
        ),
        bad(
          (d) =>
            ((d.main as { nodes: unknown[] }).nodes = Array.from({ length: 20_001 }, (_, i) => ({
              id: `n${i}`,
              kind: 'add',
            }))),
          'doc with 20 001 nodes',
        ),
        bad((d) => delete d.main, 'doc.main missing'),
        fc.constant({
          why: 'doc with an own __proto__ key',
          params: { ...base, doc: withKey(doc, '__proto__', { polluted: 1 }) },
        }),
        fc.constant({
          why: 'node params with an own __proto__ key',
          params: {
            ...base,
            doc: {
              ...doc,
              main: withKey(doc.main as Record<string, unknown>, '__proto__', { polluted: 1 }),
            },
          },
        }),
      );
    }
  }
  if (method === 'templates.get')
    arbs.push(fc.constant({ why: 'id oversized', params: { id: 't'.repeat(201) } }));
  return fc.oneof(...arbs);
}

const badEnvelopes = fc.oneof(
  fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
  fc.record({
    id: fc.oneof(fc.integer({ max: -1 }), fc.string(), fc.double({ min: 0.1, max: 0.9 })),
    method: fc.constant('app.info'),
    params: fc.constant({}),
  }),
  fc.record({
    id: fc.nat(),
    method: fc.string().filter((m) => !methodNames.includes(m as MethodName)),
    params: fc.constant({}),
  }),
  fc.record({ id: fc.nat(), params: fc.constant({}) }),
  fc.constant(
    JSON.parse('{"id":1,"method":"app.info","params":{},"__proto__":{"x":1}}') as unknown,
  ),
  fc.constant({ id: 1, method: 'app.info', params: {}, extra: true }),
);

interface Payload {
  why: string;
  raw: unknown;
}

function payloads(): Payload[] {
  const out: Payload[] = [];
  let id = 1;
  for (const method of methodNames) {
    for (const p of fc.sample(invalidParams(method), { numRuns: RUNS, seed: SEED })) {
      out.push({ why: `${method}: ${p.why}`, raw: { id: id++, method, params: p.params } });
    }
  }
  for (const raw of fc.sample(badEnvelopes, { numRuns: 4 * RUNS, seed: SEED })) {
    out.push({ why: 'bad envelope', raw });
  }
  return out;
}

function spied(service: Service): { handlers: Handlers; calls: () => number } {
  let calls = 0;
  const handlers = Object.fromEntries(
    methodNames.map((m) => [
      m,
      (p: unknown) => {
        calls += 1;
        return (service.handlers[m] as (p: unknown) => Promise<unknown>)(p);
      },
    ]),
  ) as unknown as Handlers;
  return { handlers, calls: () => calls };
}

function assertRefused(reply: Reply, why: string): void {
  assert.equal(reply.ok, false, `accepted: ${why}`);
  if (reply.ok) return;
  assert.match(reply.error.code, /^bad-(request|params)$/, why);
  assert.ok(reply.error.message.length > 20 && /[.;]/.test(reply.error.message), why);
  assert.ok(!reply.error.message.includes('[object Object]'), reply.error.message);
}

let work: string;
let service: Service;
let spy: ReturnType<typeof spied>;
let host: RunningHost;
const logged: string[] = [];
const all = payloads();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-api-'));
  service = createService({
    host: 'web',
    workspace: join(work, 'workspace'),
    stateDir: join(work, 'state'),
    templatesDir: join(ROOT, 'templates'),
  });
  spy = spied(service);
  const spiedService: Service = {
    ...service,
    dispatch: (raw) => service.dispatch(raw, spy.handlers),
  };
  host = await startHost({ service: spiedService, staticDir: work, log: (l) => logged.push(l) });
});
after(() => host.close());

function connect(query: string, origin?: string): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api${query}`, {
      headers: origin ? { Origin: origin } : {},
    });
    ws.once('open', () => ok(ws));
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('API boundary', () => {
  it('dispatch (the IPC entry) refuses every invalid payload before any handler runs', async () => {
    for (const p of all) assertRefused(await service.dispatch(p.raw, spy.handlers), p.why);
    assert.equal(spy.calls(), 0);
    // The valid payloads do reach the handlers (the spy can count).
    const ok = await service.dispatch({ id: 1, method: 'app.info', params: {} }, spy.handlers);
    assert.ok(ok.ok);
    assert.equal(spy.calls(), 1);
    console.log(`API boundary: ${all.length} invalid payloads refused through dispatch`);
  });

  it('the WebSocket refuses the same payloads, and junk frames, without reaching the engine', async () => {
    const before = spy.calls();
    const ws = await connect(`?token=${host.token}`);
    const replies: Reply[] = [];
    let wake: (() => void) | undefined;
    ws.on('message', (d) => {
      replies.push(JSON.parse(d.toString()) as Reply);
      wake?.();
    });
    const frames = [
      ...all.map((p) => ({ why: p.why, text: JSON.stringify(p.raw) })),
      { why: 'not JSON', text: '{"id":1,' },
      { why: 'binary junk', text: Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('latin1') },
      { why: 'empty', text: '' },
    ];
    for (const f of frames) {
      const got = new Promise<void>((ok) => (wake = ok));
      ws.send(f.text);
      await got;
      assertRefused(replies.at(-1)!, f.why);
    }
    ws.close();
    assert.equal(spy.calls(), before);
    assert.equal(replies.length, frames.length);
    console.log(`API boundary: ${frames.length} invalid frames refused over the WebSocket`);
  });

  it('refuses connections without the token, with a wrong one, or from a foreign origin', async () => {
    await assert.rejects(connect(''), /HTTP 401/);
    await assert.rejects(connect('?token=wrong'), /HTTP 401/);
    await assert.rejects(connect(`?token=${host.token}x`), /HTTP 401/);
    await assert.rejects(connect(`?token=${host.token}`, 'http://evil.example'), /HTTP 403/);
    await assert.rejects(
      connect(`?token=${host.token}`, `http://127.0.0.1:${host.port + 1}`),
      /HTTP 403/,
    );
    const ok = await connect(`?token=${host.token}`, `http://127.0.0.1:${host.port}`);
    ok.close();
    assert.ok(logged.some((l) => /Bad Token/.test(l)));
    assert.ok(logged.some((l) => /Foreign Origin/.test(l)));
  });

  it('binds loopback by default and warns loudly when told to bind elsewhere', async () => {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:/);
    const lines: string[] = [];
    const open = await startHost({
      service,
      staticDir: work,
      host: '0.0.0.0',
      log: (l) => lines.push(l),
    });
    await open.close();
    assert.ok(
      lines.some((l) => /^WARNING: listening on 0\.0\.0\.0/.test(l)),
      lines.join('\n'),
    );
    assert.equal(logged.filter((l) => l.startsWith('WARNING')).length, 0);
  });

  it('refuses paths outside the workspace: ../, absolute, symlinks out, NUL bytes', async () => {
    const outside = join(work, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.json'), JSON.stringify(doc));
    const ws = join(work, 'workspace');
    mkdirSync(ws, { recursive: true });
    symlinkSync(outside, join(ws, 'linked-folder'));
    symlinkSync(join(outside, 'secret.json'), join(ws, 'linked-file.json'));
    const paths = [
      '../outside/secret.json',
      '../../etc/passwd.json',
      join(outside, 'secret.json'),
      '/etc/hostname.json',
      'linked-folder/secret.json',
      'linked-folder/new.json',
      'linked-file.json',
      'a\0.json',
      'sub/../../outside/x.json',
      'notes.txt',
      'C:\\Windows\\win.json',
    ];
    let refused = 0;
    for (const path of paths) {
      for (const [method, params] of [
        ['document.open', { path }],
        ['document.save', { path, doc }],
        ['document.saveAs', { path, doc }],
      ] as const) {
        const r = await service.dispatch({ id: 1, method, params });
        // A backslash name is a plain (odd) file name on POSIX, inside the workspace.
        if (path.startsWith('C:\\') && process.platform !== 'win32') continue;
        assert.equal(r.ok, false, `${method} ${JSON.stringify(path)} was allowed`);
        if (!r.ok) {
          assert.match(
            r.error.code,
            /^(outside-workspace|bad-path)$/,
            `${method} ${path}: ${r.error.message}`,
          );
          assert.ok(r.error.message.length > 30);
        }
        refused += 1;
      }
    }
    // Nothing was written outside; the secret is unchanged.
    assert.deepEqual(readdirSync(outside).sort(), ['secret.json']);
    assert.equal(readFileSync(join(outside, 'secret.json'), 'utf8'), JSON.stringify(doc));
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
    console.log(`API boundary: ${refused} path payloads refused`);
  });
});
