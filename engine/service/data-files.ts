import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { CharTokenizer } from '../data/char-tokenizer.ts';
import type { DataFile } from '../contract/api.ts';
import { ServiceError } from './errors.ts';
import { writeAtomic } from './files.ts';

/**
 * Text files a person gives the Train panel (dropped on it, or picked in a dialog) are copied
 * into `<workspace>/data/`: a run then names a file the engine may read (the workspace policy)
 * and that stays as it was when the run started, even if the original moves or changes.
 */

/** What one WebSocket message (16 MiB) carries, less the envelope; larger drops go in chunks. */
export const MAX_IMPORT_CHARS = 12 * 1024 * 1024;

/** A file name that is safe on every OS and still recognisable. */
export function safeName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._-]+/gu, '_')
    .replace(/^[. ]+/, '')
    .trim()
    .slice(0, 120);
  const stem = base || 'data';
  return /\.(txt|md|csv|tsv|text)$/i.test(stem) ? stem : `${stem}.txt`;
}

/**
 * What the Train panel shows of a text file, gathered piece by piece (an upload arrives in
 * chunks) with the checks that refuse binary or mis-encoded files as soon as they show.
 */
export class TextStats {
  bytes = 0;
  characters = 0;
  lines = 0;
  private replaced = 0;
  private readonly chars = new Set<string>();

  constructor(private readonly name: string) {}

  /** `text` must not end inside a surrogate pair (callers hold a trailing high surrogate back). */
  add(text: string): void {
    for (const ch of text) {
      const c = ch.charCodeAt(0);
      if (c === 0) {
        throw new ServiceError(
          'bad-data',
          `"${this.name}" is not a text file (it contains NUL bytes, so it looks binary); choose a plain UTF-8 .txt file.`,
        );
      }
      if (c === 0xfffd) this.replaced++;
      this.characters++;
      this.chars.add(ch);
    }
    if (this.bytes === 0 && text.length > 0) this.lines = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lines++;
    this.bytes += Buffer.byteLength(text, 'utf8');
  }

  /** The last checks, once the whole text is in: not empty, mostly decodable. */
  finish(path: string): DataFile {
    if (this.characters === 0)
      throw new ServiceError(
        'bad-data',
        `"${this.name}" is empty; choose a text file with content.`,
      );
    if (this.replaced > 16 && this.replaced / this.characters > 0.001) {
      throw new ServiceError(
        'bad-data',
        `"${this.name}" is not UTF-8 text (${this.replaced} bytes could not be decoded); save it as UTF-8 and choose it again.`,
      );
    }
    return {
      path,
      bytes: this.bytes,
      characters: this.characters,
      charVocab: CharTokenizer.fromText([...this.chars].join('')).vocabSize,
      lines: this.lines,
    };
  }
}

export function describeText(path: string, text: string, name = path): DataFile {
  const stats = new TextStats(name);
  stats.add(text);
  return stats.finish(path);
}

/**
 * Where a file named `name` with content hash `sha256` goes in `<workspace>/data/`: the file
 * already there with the same content, or the first free name (`corpus-2.txt`, …).
 */
export async function placeInData(
  workspace: string,
  name: string,
  sha256: string,
): Promise<{ rel: string; full: string; exists: boolean }> {
  const file = safeName(name);
  const ext = extname(file);
  const stem = file.slice(0, file.length - ext.length);
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? file : `${stem}-${n}${ext}`;
    const full = join(workspace, 'data', candidate);
    const existing = await hashOfFile(full);
    if (existing === sha256) return { rel: `data/${candidate}`, full, exists: true };
    if (existing === null) return { rel: `data/${candidate}`, full, exists: false };
  }
  throw new ServiceError('bad-data', `The workspace already has 999 files named like "${file}".`);
}

/** The sha-256 of a regular file's bytes; null when there is no file (or not a regular one). */
async function hashOfFile(full: string): Promise<string | null> {
  const info = await lstat(full).catch(() => null);
  if (!info) return null;
  if (!info.isFile()) return 'not-a-file';
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copy `text` to `<workspace>/data/<name>`; the same content under the same name is reused. */
export async function importText(workspace: string, name: string, text: string): Promise<DataFile> {
  if (text.length > MAX_IMPORT_CHARS) {
    throw new ServiceError(
      'bad-data',
      `"${name}" has ${text.length.toLocaleString('en-US')} characters, more than the ${MAX_IMPORT_CHARS.toLocaleString('en-US')} one message can carry; drop it on the Train panel (it is sent in pieces) or copy it into the workspace folder and type its name.`,
    );
  }
  const stats = new TextStats(name);
  stats.add(text);
  const place = await placeInData(
    workspace,
    name,
    createHash('sha256').update(text, 'utf8').digest('hex'),
  );
  const described = stats.finish(place.rel);
  if (!place.exists) await writeAtomic(place.full, text);
  return described;
}

/** Import a file the user picked in a native dialog (any folder: the pick is the consent). */
export async function importPickedFile(workspace: string, path: string): Promise<DataFile> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile())
    throw new ServiceError('no-data-file', `"${path}" is not a file; choose a text file.`);
  if (info.size > MAX_IMPORT_CHARS * 4) {
    throw new ServiceError(
      'bad-data',
      `"${basename(path)}" is ${(info.size / 2 ** 20).toFixed(0)} MiB; files over ${MAX_IMPORT_CHARS / 2 ** 20} MiB of text must be copied into the workspace by hand.`,
    );
  }
  return importText(workspace, basename(path), await readFile(path, 'utf8'));
}
