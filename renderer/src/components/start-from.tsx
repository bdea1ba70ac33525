import { useEffect, useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { ParsedParams } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { RunSelect, useCheckpointRuns } from './run-select.tsx';

/** What a fine-tuned run starts from; null: fresh weights. */
export type StartFrom = NonNullable<ParsedParams<'train.start'>['initFrom']>;

/**
 * The Train panel's "Start from…": a run with a checkpoint (the open document's first) and one
 * of its checkpoints, whose weights the next run starts from by name; and whether to resize
 * the embedding when the data's vocabulary is not the run's.
 */
export function StartFromPicker({
  client,
  doc,
  value,
  onChange,
  onError,
  disabled,
}: {
  client: ApiClient;
  doc: GraphDocument;
  value: StartFrom | null;
  onChange: (value: StartFrom | null) => void;
  onError: (message: string) => void;
  disabled: boolean;
}) {
  // Listed again whenever a run ends, so a run just trained can be started from.
  const [ended, setEnded] = useState(0);
  useEffect(
    () =>
      client.onEvent((e) => {
        if (e.type === 'train.event' && (e.event.type === 'stopped' || e.event.type === 'error'))
          setEnded((n) => n + 1);
      }),
    [client],
  );
  const runs = useCheckpointRuns(client, doc, onError, ended);
  const runId = value?.runId ?? '';
  const [checkpoints, setCheckpoints] = useState<string[]>([]);
  useEffect(() => {
    setCheckpoints([]);
    if (!runId) return;
    let live = true;
    client.call('runs.get', { runId }).then(
      (d) => live && setCheckpoints(d.checkpoints.filter((c) => /^step-\d+$/.test(c)).reverse()),
      (e: Error) => live && onError(e.message),
    );
    return () => {
      live = false;
    };
  }, [client, runId, onError]);

  const set = (patch: Partial<StartFrom>) =>
    onChange({ runId, resizeEmbedding: false, ...value, ...patch });
  return (
    <div className="start-from" data-testid="start-from">
      <h3>Start from…</h3>
      <RunSelect
        ours={runs?.ours ?? []}
        others={runs?.others ?? []}
        value={runId}
        none="Fresh weights (no earlier run)"
        disabled={disabled}
        onChange={(id) => onChange(id ? { runId: id, resizeEmbedding: false } : null)}
      />
      {value ? (
        <>
          <select
            aria-label="Checkpoint"
            value={value.checkpoint ?? ''}
            disabled={disabled}
            onChange={(e) =>
              onChange({
                runId: value.runId,
                resizeEmbedding: value.resizeEmbedding,
                ...(e.target.value ? { checkpoint: e.target.value } : {}),
              })
            }
          >
            <option value="">Latest checkpoint</option>
            {checkpoints.map((c) => (
              <option key={c} value={c}>
                {c.replace(/^step-0*(\d)/, 'step $1')}
              </option>
            ))}
          </select>
          <label className="start-from-resize">
            <input
              type="checkbox"
              checked={value.resizeEmbedding}
              disabled={disabled}
              onChange={(e) => set({ resizeEmbedding: e.target.checked })}
            />
            Resize the embedding (keeps shared tokens&apos; rows when the data&apos;s vocabulary
            differs)
          </label>
          <div className="help">
            Weights are matched by name; those whose shape changed, and new ones, start afresh.
            Freeze nodes or scale their learning rate with the trainer&apos;s freeze and lrScale.
          </div>
        </>
      ) : null}
    </div>
  );
}
