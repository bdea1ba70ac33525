import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { Reply } from '../../../engine/service/api.ts';
import { createService } from '../../../engine/service/service.ts';

/**
 * A web-host service over a temporary workspace, removed after the file's tests, and the
 * three ways tests call it: the raw reply, a result that must succeed, an error that must come.
 */
export function testService(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), `trm-${prefix}-`));
  const workspace = join(root, 'work');
  const service = createService({
    host: 'web',
    workspace,
    stateDir: join(root, 'state'),
    templatesDir: 'templates',
  });
  after(async () => {
    await service.close();
    rmSync(root, { recursive: true, force: true });
  });
  let nextId = 1;
  const call = (method: string, params: unknown): Promise<Reply> =>
    service.dispatch({ id: nextId++, method, params });
  async function ok<T>(method: string, params: unknown): Promise<T> {
    const r = await call(method, params);
    assert.ok(r.ok, `${method}: ${JSON.stringify(r)}`);
    return r.result as T;
  }
  return { root, workspace, service, call, ok };
}

export function errorOf(r: Reply): { code: string; message: string } {
  assert.equal(r.ok, false, JSON.stringify(r));
  return (r as { error: { code: string; message: string } }).error;
}

/** A template document, parsed (the test fails if it does not parse). */
export function template(id: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${id}.json`, 'utf8'));
  assert.ok(r.ok, `templates/${id}.json does not parse`);
  return r.doc;
}
