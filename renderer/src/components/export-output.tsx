import { useState } from 'react';
import type { ExportReport } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { snippets } from './export-snippets.ts';
import './export-output.css';

/**
 * Where the latest export lies and how to load it: its folder (shown in the file manager, or
 * written out where a browser cannot open one) and a Node or Python snippet to copy (for an
 * encoder–decoder, running the folder's decode.mjs).
 */
export function ExportOutput({
  client,
  latest,
  onError,
}: {
  client: ApiClient;
  latest: ExportReport;
  onError: (message: string | null) => void;
}) {
  const [lang, setLang] = useState<'node' | 'python'>('node');
  const [copied, setCopied] = useState<'code' | 'folder' | null>(null);
  /** Where the latest export lies, once asked: shown in the file manager, or its folder. */
  const [revealed, setRevealed] = useState<{ path: string; folder: string; shown: boolean } | null>(
    null,
  );
  const code = snippets(latest.path, latest.signature, latest.mode)[lang];
  const file = latest.path.split(/[\\/]/).pop();
  const shownFolder = revealed?.path === latest.path ? revealed : null;

  const copy = async (text: string, what: 'code' | 'folder') => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
      setTimeout(() => setCopied(null), 1500);
    } catch {
      onError('The clipboard is not available here; select the text and copy it by hand.');
    }
  };
  const reveal = async (path: string) => {
    onError(null);
    try {
      setRevealed({ path, ...(await client.call('files.reveal', { path })) });
    } catch (e) {
      onError((e as Error).message);
    }
  };

  return (
    <>
      <div className="reveal">
        <button onClick={() => void reveal(latest.path)} data-testid="reveal-folder">
          Open containing folder
        </button>
        {shownFolder?.shown ? (
          <span className="muted">Shown in your file manager.</span>
        ) : shownFolder ? (
          <>
            <code data-testid="export-folder" title="This browser cannot open a desktop folder">
              {shownFolder.folder}
            </code>
            <button onClick={() => void copy(shownFolder.folder, 'folder')}>
              {copied === 'folder' ? 'Copied' : 'Copy path'}
            </button>
          </>
        ) : null}
      </div>
      <div className="snippet">
        <div className="snippet-head">
          <span className="muted">
            {latest.mode === 'encoder-decoder'
              ? "Decode a source with the folder's decode.mjs, from"
              : `Load ${file} with onnxruntime in`}
          </span>
          <button className={lang === 'node' ? 'on' : ''} onClick={() => setLang('node')}>
            Node
          </button>
          <button className={lang === 'python' ? 'on' : ''} onClick={() => setLang('python')}>
            Python
          </button>
          <button onClick={() => void copy(code, 'code')} data-testid="copy-snippet">
            {copied === 'code' ? 'Copied' : 'Copy code'}
          </button>
        </div>
        <pre data-testid="snippet">{code}</pre>
      </div>
    </>
  );
}
