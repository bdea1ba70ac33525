import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.ts';
import { messages } from './diagnostics.ts';
import { DOCUMENT_VERSION, GraphDocument } from './schema.ts';
import { migrate } from './migrations.ts';
import { parseJsonText } from '../io/json-text.ts';

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

/**
 * The first forbidden own key (`__proto__`, …) anywhere in a decoded value. JSON.parse keeps
 * `"__proto__"` as an own key; letting it through would either be dropped silently by the
 * schema or, assigned naively, replace an object's prototype.
 */
function forbiddenKey(
  value: unknown,
  path: PropertyKey[] = [],
  depth = 0,
): { path: string; key: string } | undefined {
  if (typeof value !== 'object' || value === null || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = forbiddenKey(value[i], [...path, i], depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return { path: issuePath(path), key };
    const found = forbiddenKey((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (found) return found;
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
  const forbidden = forbiddenKey(raw);
  if (forbidden) return fail(messages.forbiddenKey(forbidden.path, forbidden.key));
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
