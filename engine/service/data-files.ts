import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { CharTokenizer } from '../data/char-tokenizer.ts';
import type { DataFile } from './api.ts';
import { ServiceError } from './errors.ts';
import { writeAtomic } from './files.ts';

/**
 * Text files a person gives the Train panel (dropped on it, or picked in a dialog) are copied
 * into `<workspace>/data/`: a run then names a file the engine may read (the workspace policy)
 * and that stays as it was when the run started, even if the original moves or changes.
 */

/** What the WebSocket carries in one message (16 MiB) less the envelope. */
export const MAX_IMPORT_CHARS = 12 * 1024 * 1024;

/** A file name that is safe on every OS and still recognisable. */
function safeName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._-]+/gu, '_')
    .replace(/^[. ]+/, '')
    .trim()
    .slice(0, 120);
  const stem = base || 'data';
  return /\.(txt|md|csv|tsv|text)$/i.test(stem) ? stem : `${stem}.txt`;
}

function checkText(name: string, text: string): void {
  if (text.length === 0)
    throw new ServiceError('bad-data', `"${name}" is empty; choose a text file with content.`);
  if (text.length > MAX_IMPORT_CHARS) {
    throw new ServiceError(
      'bad-data',
      `"${name}" has ${text.length.toLocaleString('en-US')} characters, more than the ${MAX_IMPORT_CHARS.toLocaleString('en-US')} a drop can carry; copy it into the workspace folder and type its name instead.`,
    );
  }
  let replaced = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) {
      throw new ServiceError(
        'bad-data',
        `"${name}" is not a text file (it contains NUL bytes, so it looks binary); choose a plain UTF-8 .txt file.`,
      );
    }
    if (c === 0xfffd) replaced++;
  }
  if (replaced > 16 && replaced / text.length > 0.001) {
    throw new ServiceError(
      'bad-data',
      `"${name}" is not UTF-8 text (${replaced} bytes could not be decoded); save it as UTF-8 and choose it again.`,
    );
  }
}

export function describeText(path: string, text: string): DataFile {
  let lines = text.length > 0 ? 1 : 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return {
    path,
    bytes: Buffer.byteLength(text, 'utf8'),
    characters: [...text].length,
    charVocab: CharTokenizer.fromText(text).vocabSize,
    lines,
  };
}

/** Copy `text` to `<workspace>/data/<name>`; the same content under the same name is reused. */
export async function importText(workspace: string, name: string, text: string): Promise<DataFile> {
  checkText(name, text);
  const file = safeName(name);
  const ext = extname(file);
  const stem = file.slice(0, file.length - ext.length);
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? file : `${stem}-${n}${ext}`;
    const full = join(workspace, 'data', candidate);
    const existing = await readFile(full, 'utf8').catch(() => null);
    if (existing === text) return describeText(`data/${candidate}`, text);
    if (existing !== null) continue;
    await writeAtomic(full, text);
    return describeText(`data/${candidate}`, text);
  }
  throw new ServiceError('bad-data', `The workspace already has 999 files named like "${file}".`);
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
