import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { compile } from '../graph/compile.ts';
import { parseDocument } from '../graph/parse.ts';
import type { GraphDocument } from '../graph/schema.ts';
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
} from '../contract/api.ts';
import { ServiceError } from './errors.ts';
import { importText } from './data-files.ts';
import { exportRun } from './export-run.ts';
import { exportPytorchProject } from './export-pytorch.ts';
import { changedSince, currentVersion, FilePolicy, versionOf, writeAtomic } from './files.ts';
import { InsightJobs } from './insight-jobs.ts';
import { Playground } from './playground.ts';
import { RunManager, trainEngines, trainOptions } from './runs.ts';
import { Uploads } from './uploads.ts';
import { PreflightError } from '../train/preflight.ts';
import { validateDocument } from './validate.ts';

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
  const emit = (event: ServerEvent) => {
    for (const l of listeners) l(event);
  };
  const runs = new RunManager(policy.workspace, emit);
  const playground = new Playground(runs, policy, emit);
  const insight = new InsightJobs(runs, emit);
  const uploads = new Uploads(policy.workspace);

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

  /**
   * Write a document. `guard` says what may be replaced: the version the caller last saw
   * (`document.save`), or nothing unless asked (`document.saveAs` without `overwrite`).
   */
  async function save(
    path: string,
    doc: GraphDocument,
    guard: { version?: string } | { overwrite: boolean },
  ) {
    const full = await policy.check(path, 'write');
    await refuseLoss(path, full, guard);
    const text = docText(doc);
    await writeAtomic(full, text, `the document ${basename(full)}`);
    const { mtimeMs } = await stat(full);
    await remember(full);
    return { path: full, savedAt: new Date().toISOString(), version: versionOf(text, mtimeMs) };
  }

  async function refuseLoss(
    path: string,
    full: string,
    guard: { version?: string } | { overwrite: boolean },
  ): Promise<void> {
    if ('overwrite' in guard) {
      if (!guard.overwrite && (await currentVersion(full, path)) !== null) {
        throw new ServiceError(
          'exists',
          `"${path}" already exists; choose another name, or confirm Overwrite to replace it.`,
        );
      }
      return;
    }
    if (guard.version === undefined) return;
    const changed = await changedSince(full, guard.version, path);
    if (changed) {
      throw new ServiceError(
        'conflict',
        `"${path}" was changed on disk by another program (at ${changed.toISOString()}) since you opened or saved it. Reload it to see those changes, Save As to keep both, or Overwrite to replace them with yours.`,
      );
    }
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
    'document.validate': async ({ doc }) => validateDocument(doc),
    'document.list': async () => {
      await mkdir(policy.workspace, { recursive: true });
      const files = [];
      for (const name of (await readdir(policy.workspace)).filter((f) => f.endsWith('.json'))) {
        const path = join(policy.workspace, name);
        // Dangling links, folders and FIFOs named *.json are no documents: left out, not fatal.
        const info = await stat(path).catch(() => null);
        if (info?.isFile()) files.push({ path, name, modified: info.mtime.toISOString() });
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
      const { full, text, version } = await policy.read(path);
      const parsed = parseDocument(text);
      if (!parsed.ok) {
        const first = parsed.diagnostics[0]?.message ?? 'it is not a graph document';
        throw new ServiceError('bad-document', `${basename(full)} cannot be opened. ${first}`);
      }
      await remember(full);
      return { path: full, doc: parsed.doc, version };
    },
    'document.save': async ({ path, doc, version }) => save(path, doc, { version }),
    'document.saveAs': async ({ path, doc, overwrite }) => {
      if (path === undefined) {
        throw new ServiceError('no-dialog', 'This host cannot show a file dialog; type a name.');
      }
      return save(path, doc, { overwrite: overwrite ?? false });
    },
    'document.autosave': async ({ doc, path, version }) => {
      const savedAt = new Date().toISOString();
      await writeAtomic(
        recoveryFile,
        JSON.stringify({ doc, path, savedAt, ...(version !== undefined ? { version } : {}) }),
        'the unsaved-work recovery file',
      );
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
    'train.engines': async () => trainEngines(),
    'train.start': async (params) => runs.start(params),
    'train.pause': async ({ runId }) => runs.control(runId, 'pause'),
    'train.resume': async ({ runId }) => runs.control(runId, 'resume'),
    'train.stop': async ({ runId }) => runs.control(runId, 'stop'),
    'train.status': async ({ runId }) => runs.status(runId),
    'runs.list': async () => runs.list(),
    // Runs comparison (runs view)
    'runs.get': async ({ runId }) => runs.get(runId),
    'runs.delete': async ({ runId }) => runs.remove(runId),
    'export.run': async (params) => exportRun(params, runs, policy.workspace),
    'export.pytorch': async (params) => exportPytorchProject(params, runs, policy.workspace),
    'data.import': async ({ name, text }) => importText(policy.workspace, name, text),
    'data.upload': async (chunk) => uploads.chunk(chunk),
    'data.pick': async () => {
      throw new ServiceError(
        'no-dialog',
        'This host cannot show a file dialog; drop the text file on the Train panel instead.',
      );
    },
    'infer.sources': async () => playground.sources(),
    'infer.describe': async ({ source }) => playground.describe(source),
    'infer.generate': async (params) => playground.generate(params),
    'infer.cancel': async ({ generationId }) => playground.cancel(generationId),
    'infer.puzzle': async (params) => playground.puzzle(params),
    'infer.solve': async (params) => playground.solve(params),
    // Recursion insight
    'insight.depth': async (params) => insight.depth(params),
    'insight.example': async (params) => insight.example(params),
    'insight.cancel': async ({ jobId }) => insight.cancel(jobId),
    // A host with a desktop (Electron) overrides this to open the file manager.
    'files.reveal': async ({ path }) => ({
      folder: dirname(await policy.workspaceFile(path)),
      shown: false,
    }),
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
      playground.close();
      await insight.close();
      await uploads.close();
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
    if (e instanceof ServiceError || e instanceof PreflightError)
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
