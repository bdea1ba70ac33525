import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createService } from '../service/service.ts';
import { startHost, type RunningHost } from './server.ts';

const USAGE = `Usage: npm run serve -- [options]

  --host ADDR        address to bind (default 127.0.0.1; anything else is reachable from outside)
  --port N           port (default 5178; 0 picks a free one)
  --workspace DIR    where documents are saved (default ~/TRM Studio)
  --dev              serve the renderer through vite with hot reload
  --static DIR       serve this built renderer instead of renderer/dist
  -h, --help         this text`;

export const ROOT = resolve(import.meta.dirname, '../..');
export const RENDERER_DIST = join(ROOT, 'renderer/dist');

export interface ServeOptions {
  host?: string;
  port?: number;
  workspace?: string;
  stateDir?: string;
  dev?: boolean;
  log?: (line: string) => void;
  /** A built renderer to serve instead of renderer/dist (tests build their own copy). */
  staticDir?: string;
}

/** Build the renderer once when its output is missing (first run, CI). */
export async function ensureRendererBuilt(log: (line: string) => void): Promise<void> {
  if (existsSync(join(RENDERER_DIST, 'index.html'))) return;
  log('Building the renderer (first run)…');
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export async function serve(options: ServeOptions = {}): Promise<RunningHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const workspace = resolve(options.workspace ?? join(homedir(), 'TRM Studio'));
  const service = createService({
    host: 'web',
    workspace,
    stateDir: options.stateDir ?? join(workspace, '.trm-studio'),
    templatesDir: join(ROOT, 'templates'),
  });
  const dev = async (server: Server) => {
    const { createServer } = await import('vite');
    const vite = await createServer({
      configFile: join(ROOT, 'vite.config.ts'),
      server: { middlewareMode: true, hmr: { server } },
      appType: 'spa',
    });
    return vite.middlewares;
  };
  if (!options.dev && !options.staticDir) await ensureRendererBuilt(log);
  return startHost({
    service,
    staticDir: options.staticDir ?? RENDERER_DIST,
    host: options.host,
    port: options.port,
    dev: options.dev ? dev : undefined,
    log,
  });
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      workspace: { type: 'string' },
      dev: { type: 'boolean' },
      static: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 5178 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port ${values.port} is not a port number; use 0–65535.`);
    return 2;
  }
  const host = await serve({
    host: values.host,
    port,
    workspace: values.workspace,
    dev: values.dev,
    ...(values.static ? { staticDir: resolve(values.static) } : {}),
  });
  console.log(`TRM Studio is running. Open this address in a browser:\n\n  ${host.url}\n`);
  console.log('Press Ctrl+C to stop.');
  const stop = () => void host.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (e: Error & { code?: string }) => {
      console.error(
        e.code === 'EADDRINUSE'
          ? 'That port is already in use; pass --port 0 to pick a free one.'
          : `The web host could not start: ${e.message}`,
      );
      process.exit(1);
    },
  );
}
