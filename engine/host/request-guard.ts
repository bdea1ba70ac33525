import { networkInterfaces } from 'node:os';
import type { IncomingMessage } from 'node:http';

/**
 * What the web host reads from a request before anything else touches it. Every request and
 * upgrade goes through `requestTarget`, so a target that is not a URL (`http://[`), a path
 * that does not percent-decode (`/%`) or a NUL byte is answered 400 instead of throwing.
 */

export interface RequestTarget {
  /** Percent-decoded path, always starting with `/`. */
  pathname: string;
  params: URLSearchParams;
}

export function requestTarget(req: IncomingMessage): RequestTarget | null {
  try {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    const pathname = decodeURIComponent(url.pathname);
    if (pathname.includes('\0')) return null;
    return { pathname, params: url.searchParams };
  } catch {
    return null;
  }
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

const bracketed = (address: string) => (address.includes(':') ? `[${address}]` : address);

/** This machine's own addresses (every interface), as they appear in a URL. */
export function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      // Link-local IPv6 needs a zone id in URLs, which browsers do not send in Origin.
      if (info.family === 'IPv6' && info.address.startsWith('fe80')) continue;
      out.push(bracketed(info.address));
    }
  }
  return out;
}

/**
 * The origins a page of this host can have: the address it is bound to, and for a loopback or
 * wildcard bind every name that reaches it (a wildcard bind is reachable on every interface).
 */
export function allowedOrigins(host: string, port: number): Set<string> {
  const names = new Set<string>([bracketed(host)]);
  if (isLoopback(host) || isWildcard(host)) {
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
  }
  if (isWildcard(host)) for (const a of interfaceAddresses()) names.add(a);
  names.delete('[::]');
  names.delete('0.0.0.0');
  return new Set([...names].map((n) => `http://${n}:${port}`));
}

/** The cookie that carries the session token after the first visit (one per port). */
export const tokenCookie = (port: number) => `trm-token-${port}`;

export function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
