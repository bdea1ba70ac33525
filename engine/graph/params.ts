import type { z } from 'zod';
import { messages } from './diagnostics.ts';
import type { NodeKind } from './node-kind.ts';
import { issuePath } from './parse.ts';

type Report = (m: { code: string; message: string }, port?: string) => void;

/** Unwrap defaults and optionals to the schema that describes the value itself. */
export function innerSchema(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { _zod: { def: { type: string; innerType?: z.ZodType } } };
  while (
    (s._zod.def.type === 'default' || s._zod.def.type === 'optional') &&
    s._zod.def.innerType
  ) {
    s = s._zod.def.innerType as typeof s;
  }
  return s;
}

export function isNumeric(schema: z.ZodType | undefined): boolean {
  if (!schema) return false;
  const inner = innerSchema(schema) as z.ZodType & { _zod: { def: { type: string } } };
  return inner._zod.def.type === 'number';
}

/**
 * Validate raw node parameters with the kind's schema. A numeric parameter may name one of
 * the document's dims (`"D"`), which is substituted before validation.
 */
export function resolveParams(
  kind: NodeKind,
  raw: Record<string, unknown>,
  dims: Record<string, number>,
  report: Report,
  nodeId?: string,
): Record<string, unknown> | undefined {
  const shape = kind.params.shape as Record<string, z.ZodType>;
  const resolved: Record<string, unknown> = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    // Own keys only: "valueOf" or "toString" must not reach Object.prototype's functions.
    if (typeof value === 'string' && Object.hasOwn(shape, key) && isNumeric(shape[key])) {
      const size = Object.hasOwn(dims, value) ? dims[value] : undefined;
      if (size === undefined) {
        report(messages.unknownDim(key, value));
        ok = false;
        continue;
      }
      resolved[key] = size;
    } else {
      resolved[key] = value;
    }
  }
  if (!ok) return undefined;
  const parsed = kind.params.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
        for (const key of issue.keys)
          report(messages.unknownParam(nodeId ?? '?', kind.kind, key, Object.keys(shape)));
        continue;
      }
      const path = issuePath(issue.path);
      if (issue.path.length === 1 && /received undefined$/.test(issue.message)) {
        report(messages.missingParam(nodeId ?? '?', kind.kind, path));
        continue;
      }
      report(messages.badParam(path, issue.message, nodeId));
    }
    return undefined;
  }
  return parsed.data as Record<string, unknown>;
}
