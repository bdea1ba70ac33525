import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import type { Reply } from '../../engine/contract/api.ts';
import { createService } from '../../engine/service/service.ts';

/** The repository's templates, found from here so tests do not depend on the working folder. */
const TEMPLATES = resolve(import.meta.dirname, '../../templates');

export interface ServiceFolders {
  /** A folder the caller made and removes; by default a fresh temporary one, removed after. */
  root?: string;
  /** Folder names under the root (tests of odd paths use spaces and unicode here). */
  workspace?: string;
  stateDir?: string;
}

/**
 * A web-host service over a temporary workspace, closed after the tests (of the file, or of the
 * suite it is made in), and the three ways tests call it: the raw reply, a result that must
 * succeed, an error that must come.
 */
export function testService(prefix: string, folders: ServiceFolders = {}) {
  const root = folders.root ?? mkdtempSync(join(tmpdir(), `trm-${prefix}-`));
  const workspace = join(root, folders.workspace ?? 'work');
  const stateDir = join(root, folders.stateDir ?? 'state');
  const service = createService({ host: 'web', workspace, stateDir, templatesDir: TEMPLATES });
  after(async () => {
    await service.close();
    if (!folders.root) rmSync(root, { recursive: true, force: true });
  });
  let nextId = 1;
  const call = (method: string, params: unknown): Promise<Reply> =>
    service.dispatch({ id: nextId++, method, params });
  async function ok<T>(method: string, params: unknown): Promise<T> {
    const r = await call(method, params);
    assert.ok(r.ok, `${method}: ${JSON.stringify(r)}`);
    return r.result as T;
  }
  return { root, workspace, stateDir, service, call, ok };
}

export function errorOf(r: Reply): { code: string; message: string } {
  assert.equal(r.ok, false, JSON.stringify(r));
  return (r as { error: { code: string; message: string } }).error;
}

/**
 * A template document, parsed (the test fails if it does not parse), with `dims` overriding
 * its sizes (tests shrink models so a step takes milliseconds).
 */
export function template(id: string, dims: Record<string, number> = {}): GraphDocument {
  const r = parseDocument(readFileSync(join(TEMPLATES, `${id}.json`), 'utf8'));
  assert.ok(r.ok, `templates/${id}.json does not parse`);
  return { ...r.doc, dims: { ...r.doc.dims, ...dims } };
}
