/**
 * Forms generated from JSON Schema: the engine's zod schemas (node parameters, trainer settings,
 * data options) reach the renderer through z.toJSONSchema, and every form reads its fields here,
 * so the renderer never defines a parameter a second time.
 */

/** One form field, read from one property of an object schema. */
export interface SchemaField {
  key: string;
  type: 'number' | 'integer' | 'boolean' | 'string' | 'enum' | 'json';
  required: boolean;
  /** The property's description (its JSDoc in the engine). */
  help: string;
  default?: unknown;
  /** An enum's choices, as the <option> values that stand for them. */
  options?: string[];
}

interface JsonSchemaProp {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
}

/** The fields of an object schema, in its property order; anything but a scalar is JSON. */
export function schemaFields(schema: Record<string, unknown> | undefined): SchemaField[] {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchemaProp>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([key, p]) => ({
    key,
    type: p.enum
      ? 'enum'
      : p.type === 'integer' || p.type === 'number' || p.type === 'boolean' || p.type === 'string'
        ? p.type
        : 'json',
    required: required.has(key),
    help: p.description ?? '',
    default: p.default,
    options: p.enum?.map(String),
  }));
}

/** A value as a text box shows it: JSON fields as JSON, text as itself, blank when unset. */
export function fieldText(field: SchemaField, value: unknown): string {
  if (value === undefined) return '';
  if (field.type !== 'json' && typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * What a form of text boxes holds → the object the engine validates. A blank box means "use
 * the default" and is left out; the engine's schema checks the rest.
 */
export function formValues(
  fields: SchemaField[],
  typed: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = typed[f.key];
    if (v === undefined || v.trim() === '') continue;
    if (f.type === 'number' || f.type === 'integer') out[f.key] = Number(v);
    else if (f.type === 'boolean') out[f.key] = v === 'true';
    else if (f.type === 'json') {
      try {
        out[f.key] = JSON.parse(v);
      } catch {
        throw new Error(
          `The setting "${f.key}" is not valid JSON; write it like ${JSON.stringify(f.default)}.`,
        );
      }
    } else out[f.key] = v;
  }
  return out;
}
