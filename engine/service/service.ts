import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { compile } from '../graph/compile.ts';
import { parseDocument } from '../graph/parse.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { analyzeUnknown } from './analyze.ts';
import {
  methods,
  Recovery,
  Request,
  type MethodName,
  type ParsedParams,
  type Reply,
  type Result,
  type ServerEvent,
  type TemplateCard,
} from './api.ts';
import { ServiceError } from './errors.ts';
import { exportRun } from './export-run.ts';
import { FilePolicy, writeAtomic } from './files.ts';
import { InsightJobs } from './insight-jobs.ts';
import { RunManager, trainOptions } from './runs.ts';

export { ServiceError } from './errors.ts';

export type Handlers = { [M in MethodName]: (params: ParsedParams<M>) => Promise<Result<M>> };

export interface ServiceOptions {
  host: 'web' | 'electron';
  /** Where documents are saved; relative paths resolve here. */
  workspace: string;
  /** Where the recovery file and the recent list live. */
  stateDir: string;
  templatesDir: string;
  nativeDialogs?: boolean;
  version?: string;
}

export interface Service {
  handlers: Handlers;
  policy: FilePolicy;
  /** Validate a raw request, run it, validate the result: what every host adapter calls. */
  dispatch(raw: unknown, handlers?: Handlers): Promise<Reply>;
  /** Add a path to the recent list (hosts call it after their own dialogs). */
  remember(path: string): Promise<void>;
  /** Events the service pushes (training progress); hosts forward them on their event channel. */
  onEvent(listener: (event: ServerEvent) => void): () => void;
  /** Stop every training worker (host shutdown). */
  close(): Promise<void>;
}

const MAX_RECENT = 10;

function docText(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function createService(options: ServiceOptions): Service {
  const policy = new FilePolicy(resolve(options.workspace), [resolve(options.templatesDir)]);
  const recoveryFile = join(options.stateDir, 'recovery.json');
  const recentFile = join(options.stateDir, 'recent.json');
  const listeners = new Set<(event: ServerEvent) => void>();
  const broadcast = (event: ServerEvent) => {
    for (const l of listeners) l(event);
  };
  const runs = new RunManager(policy.workspace, broadcast);
  const insight = new InsightJobs(runs, broadcast);

  async function readRecent(): Promise<string[]> {
    try {
      const list: unknown = JSON.parse(await readFile(recentFile, 'utf8'));
      return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }

  async function remember(path: string): Promise<void> {
    const list = [path, ...(await readRecent()).filter((p) => p !== path)].slice(0, MAX_RECENT);
    await writeAtomic(recentFile, JSON.stringify(list));
  }

  async function loadTemplate(file: string): Promise<GraphDocument> {
    const parsed = parseDocument(await readFile(join(options.templatesDir, file), 'utf8'));
    if (!parsed.ok) {
      throw new ServiceError(
        'bad-template',
        `Template ${file} is broken: ${parsed.diagnostics[0]?.message ?? 'unknown problem'}`,
      );
    }
    return parsed.doc;
  }

  async function templateFiles(): Promise<string[]> {
    return (await readdir(options.templatesDir)).filter((f) => f.endsWith('.json')).sort();
  }

  async function save(path: string, doc: GraphDocument) {
    const full = await policy.check(path, 'write');
    await writeAtomic(full, docText(doc));
    await remember(full);
    return { path: full, savedAt: new Date().toISOString() };
  }

  const handlers: Handlers = {
    'app.info': async () => ({
      version: options.version ?? '0.1.0',
      host: options.host,
      workspace: policy.workspace,
      nativeDialogs: options.nativeDialogs ?? false,
    }),
    'templates.list': async () => {
      const cards: TemplateCard[] = [];
      for (const file of await templateFiles()) {
        const doc = await loadTemplate(file);
        const meta = doc.meta ?? {};
        cards.push({
          id: file.replace(/\.json$/, ''),
          name: doc.name,
          description: doc.description ?? '',
          params: compile(doc).totalParams,
          task: typeof meta.task === 'string' ? meta.task : null,
          nodes: doc.main.nodes.length,
        });
      }
      return cards;
    },
    'templates.get': async ({ id }) => {
      const file = `${id}.json`;
      if (!(await templateFiles()).includes(file)) {
        throw new ServiceError(
          'unknown-template',
          `There is no template "${id}"; pick one from the gallery.`,
        );
      }
      return { doc: await loadTemplate(file) };
    },
    'document.validate': async ({ doc }) => analyzeUnknown(doc),
    'document.list': async () => {
      await mkdir(policy.workspace, { recursive: true });
      const files = [];
      for (const name of (await readdir(policy.workspace)).filter((f) => f.endsWith('.json'))) {
        const path = join(policy.workspace, name);
        files.push({ path, name, modified: (await stat(path)).mtime.toISOString() });
      }
      files.sort((a, b) => b.modified.localeCompare(a.modified));
      return { workspace: policy.workspace, files, recent: await readRecent() };
    },
    'document.open': async ({ path }) => {
      if (path === undefined) {
        throw new ServiceError(
          'no-dialog',
          'This host cannot show a file dialog; pick a document from the list instead.',
        );
      }
      const { full, text } = await policy.read(path);
      const parsed = parseDocument(text);
      if (!parsed.ok) {
        const first = parsed.diagnostics[0]?.message ?? 'it is not a graph document';
        throw new ServiceError('bad-document', `${basename(full)} cannot be opened. ${first}`);
      }
      await remember(full);
      return { path: full, doc: parsed.doc };
    },
    'document.save': async ({ path, doc }) => save(path, doc),
    'document.saveAs': async ({ path, doc }) => {
      if (path === undefined) {
        throw new ServiceError('no-dialog', 'This host cannot show a file dialog; type a name.');
      }
      return save(path, doc);
    },
    'document.autosave': async ({ doc, path }) => {
      const savedAt = new Date().toISOString();
      await writeAtomic(recoveryFile, JSON.stringify({ doc, path, savedAt }));
      return { savedAt };
    },
    'document.recover': async () => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(recoveryFile, 'utf8'));
      } catch {
        return null;
      }
      const parsed = Recovery.safeParse(raw);
      return parsed.success ? parsed.data : null;
    },
    'document.discardRecovery': async () => {
      await rm(recoveryFile, { force: true });
      return {};
    },
    'train.options': async () => trainOptions(),
    'train.start': async (params) => runs.start(params),
    'train.pause': async ({ runId }) => runs.control(runId, 'pause'),
    'train.resume': async ({ runId }) => runs.control(runId, 'resume'),
    'train.stop': async ({ runId }) => runs.control(runId, 'stop'),
    'train.status': async ({ runId }) => runs.status(runId),
    'runs.list': async () => runs.list(),
    'export.run': async (params) => exportRun(params, runs, policy.workspace),
    // Recursion insight
    'insight.depth': async (params) => insight.depth(params),
    'insight.example': async (params) => insight.example(params),
    'insight.cancel': async ({ jobId }) => insight.cancel(jobId),
  };

  async function dispatch(raw: unknown, use: Handlers = handlers): Promise<Reply> {
    const request = Request.safeParse(raw);
    const id =
      typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number'
        ? (raw as { id: number }).id
        : 0;
    if (!request.success) {
      return {
        id,
        ok: false,
        error: {
          code: 'bad-request',
          message: `The request is malformed (${request.error.issues[0]?.message ?? 'unknown'}); update the app.`,
        },
      };
    }
    return call(request.data.id, request.data.method, request.data.params, use);
  }

  return {
    handlers,
    policy,
    dispatch,
    remember,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      await insight.close();
      await runs.shutdown();
    },
  };
}

async function call(id: number, method: MethodName, raw: unknown, use: Handlers): Promise<Reply> {
  const spec = methods[method];
  const params = spec.params.safeParse(raw ?? {});
  if (!params.success) {
    const issue = params.error.issues[0];
    return {
      id,
      ok: false,
      error: {
        code: 'bad-params',
        message: `Parameters of ${method} are invalid at ${issue?.path.join('.') || 'the top level'}: ${issue?.message ?? 'unknown'}.`,
      },
    };
  }
  try {
    const handler = use[method] as (p: unknown) => Promise<unknown>;
    const result = spec.result.parse(await handler(params.data));
    return { id, ok: true, result };
  } catch (e) {
    if (e instanceof ServiceError)
      return { id, ok: false, error: { code: e.code, message: e.message } };
    return {
      id,
      ok: false,
      error: {
        code: 'internal',
        message: `${method} failed unexpectedly (${(e as Error).message}); please report this.`,
      },
    };
  }
}
