import { z } from 'zod';

/**
 * Fields that name a file, marked on the schema rather than recognised by their key: a host
 * confines every such field of a value (a data spec from a request, one recorded in a
 * checkpoint) with one policy, whatever the field is called.
 */
export interface FileFieldMeta {
  /**
   * `read`: a file that must exist; `read-or-create`: read when it exists, else written there;
   * `read-folder`: a folder that must exist (its files are read).
   */
  access: 'read' | 'read-or-create' | 'read-folder';
  /** What the file is, for sentences: "data file", "tokenizer file", "ARC task folder". */
  what: string;
}

export const fileFields = z.registry<FileFieldMeta>();

/** A string field naming a file (or folder), registered in `fileFields`. */
export function filePath(meta: FileFieldMeta) {
  return z.string().min(1).max(4096).register(fileFields, meta);
}

export interface FoundFile extends FileFieldMeta {
  /** The object holding the field and its key, so a host can replace the value. */
  holder: Record<string, unknown>;
  key: string;
  value: string;
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
};

/**
 * Every file field in `value` as `schema` reads it (union members are matched the way parsing
 * matches them). A value the schema rejects yields what its matching parts hold; parsing it
 * later fails anyway, before any file is touched.
 */
export function fileFieldsIn(schema: z.ZodType, value: unknown): FoundFile[] {
  const found: FoundFile[] = [];
  const walk = (s: z.ZodType, v: unknown, holder?: Record<string, unknown>, key?: string) => {
    const meta = fileFields.get(s);
    if (meta && holder && key !== undefined && typeof v === 'string') {
      found.push({ ...meta, holder, key, value: v });
      return;
    }
    const def = (s as unknown as { _zod: { def: Def } })._zod.def;
    if (def.innerType) return walk(def.innerType, v, holder, key);
    if (def.in) return walk(def.in, v, holder, key);
    if (def.type === 'object' && def.shape && typeof v === 'object' && v !== null) {
      const obj = v as Record<string, unknown>;
      for (const [k, field] of Object.entries(def.shape)) {
        if (Object.hasOwn(obj, k)) walk(field, obj[k], obj, k);
      }
    } else if (def.type === 'array' && def.element && Array.isArray(v)) {
      v.forEach((item, i) => walk(def.element!, item, v as never, String(i)));
    } else if (def.type === 'union' && def.options) {
      const match = def.options.find((o) => o.safeParse(v).success);
      if (match) walk(match, v, holder, key);
    }
  };
  walk(schema, value);
  return found;
}
