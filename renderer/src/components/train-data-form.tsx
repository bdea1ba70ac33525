import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { ApiClient } from '../api-client.ts';
import { requiredVocab, TextFileInput, TokenizerFields, VocabHint } from './data-picker.tsx';
import { PuzzleFileInput } from './puzzle-file-input.tsx';
import { SchemaFields } from './schema-fields.tsx';
import type { DataSource, TrainData } from './use-train-data.ts';
import type { TrainOptions } from './use-train-run.ts';

const SOURCES: [DataSource, string][] = [
  ['corpus', 'Built-in corpus'],
  ['task', 'Generated task'],
  ['file', 'Text file'],
  ['puzzle', 'Puzzle files'],
];

/** The Train panel's Data section: where the data comes from, and that source's options. */
export function TrainDataForm({
  client,
  doc,
  options,
  data,
  active,
  nativeDialogs,
  onSetDim,
  onError,
}: {
  client: ApiClient;
  doc: GraphDocument;
  options: TrainOptions | null;
  data: TrainData;
  /** A run is going: the choice waits until it ends. */
  active: boolean;
  nativeDialogs: boolean;
  onSetDim?: (name: string, value: number) => void;
  /** A file could not be read or picked (null clears the message). */
  onError: (message: string | null) => void;
}) {
  const { source } = data;
  return (
    <>
      <h3>Data</h3>
      <div className="segmented" role="radiogroup" aria-label="Data source">
        {SOURCES.map(([k, label]) => (
          <button
            key={k}
            role="radio"
            aria-checked={source === k}
            className={source === k ? 'on' : ''}
            onClick={() => data.setSource(k)}
            disabled={active}
          >
            {label}
          </button>
        ))}
      </div>
      {source === 'corpus' ? (
        <select
          aria-label="Corpus"
          value={data.corpus}
          onChange={(e) => data.setCorpus(e.target.value)}
        >
          {(options?.corpora ?? []).map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
      ) : null}
      {source === 'task' ? (
        <>
          <select
            aria-label="Task"
            value={data.task}
            onChange={(e) => data.setTask(e.target.value)}
          >
            {Object.keys(options?.tasks ?? {}).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
          <div className="fields">
            <SchemaFields
              fields={data.taskFields}
              prefix="task"
              values={data.taskValues}
              onChange={data.setTaskValue}
            />
          </div>
        </>
      ) : null}
      {source === 'file' ? (
        <TextFileInput
          client={client}
          nativeDialogs={nativeDialogs}
          path={data.file}
          file={data.fileInfo}
          onPath={data.setFile}
          onFile={data.takeFile}
          onError={onError}
          disabled={active}
        />
      ) : null}
      {source === 'puzzle' ? (
        <PuzzleFileInput
          client={client}
          nativeDialogs={nativeDialogs}
          layouts={options?.puzzleFiles ?? []}
          layout={data.layout}
          path={data.puzzlePath}
          onLayout={data.chooseLayout}
          onPath={data.setPuzzlePath}
          onError={onError}
          disabled={active}
        >
          <SchemaFields
            fields={data.puzzleFields}
            prefix="puzzle"
            values={data.puzzleValues}
            onChange={data.setPuzzleValue}
          />
        </PuzzleFileInput>
      ) : null}
      {data.textData ? (
        <>
          <TokenizerFields
            choice={data.textChoice}
            onChange={data.setTextChoice}
            disabled={active}
          />
          <VocabHint
            doc={doc}
            needed={requiredVocab(
              data.textChoice,
              source === 'file' && data.fileInfo?.path === data.file ? data.fileInfo : null,
            )}
            exact={data.textChoice.tokenizer === 'bpe'}
            onSetDim={active ? undefined : onSetDim}
            onUseTask={active ? undefined : data.pickDeclared}
          />
        </>
      ) : null}
    </>
  );
}
