import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * The built renderer over HTTP. Only regular files inside the folder are served: a directory,
 * FIFO or socket named like an asset is "not found" (opening a FIFO would block a thread of
 * the pool forever), and a read that fails half-way ends that response, not the host.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = 'The renderer is not built. Run `npm run build:renderer`, then reload.';

/** `pathname` is already percent-decoded (see `requestTarget`). */
export async function serveStatic(
  root: string,
  pathname: string,
  res: ServerResponse,
): Promise<void> {
  const rel = pathname === '/' || !extname(pathname) ? '/index.html' : pathname;
  const base = resolve(root);
  const file = normalize(join(base, rel));
  if (!file.startsWith(base + sep)) {
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden');
    return;
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    const index = rel === '/index.html';
    res.writeHead(index ? 503 : 404, { 'Content-Type': 'text/plain' });
    res.end(index ? NOT_BUILT : 'Not found');
    return;
  }
  const stream = createReadStream(file);
  stream.once('error', () => {
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Read failed');
    else res.destroy();
  });
  stream.once('open', () => {
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': rel === '/index.html' ? 'no-store' : 'max-age=3600',
    });
    stream.pipe(res);
  });
}
