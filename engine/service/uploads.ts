import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataFile, UploadChunk, UploadReply } from '../contract/api.ts';
import { placeInData, TextStats } from './data-files.ts';
import { ServiceError } from './errors.ts';

/**
 * A dropped text file larger than one WebSocket message arrives in numbered pieces
 * (`data.upload`). Each piece is checked and appended to a part file under
 * `<workspace>/data/.uploads/`; the last one moves it into `data/` under a free name (or
 * reuses a file with the same content). Uploads are few, bounded in size, and forgotten after
 * a while without a piece, so an abandoned drop does not hold memory or disk.
 */

/** The largest text a drop may be: what the trainer reads comfortably as one string. */
export const MAX_UPLOAD_CHARS = 64 * 1024 * 1024;
/** Uploads in progress at once, over every client. */
export const MAX_UPLOADS = 4;
const IDLE_MS = 10 * 60_000;

interface Upload {
  name: string;
  part: string;
  handle: FileHandle;
  next: number;
  chars: number;
  stats: TextStats;
  hash: Hash;
  /** A high surrogate that ended the last piece, waiting for its pair. */
  carry: string;
  touched: number;
}

export class Uploads {
  private readonly open = new Map<string, Upload>();
  private starting = 0;

  constructor(
    private readonly workspace: string,
    private readonly now: () => number = Date.now,
  ) {}

  private get folder(): string {
    return join(this.workspace, 'data', '.uploads');
  }

  async chunk(params: UploadChunk): Promise<UploadReply> {
    await this.expire();
    const upload = params.uploadId === undefined ? await this.begin(params) : this.find(params);
    if (params.index !== upload.next) {
      await this.abort(upload);
      throw new ServiceError(
        'bad-upload',
        `Piece ${params.index} of "${upload.name}" arrived where piece ${upload.next} was expected; drop the file again.`,
      );
    }
    upload.touched = this.now();
    upload.next++;
    let text = upload.carry + params.text;
    upload.carry = '';
    const last = text.charCodeAt(text.length - 1);
    if (!params.last && last >= 0xd800 && last <= 0xdbff) {
      upload.carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    upload.chars += text.length;
    try {
      if (upload.chars > MAX_UPLOAD_CHARS) {
        throw new ServiceError(
          'bad-data',
          `"${upload.name}" has more than ${MAX_UPLOAD_CHARS.toLocaleString('en-US')} characters, more than a drop can take; copy it into the workspace's data folder and type its name instead.`,
        );
      }
      upload.stats.add(text);
      upload.hash.update(text, 'utf8');
      await upload.handle.write(text, null, 'utf8');
    } catch (e) {
      await this.abort(upload);
      throw e;
    }
    const id = this.idOf(upload);
    if (!params.last) return { uploadId: id, received: upload.chars, file: null };
    return { uploadId: id, received: upload.chars, file: await this.finish(upload) };
  }

  private async begin(params: UploadChunk): Promise<Upload> {
    if (params.index !== 0) {
      throw new ServiceError(
        'bad-upload',
        `Piece ${params.index} of "${params.name}" names no upload; drop the file again.`,
      );
    }
    if (this.open.size + this.starting >= MAX_UPLOADS) {
      throw new ServiceError(
        'busy',
        `${this.open.size} files are being copied already; wait for them to finish, then drop "${params.name}" again.`,
      );
    }
    // Counted before the first await, so concurrent drops cannot pass the limit together.
    this.starting++;
    try {
      await mkdir(this.folder, { recursive: true });
      const id = randomBytes(12).toString('hex');
      const part = join(this.folder, `${id}.part`);
      const handle = await open(part, 'wx');
      const upload: Upload = {
        name: params.name,
        part,
        handle,
        next: 0,
        chars: 0,
        stats: new TextStats(params.name),
        hash: createHash('sha256'),
        carry: '',
        touched: this.now(),
      };
      this.open.set(id, upload);
      return upload;
    } catch (e) {
      throw new ServiceError(
        'write-failed',
        `"${params.name}" could not be copied into ${this.folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check that the workspace is writable.`,
      );
    } finally {
      this.starting--;
    }
  }

  private find(params: UploadChunk): Upload {
    const upload = this.open.get(params.uploadId ?? '');
    if (!upload) {
      throw new ServiceError(
        'bad-upload',
        `The copy of "${params.name}" was interrupted (nothing arrived for ${IDLE_MS / 60_000} minutes, or the app restarted); drop the file again.`,
      );
    }
    return upload;
  }

  private idOf(upload: Upload): string {
    for (const [id, u] of this.open) if (u === upload) return id;
    return '';
  }

  private async finish(upload: Upload): Promise<DataFile> {
    try {
      const place = await placeInData(this.workspace, upload.name, upload.hash.digest('hex'));
      const described = upload.stats.finish(place.rel);
      await upload.handle.sync();
      await upload.handle.close();
      if (place.exists) await rm(upload.part, { force: true });
      else await rename(upload.part, place.full);
      this.open.delete(this.idOf(upload));
      return described;
    } catch (e) {
      await this.abort(upload);
      throw e;
    }
  }

  private async abort(upload: Upload): Promise<void> {
    this.open.delete(this.idOf(upload));
    await upload.handle.close().catch(() => undefined);
    await rm(upload.part, { force: true });
  }

  /** Forget uploads idle for too long, and part files no upload owns (a restart left them). */
  private async expire(): Promise<void> {
    const t = this.now();
    for (const upload of [...this.open.values()]) {
      if (t - upload.touched > IDLE_MS) await this.abort(upload);
    }
    const owned = new Set([...this.open.values()].map((u) => u.part));
    for (const name of await readdir(this.folder).catch(() => [] as string[])) {
      const part = join(this.folder, name);
      if (owned.has(part)) continue;
      const info = await stat(part).catch(() => null);
      if (info && t - info.mtimeMs > IDLE_MS)
        await rm(part, { force: true }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const upload of [...this.open.values()]) await this.abort(upload);
  }
}
