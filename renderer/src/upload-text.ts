import type { DataFile, UploadChunk, UploadReply } from '../../engine/contract/api.ts';

/** The one call an upload makes (an ApiClient, or a test's stand-in). */
export interface UploadClient {
  call(method: 'data.upload', params: UploadChunk): Promise<UploadReply>;
}

/** Characters per piece: within the host's `UPLOAD_CHUNK_CHARS` (a test holds them together). */
export const PIECE_CHARS = 1024 * 1024;

/**
 * Copy a dropped text file into the workspace in pieces (`data.upload`), so a file of any size
 * the engine takes fits the messages the host carries; `progress` gets the fraction sent.
 */
export async function uploadText(
  client: UploadClient,
  name: string,
  text: string,
  progress: (fraction: number) => void,
): Promise<DataFile> {
  let uploadId: string | undefined;
  let start = 0;
  for (let index = 0; ; index++) {
    let end = Math.min(text.length, start + PIECE_CHARS);
    // Never split a surrogate pair between two pieces.
    const before = text.charCodeAt(end - 1);
    if (end < text.length && before >= 0xd800 && before <= 0xdbff) end--;
    const last = end >= text.length;
    const reply = await client.call('data.upload', {
      name,
      index,
      text: text.slice(start, end),
      last,
      ...(uploadId ? { uploadId } : {}),
    });
    uploadId = reply.uploadId;
    progress(text.length === 0 ? 1 : end / text.length);
    if (last) {
      if (!reply.file) throw new Error(`The copy of "${name}" did not complete; drop it again.`);
      return reply.file;
    }
    start = end;
  }
}
