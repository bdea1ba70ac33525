import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.ts';
import { messages } from './diagnostics.ts';
import { DOCUMENT_VERSION, GraphDocument } from './schema.ts';
import { migrate } from './migrations.ts';
import { parseJsonText } from './json-text.ts';

export type ParseResult =
  | { ok: true; doc: GraphDocument; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

function fail(m: { code: string; message: string }): ParseResult {
  return { ok: false, diagnostics: [{ severity: 'error', ...m }] };
}

export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

export function zodDiagnostics(error: z.ZodError, prefix = ''): Diagnostic[] {
  return error.issues.slice(0, 20).map((issue) => ({
    severity: 'error' as const,
    ...messages.schema(
      prefix + issuePath(issue.path),
      /received undefined$/.test(issue.message)
        ? 'this required field is missing; add it'
        : issue.message,
    ),
  }));
}

// Only `__proto__` changes behaviour as an own key; names like "constructor" are fine as keys
// because every lookup by name checks own properties (Object.hasOwn).
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** Deeper than this, a document is refused: nothing in one needs it, and writing it back
 * (JSON.stringify recurses) would overflow the stack. */
export const MAX_DOCUMENT_DEPTH = 64;

/** More components than any model needs; checking more would hold the host for seconds. */
export const MAX_COMPONENTS = 4096;

type StructureProblem = { path: string; key: string } | { path: string; tooDeep: true };

/**
 * The first structural problem anywhere in a decoded value: a forbidden own key (`__proto__`;
 * JSON.parse keeps it as an own key, and letting it through would either be dropped silently
 * by the schema or, assigned naively, replace an object's prototype), or nesting deeper than
 * MAX_DOCUMENT_DEPTH. Walks with its own stack, so no depth can overflow it.
 */
function structureProblem(root: unknown): StructureProblem | undefined {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: PropertyKey[] };
    if (typeof value !== 'object' || value === null) continue;
    if (path.length > MAX_DOCUMENT_DEPTH)
      return { path: issuePath(path.slice(0, 8)), tooDeep: true };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    for (const key of keys) if (FORBIDDEN_KEYS.has(key)) return { path: issuePath(path), key };
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

/** Parse a document from text or an already-decoded value. Never throws. */
export function parseDocument(input: unknown): ParseResult {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = parseJsonText(input);
    } catch (e) {
      return fail(messages.invalidJson((e as Error).message));
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(messages.schema('', 'expected a JSON object with "version", "name" and "main"'));
  }
  const components = (raw as { components?: unknown }).components;
  if (typeof components === 'object' && components !== null) {
    const count = Object.keys(components).length;
    if (count > MAX_COMPONENTS) return fail(messages.tooManyComponents(count, MAX_COMPONENTS));
  }
  const problem = structureProblem(raw);
  if (problem && 'tooDeep' in problem)
    return fail(messages.nestedTooDeep(problem.path, MAX_DOCUMENT_DEPTH));
  if (problem) return fail(messages.forbiddenKey(problem.path, problem.key));
  const version = (raw as { version?: unknown }).version;
  if (version !== DOCUMENT_VERSION) {
    const migrated = migrate(raw as Record<string, unknown>);
    if (!migrated) return fail(messages.unsupportedVersion(version));
    raw = migrated;
  }
  const parsed = GraphDocument.safeParse(raw);
  if (!parsed.success) return { ok: false, diagnostics: zodDiagnostics(parsed.error) };
  return { ok: true, doc: parsed.data, diagnostics: [] };
}
