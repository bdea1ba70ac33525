import { useRef, useState, type DragEvent } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { DataFile } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { vocabFix } from '../task-data.ts';
import { uploadText } from '../upload-text.ts';
import './fields.css';
import './data-picker.css';

/**
 * The text-data half of the Train panel: a text file (dropped, picked in a dialog, or typed as a
 * workspace path) and the tokenizer (characters, or byte-level BPE with a vocabulary size).
 * It also says when the graph's vocabulary V does not match what the tokenizer will produce,
 * and sets V in one click, because that mismatch is the first error a new user meets.
 */

export type Tokenizer = 'char' | 'bpe';

export interface TextDataChoice {
  tokenizer: Tokenizer;
  /** As typed; blank means the engine's default. */
  vocabSize: string;
}

export const DEFAULT_VOCAB = 1024;

/** Room for the dialog's extensions; the engine checks the content itself. */
const ACCEPT = '.txt,.md,.csv,.tsv,.text,text/plain';

function vocabOf(choice: TextDataChoice): number {
  const n = Number(choice.vocabSize);
  return choice.vocabSize.trim() && Number.isInteger(n) ? n : DEFAULT_VOCAB;
}

/** The V the graph needs for this data, when it is known before training. */
export function requiredVocab(choice: TextDataChoice, file: DataFile | null): number | null {
  if (choice.tokenizer === 'bpe') return vocabOf(choice);
  return file ? file.charVocab : null;
}

export function TokenizerFields({
  choice,
  onChange,
  disabled,
}: {
  choice: TextDataChoice;
  onChange: (c: TextDataChoice) => void;
  disabled: boolean;
}) {
  return (
    <div className="tokenizer-fields">
      <label className="field" htmlFor="data-tokenizer">
        <span className="field-name">tokenizer</span>
        <select
          id="data-tokenizer"
          value={choice.tokenizer}
          disabled={disabled}
          onChange={(e) => onChange({ ...choice, tokenizer: e.target.value as Tokenizer })}
        >
          <option value="char">characters</option>
          <option value="bpe">BPE (byte-level)</option>
        </select>
        <span className="field-help">
          Characters: one token per character. BPE: subword tokens learned from the training split
          (Hugging Face tokenizers).
        </span>
      </label>
      {choice.tokenizer === 'bpe' ? (
        <label className="field" htmlFor="data-vocab">
          <span className="field-name">vocabSize</span>
          <input
            id="data-vocab"
            inputMode="numeric"
            value={choice.vocabSize}
            placeholder={String(DEFAULT_VOCAB)}
            disabled={disabled}
            onChange={(e) => onChange({ ...choice, vocabSize: e.target.value })}
          />
          <span className="field-help">
            Tokens including the 256 bytes (257–65536). The graph&apos;s V must equal it.
          </span>
        </label>
      ) : null}
    </div>
  );
}

/**
 * When the text needs a larger vocabulary than the graph's V, the fix that fits the case: a
 * document made for a generated task (a Sudoku template) goes back to that task with one
 * click; a language model gets "Set V to N".
 */
export function VocabHint({
  doc,
  needed,
  exact,
  onSetDim,
  onUseTask,
}: {
  doc: GraphDocument;
  needed: number | null;
  /** BPE needs V equal to its size; characters need at least as many. */
  exact: boolean;
  onSetDim?: ((name: string, value: number) => void) | undefined;
  /** Switch the data to the task the document declares (`meta.task`). */
  onUseTask?: (() => void) | undefined;
}) {
  const fix = vocabFix(doc.meta?.task, doc.dims?.V, needed, exact);
  if (!fix) return null;
  const need = `${exact ? '' : 'at least '}${fix.needed}`;
  if (fix.fix === 'task') {
    return (
      <div className="vocab-hint" role="status" data-testid="vocab-hint">
        This model is made for the task {fix.task} (its V is {fix.v}); this text needs {need}. Train
        it on {fix.task}, the task it declares.
        {onUseTask ? (
          <button onClick={onUseTask} data-testid="use-declared-task">
            Use {fix.task}
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <div className="vocab-hint" role="status" data-testid="vocab-hint">
      The graph&apos;s vocabulary V is {fix.v}; this data needs {need}.
      {onSetDim ? (
        <button onClick={() => onSetDim('V', fix.needed)} data-testid="set-vocab">
          Set V to {fix.needed}
        </button>
      ) : null}
    </div>
  );
}

/** Drop a file, pick one (native dialog in Electron, the browser's elsewhere) or type a path. */
export function TextFileInput({
  client,
  nativeDialogs,
  path,
  file,
  onPath,
  onFile,
  onError,
  disabled,
}: {
  client: ApiClient;
  nativeDialogs: boolean;
  path: string;
  file: DataFile | null;
  onPath: (path: string) => void;
  onFile: (file: DataFile) => void;
  onError: (message: string | null) => void;
  disabled: boolean;
}) {
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);

  const importFile = async (f: File) => {
    onError(null);
    setBusy(`Copying ${f.name}…`);
    try {
      const text = await f.text();
      onFile(
        await uploadText(client, f.name, text, (done) =>
          setBusy(
            done < 1 ? `Copying ${f.name}… ${Math.floor(done * 100)}%` : `Checking ${f.name}…`,
          ),
        ),
      );
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };

  const choose = async () => {
    if (!nativeDialogs) return picker.current?.click();
    onError(null);
    try {
      const picked = await client.call('data.pick', {});
      if (picked) onFile(picked);
    } catch (e) {
      onError((e as Error).message);
    }
  };

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    const f = e.dataTransfer.files[0];
    if (f) void importFile(f);
    else onError('Drop a text file from your file manager (not text or a link).');
  };

  return (
    <div
      className={over ? 'drop-zone over' : 'drop-zone'}
      data-testid="data-drop"
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <div className="drop-row">
        <input
          aria-label="Text file"
          placeholder="data/corpus.txt (in the workspace)"
          value={path}
          disabled={disabled}
          onChange={(e) => onPath(e.target.value)}
        />
        <button onClick={() => void choose()} disabled={disabled}>
          Choose…
        </button>
        <input
          ref={picker}
          type="file"
          accept={ACCEPT}
          hidden
          data-testid="data-file-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
      </div>
      <div className="drop-note" data-testid="data-file-info">
        {busy ??
          (file && file.path === path
            ? `${file.path}: ${file.characters.toLocaleString('en-US')} characters, ${file.lines.toLocaleString('en-US')} lines, ${file.charVocab} distinct (with "unknown")`
            : 'or drop a UTF-8 text file here; it is copied into the workspace data/ folder')}
      </div>
    </div>
  );
}

/** The data argument for `train.start`: a shorthand with the tokenizer's fields. */
export function textDataArg(base: string, choice: TextDataChoice): string {
  const fields = [`tokenizer=${choice.tokenizer}`];
  if (choice.tokenizer === 'bpe') fields.push(`vocabSize=${vocabOf(choice)}`);
  return `${base}:${fields.join(',')}`;
}

/** A text file's spec for `train.start` (a path is not a shorthand, so it is a spec object). */
export function textFileSpec(path: string, choice: TextDataChoice): Record<string, unknown> {
  return {
    type: 'text',
    path,
    tokenizer: choice.tokenizer,
    ...(choice.tokenizer === 'bpe' ? { vocabSize: vocabOf(choice) } : {}),
  };
}
