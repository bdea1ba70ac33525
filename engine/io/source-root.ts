import { join, resolve } from 'node:path';

/**
 * The repository's root, for files the engine reads from its own tree at run time (the
 * PyTorch engine's Python files, the native addon, the deploy scripts, templates). Two folders
 * up from this module (engine/io) — and equally from the Electron main bundle
 * (out/electron/main.mjs), into which this module is bundled; a path taken relative to any
 * other module's own folder would point inside out/electron there. TRM_ROOT overrides it.
 */
export const SOURCE_ROOT = resolve(process.env.TRM_ROOT ?? join(import.meta.dirname, '../..'));

/** A path inside the repository, e.g. `inSource('engine/pytorch/python')`. */
export const inSource = (relative: string): string => join(SOURCE_ROOT, relative);
