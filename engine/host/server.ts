import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerEvent } from '../service/api.ts';
import type { Service } from '../service/service.ts';

/**
 * The web host: the renderer's files over HTTP and the engine's API over one WebSocket
 * (`/api`). Loopback by default; every connection must present the session token and come
 * from this host's own origin; every message is validated by the service.
 */

export interface HostOptions {
  service: Service;
  /** Built renderer (vite build output). */
  staticDir: string;
  host?: string;
  port?: number;
  token?: string;
  /**
   * Dev: returns a connect-style middleware (vite) serving the renderer instead of staticDir;
   * it gets the HTTP server so hot reload can share its port (other upgrade paths pass).
   */
  dev?: (server: Server) => Promise<Middleware>;
  log?: (line: string) => void;
}

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  broadcast(event: ServerEvent): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_MESSAGE = 16 * 1024 * 1024;

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function securityHeaders(res: ServerResponse, dev: boolean): void {
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      dev ? "script-src 'self' 'unsafe-inline'" : "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  let rel = decodeURIComponent(url.pathname);
  if (rel === '/' || !extname(rel)) rel = '/index.html';
  const base = resolve(root);
  const file = normalize(join(base, rel));
  if (!file.startsWith(base + sep)) {
    res.writeHead(403).end('Forbidden');
    return;
  }
  try {
    const st = await stat(file);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': rel === '/index.html' ? 'no-store' : 'max-age=3600',
    });
    createReadStream(file).pipe(res);
  } catch {
    res.writeHead(rel === '/index.html' ? 503 : 404, { 'Content-Type': 'text/plain' });
    res.end(
      rel === '/index.html'
        ? 'The renderer is not built. Run `npm run build:renderer`, then reload.'
        : 'Not found',
    );
  }
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? ((line: string) => console.log(line));
  let port = options.port ?? 0;

  const allowedOrigins = () => {
    const names = isLoopback(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [host];
    return new Set(names.map((n) => `http://${n}:${port}`));
  };

  let middleware: Middleware | undefined;
  const server = createServer((req, res) => {
    securityHeaders(res, !!options.dev);
    if (middleware) middleware(req, res, () => void serveStatic(options.staticDir, req, res));
    else void serveStatic(options.staticDir, req, res);
  });
  if (options.dev) middleware = await options.dev(server);

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: number, why: string) => {
      log(`Refused a connection: ${why}.`);
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\n\r\n`);
    };
    if (url.pathname !== '/api') {
      // In dev, vite's hot-reload socket listens on the same server.
      return options.dev ? undefined : refuse(404, 'Not Found');
    }
    if (!sameToken(url.searchParams.get('token'), token)) return refuse(401, 'Bad Token');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(403, 'Foreign Origin');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data) => {
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        raw = undefined;
      }
      void options.service.dispatch(raw).then((reply) => ws.send(JSON.stringify(reply)));
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/?token=${token}`;
  if (!isLoopback(host)) {
    log(
      `WARNING: listening on ${host}, which other machines can reach. Anyone with the token can read and write documents in the workspace; prefer 127.0.0.1 with an SSH tunnel.`,
    );
  }
  const broadcast = (event: ServerEvent) => {
    const text = JSON.stringify({ event });
    for (const c of clients) c.send(text);
  };
  const unsubscribe = options.service.onEvent(broadcast);
  return {
    url,
    port,
    token,
    broadcast,
    close: () =>
      new Promise<void>((ok) => {
        unsubscribe();
        void options.service.close();
        for (const c of clients) c.terminate();
        wss.close();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
