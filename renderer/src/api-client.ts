import type {
  MethodName,
  Params,
  Result,
  ServerEvent,
  ServerMessage,
} from '../../engine/contract/api.ts';
import type { PreloadBridge } from '../../engine/contract/ipc.ts';

/**
 * The renderer's only way to reach the engine. Two transports implement it: the Electron
 * preload bridge and the web host's WebSocket. Hosts validate every message with the
 * schemas of engine/contract/api.ts; here we only need their types.
 */
export interface ApiClient {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  onEvent(listener: (event: ServerEvent) => void): () => void;
}

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

declare global {
  interface Window {
    trm?: PreloadBridge;
  }
}

export function electronClient(bridge: PreloadBridge): ApiClient {
  return {
    async call(method, params) {
      const reply = await bridge.call(method, params);
      if (!reply.ok) throw new ApiCallError(reply.error.code, reply.error.message);
      return reply.result as never;
    },
    onEvent: (listener) => bridge.onEvent((e) => listener(e as ServerEvent)),
  };
}

/**
 * A browser does not tell a page why its WebSocket was refused; the host's `/api/session`
 * does: 401 when this address carries no session token (neither in the URL nor the cookie).
 */
async function whyRefused(url: string): Promise<string> {
  const session = new URL(url.replace(/^ws/, 'http'));
  session.pathname = '/api/session';
  const status = await fetch(session, { cache: 'no-store' }).then(
    (r) => r.status,
    () => 0,
  );
  return status === 401
    ? 'This address lacks its session token; open the URL printed by `npm run serve` (it ends in ?token=…).'
    : 'The app lost its connection to the engine; check that `npm run serve` is still running, then reload.';
}

/** WebSocket transport; reconnects after a drop and re-sends nothing (calls fail loudly). */
export function webSocketClient(url: string): ApiClient {
  let socket: WebSocket | undefined;
  let opening: Promise<WebSocket> | undefined;
  let nextId = 1;
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  const listeners = new Set<(event: ServerEvent) => void>();

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    opening ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        opening = undefined;
        resolve(ws);
      };
      ws.onerror = () => {
        opening = undefined;
        void whyRefused(url).then((message) => reject(new ApiCallError('disconnected', message)));
      };
      ws.onclose = () => {
        socket = undefined;
        for (const p of pending.values()) {
          p.fail(
            new ApiCallError('disconnected', 'The engine closed the connection; reload the page.'),
          );
        }
        pending.clear();
      };
      ws.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as ServerMessage;
        if ('event' in msg) {
          for (const l of listeners) l(msg.event);
          return;
        }
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.ok) p.ok(msg.result);
        else p.fail(new ApiCallError(msg.error.code, msg.error.message));
      };
    });
    return opening;
  };

  return {
    async call(method, params) {
      const ws = await open();
      const id = nextId++;
      return new Promise((ok, fail) => {
        pending.set(id, { ok: ok as (v: unknown) => void, fail });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      void open().catch(() => undefined);
      return () => listeners.delete(listener);
    },
  };
}

/** Electron when the preload bridge is there, otherwise the web host this page came from. */
export function createClient(): ApiClient {
  if (window.trm) return electronClient(window.trm);
  // The host moves the token from the address into an HttpOnly cookie on the first visit; a
  // host that serves the page another way (vite's dev server) may still leave it in the URL.
  const token = new URLSearchParams(window.location.search).get('token');
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return webSocketClient(`${scheme}://${window.location.host}/api${query}`);
}
