import { useEffect, useState } from 'react';
import type { Result } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';

export type Engines = Result<'train.engines'>;

/** Which engine trains the next run, and with how many processes (PyTorch under torchrun). */
export interface EngineValue {
  engine: 'tfjs' | 'pytorch';
  processes: number;
}

/**
 * The Train panel's engine: tfjs in this process, or PyTorch through the python the engine
 * found (its torch version and devices named); a missing PyTorch is one sentence with the
 * install command, and its option stays off.
 */
export function EngineChoice({
  client,
  value,
  onChange,
  disabled,
}: {
  client: ApiClient;
  value: EngineValue;
  onChange: (value: EngineValue) => void;
  disabled: boolean;
}) {
  const [engines, setEngines] = useState<Engines | null>(null);
  useEffect(() => {
    let live = true;
    client.call('train.engines', {}).then(
      (e) => live && setEngines(e),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);
  const pt = engines?.pytorch;
  const ptLabel = !pt
    ? 'PyTorch (looking for python…)'
    : pt.ok
      ? `PyTorch ${pt.torch} (${pt.devices.join(', ')})`
      : 'PyTorch (not found)';
  return (
    <div className="engine-choice" data-testid="engine-choice">
      <h3>Engine</h3>
      <select
        aria-label="Engine"
        value={value.engine}
        disabled={disabled}
        onChange={(e) => onChange({ ...value, engine: e.target.value as EngineValue['engine'] })}
      >
        <option value="tfjs">tfjs (this process)</option>
        <option value="pytorch" disabled={!pt?.ok}>
          {ptLabel}
        </option>
      </select>
      {value.engine === 'pytorch' ? (
        <label className="engine-processes">
          Processes
          <input
            type="number"
            min={1}
            max={64}
            aria-label="Processes"
            value={value.processes}
            disabled={disabled}
            onChange={(e) =>
              onChange({
                ...value,
                processes: Math.max(1, Math.floor(Number(e.target.value) || 1)),
              })
            }
          />
        </label>
      ) : null}
      <div className="help" data-testid="engine-help">
        {value.engine === 'pytorch' && pt?.ok
          ? `The graph is written as a PyTorch project into the run folder and trained by ${pt.python}${value.processes > 1 ? ` under torchrun with ${value.processes} processes (the batch is split between them)` : ''}.`
          : pt && !pt.ok
            ? pt.reason
            : 'tfjs trains in the Studio itself, on its fastest backend here.'}
      </div>
    </div>
  );
}
