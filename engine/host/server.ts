import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Reply, ServerEvent } from '../contract/api.ts';
import type { Service } from '../service/service.ts';
import { rateLimitedLog } from './log-limit.ts';
import {
  allowedOrigins,
  cookieValue,
  isLoopback,
  isWildcard,
  requestTarget,
  tokenCookie,
  type RequestTarget,
} from './request-guard.ts';
import { serveStatic } from './static-files.ts';

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

const MAX_MESSAGE = 16 * 1024 * 1024;

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

/**
 * A reply as text, whatever it holds: a value JSON cannot write (nested deeper than the stack,
 * a BigInt) becomes an error reply for the same request instead of an exception in the host.
 */
export function serializeReply(reply: Reply): string {
  try {
    return JSON.stringify(reply);
  } catch (e) {
    return JSON.stringify({
      id: reply.id,
      ok: false,
      error: {
        code: 'unserializable',
        message: `The answer could not be sent (${(e as Error).message}); the document is probably nested too deeply. Simplify its meta data and try again.`,
      },
    } satisfies Reply);
  }
}

/** Answer one WebSocket message; never rejects. */
async function answer(service: Service, data: RawData): Promise<string> {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString());
  } catch {
    raw = undefined;
  }
  try {
    return serializeReply(await service.dispatch(raw));
  } catch (e) {
    const id =
      typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number'
        ? (raw as { id: number }).id
        : 0;
    return serializeReply({
      id,
      ok: false,
      error: { code: 'internal', message: `The request failed (${(e as Error).message}).` },
    });
  }
}

const ignore = () => undefined;

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? ((line: string) => console.log(line));
  const logRefusal = rateLimitedLog(log);
  let port = options.port ?? 0;
  let origins = new Set<string>();

  const authorised = (req: IncomingMessage, target: RequestTarget) =>
    sameToken(target.params.get('token'), token) ||
    sameToken(cookieValue(req, tokenCookie(port)), token);

  /**
   * The first visit carries the token in the address; it moves into an HttpOnly cookie and the
   * page is reloaded without it, so it leaves the address bar and the tab's history.
   */
  const dropTokenFromAddress = (target: RequestTarget, res: ServerResponse): boolean => {
    if (!sameToken(target.params.get('token'), token)) return false;
    const rest = new URLSearchParams(target.params);
    rest.delete('token');
    const query = rest.size > 0 ? `?${rest.toString()}` : '';
    res.writeHead(303, {
      'Set-Cookie': `${tokenCookie(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      Location: `${encodeURI(target.pathname)}${query}`,
      'Cache-Control': 'no-store',
    });
    res.end();
    return true;
  };

  let middleware: Middleware | undefined;
  const server = createServer((req, res) => {
    res.on('error', ignore);
    securityHeaders(res, !!options.dev);
    const target = requestTarget(req);
    if (!target) {
      res
        .writeHead(400, { 'Content-Type': 'text/plain' })
        .end('Bad request: the address is not a valid URL path.');
      return;
    }
    if (req.method === 'GET' && dropTokenFromAddress(target, res)) return;
    if (target.pathname === '/api/session') {
      // Whether this page holds the session token: how the renderer tells "no token" apart
      // from "the host is gone" (a browser hides why a WebSocket was refused).
      res.writeHead(authorised(req, target) ? 204 : 401, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    const serve = () =>
      void serveStatic(options.staticDir, target.pathname, res).catch(() => res.destroy());
    try {
      if (middleware) middleware(req, res, serve);
      else serve();
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  });
  // A malformed request line or header: answer 400 where the socket still can, never throw.
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  if (options.dev) middleware = await options.dev(server);

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  wss.on('error', (e) => logRefusal(`WebSocket server error: ${e.message}.`));
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', ignore);
    const refuse = (status: number, why: string) => {
      logRefusal(`Refused a connection: ${why}.`);
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\n\r\n`);
    };
    const target = requestTarget(req);
    if (!target) return refuse(400, 'Bad Request');
    if (target.pathname !== '/api') {
      // In dev, vite's hot-reload socket listens on the same server.
      return options.dev ? undefined : refuse(404, 'Not Found');
    }
    if (!authorised(req, target)) return refuse(401, 'Bad Token');
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) return refuse(403, 'Foreign Origin');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    // A protocol error (bad UTF-8, an unmasked or oversized frame, a bad opcode or close code)
    // closes this socket; ws has already sent the close frame. The host goes on.
    ws.on('error', (e) => logRefusal(`Closed a connection after a protocol error: ${e.message}.`));
    ws.on('message', (data) => {
      void answer(options.service, data).then((text) => {
        if (ws.readyState === ws.OPEN) ws.send(text, ignore);
      });
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  server.on('error', (e) => log(`The web host hit an error and goes on: ${e.message}.`));
  port = (server.address() as AddressInfo).port;
  origins = allowedOrigins(host, port);
  // A wildcard address is not one a browser can open; the printed one is this machine's own.
  const shown = isWildcard(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/?token=${token}`;
  if (!isLoopback(host)) {
    const reach = isWildcard(host)
      ? ` From another machine use one of ${[...origins].filter((o) => !/\/\/(127\.|localhost|\[::1\])/.test(o)).join(', ') || "this machine's addresses"} with the same ?token=.`
      : '';
    log(
      `WARNING: listening on ${host}, which other machines can reach. Anyone with the token can read and write documents in the workspace; prefer 127.0.0.1 with an SSH tunnel.${reach}`,
    );
  }
  const broadcast = (event: ServerEvent) => {
    const text = JSON.stringify({ event });
    for (const c of clients) if (c.readyState === c.OPEN) c.send(text, ignore);
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
