import type { z } from 'zod';
import type { Diagnostic } from './diagnostics.ts';
import { messages } from './diagnostics.ts';
import { DOCUMENT_VERSION, GraphDocument } from './schema.ts';
import { migrate } from './migrations.ts';

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
    ...messages.schema(prefix + issuePath(issue.path), issue.message),
  }));
}

/** Parse a document from text or an already-decoded value. Never throws. */
export function parseDocument(input: unknown): ParseResult {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      return fail(messages.invalidJson((e as Error).message));
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(messages.schema('', 'expected a JSON object with "version", "name" and "main"'));
  }
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
