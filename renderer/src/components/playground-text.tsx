import { useEffect, useRef, useState } from 'react';
import type { GenerationSettings, InferSource, ServerEvent } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import './fields.css';
import './playground-text.css';

type Strategy = GenerationSettings['strategy'];
type GenerationEvent = Extract<ServerEvent, { type: 'infer.token' | 'infer.done' }>;

/** The numeric controls, each shown for the strategies it applies to. */
const CONTROLS: {
  key: 'temperature' | 'topK' | 'topP' | 'beamWidth' | 'maxTokens' | 'seed';
  label: string;
  help: string;
  for: Strategy[];
  initial: string;
}[] = [
  {
    key: 'temperature',
    label: 'temperature',
    help: '0.001–10; higher = more random',
    for: ['sample'],
    initial: '0.8',
  },
  {
    key: 'topK',
    label: 'top-k',
    help: 'keep the K likeliest tokens (0 = all)',
    for: ['sample'],
    initial: '0',
  },
  {
    key: 'topP',
    label: 'top-p',
    help: 'keep the smallest set holding this much probability',
    for: ['sample'],
    initial: '0.95',
  },
  { key: 'beamWidth', label: 'beam width', help: 'beams kept (2–16)', for: ['beam'], initial: '4' },
  {
    key: 'maxTokens',
    label: 'max tokens',
    help: '1–2048',
    for: ['greedy', 'sample', 'beam'],
    initial: '64',
  },
  { key: 'seed', label: 'seed', help: "the sampler's seed", for: ['sample'], initial: '0' },
];

interface Output {
  prompt: string;
  text: string;
  tokens: number;
  /** When the first token arrived (the live rate counts from there, as the engine's does). */
  firstAt: number | null;
  tokensPerSecond: number | null;
  state: 'running' | 'done' | 'cancelled' | 'error';
}

/**
 * Prompt box, decoding controls and the streamed continuation. An encoder–decoder
 * (`sourceLength` given) takes a source of digits instead and shows the target it writes.
 */
export function TextPlayground({
  client,
  source,
  sourceLength,
}: {
  client: ApiClient;
  source: InferSource;
  /** An encoder–decoder's longest source: the prompt is a source, not text to continue. */
  sourceLength?: number;
}) {
  const seq2seq = sourceLength !== undefined;
  const [prompt, setPrompt] = useState(seq2seq ? '31415926'.slice(0, sourceLength) : 'The ');
  const [strategy, setStrategy] = useState<Strategy>('greedy');
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(CONTROLS.map((c) => [c.key, c.initial])),
  );
  const [out, setOut] = useState<Output | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = useRef<string | null>(null);
  /** Events that arrived before the reply naming their generation (they may overtake it). */
  const early = useRef(new Map<string, GenerationEvent[]>());

  const apply = (e: GenerationEvent) => {
    if (e.type === 'infer.done' && e.reason === 'error') setError(e.message);
    setOut((o) => {
      if (!o) return o;
      if (e.type === 'infer.token')
        return {
          ...o,
          text: o.text + e.text,
          tokens: e.tokens,
          firstAt: o.firstAt ?? performance.now(),
        };
      return {
        ...o,
        text: e.text,
        tokens: e.tokens,
        tokensPerSecond: e.tokensPerSecond,
        state: e.reason === 'length' ? 'done' : e.reason,
      };
    });
  };

  useEffect(
    () =>
      client.onEvent((e) => {
        if (e.type !== 'infer.token' && e.type !== 'infer.done') return;
        if (e.generationId === current.current) return apply(e);
        const list = early.current.get(e.generationId) ?? [];
        early.current.set(e.generationId, [...list, e]);
      }),
    [client],
  );

  // Leaving the playground stops what it started.
  useEffect(
    () => () => {
      if (current.current)
        void client.call('infer.cancel', { generationId: current.current }).catch(() => undefined);
    },
    [client],
  );

  const running = out?.state === 'running';
  // A target ends at its end token or the source length, so max tokens means nothing there.
  const controls = CONTROLS.filter(
    (c) => c.for.includes(strategy) && !(seq2seq && c.key === 'maxTokens'),
  );

  const generate = async () => {
    setError(null);
    const settings: Record<string, unknown> = { strategy };
    for (const c of controls) {
      const n = Number(values[c.key]);
      if (values[c.key]?.trim() === '' || !Number.isFinite(n))
        return setError(`${c.label} must be a number (${c.help}).`);
      settings[c.key] = n;
    }
    try {
      setOut({
        prompt,
        text: '',
        tokens: 0,
        firstAt: null,
        tokensPerSecond: null,
        state: 'running',
      });
      const { generationId } = await client.call('infer.generate', {
        source,
        prompt,
        settings: settings as GenerationSettings,
      });
      current.current = generationId;
      for (const e of early.current.get(generationId) ?? []) apply(e);
      early.current.clear();
    } catch (e) {
      setOut(null);
      setError((e as Error).message);
    }
  };

  const stop = () => {
    if (current.current)
      void client.call('infer.cancel', { generationId: current.current }).catch(() => undefined);
  };

  const liveRate =
    out && out.tokensPerSecond === null && out.firstAt !== null && out.tokens > 1
      ? (out.tokens - 1) / ((performance.now() - out.firstAt) / 1000)
      : out?.tokensPerSecond;

  return (
    <div className="text-playground">
      {seq2seq ? (
        <label className="field" title={`1–${sourceLength} digits`}>
          <span className="field-name">Source</span>
          <input
            aria-label="Source"
            className="prompt"
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
          />
          <span className="field-help">
            1–{sourceLength} digits; the model writes its target until its end token
          </span>
        </label>
      ) : (
        <textarea
          aria-label="Prompt"
          className="prompt"
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          rows={3}
        />
      )}
      <div className="segmented" role="radiogroup" aria-label="Decoding">
        {(['greedy', 'sample', 'beam'] as const).map((s) => (
          <button
            key={s}
            role="radio"
            aria-checked={strategy === s}
            className={strategy === s ? 'on' : ''}
            onClick={() => setStrategy(s)}
          >
            {s === 'greedy' ? 'Greedy' : s === 'sample' ? 'Sample' : 'Beam search'}
          </button>
        ))}
      </div>
      <div className="fields playground-controls">
        {controls.map((c) => (
          <label key={c.key} className="field" title={c.help}>
            <span className="field-name">{c.label}</span>
            <input
              aria-label={c.label}
              value={values[c.key]}
              onChange={(e) => setValues((v) => ({ ...v, [c.key]: e.target.value }))}
            />
            <span className="field-help">{c.help}</span>
          </label>
        ))}
      </div>
      <div className="playground-actions">
        {running ? (
          <button className="danger" onClick={stop}>
            Stop
          </button>
        ) : (
          <button className="primary" onClick={() => void generate()} disabled={!prompt}>
            Generate
          </button>
        )}
        <span className="muted" data-testid="generation-stats">
          {out
            ? `${out.tokens} tokens${liveRate ? ` · ${liveRate.toFixed(1)} tokens/s` : ''} · ${out.state}`
            : strategy === 'beam'
              ? 'beam search shows its best beam when it ends'
              : ''}
        </span>
      </div>
      {error ? (
        <div className="train-error" role="alert" data-testid="generation-error">
          {error}
        </div>
      ) : null}
      {out ? (
        <pre className="generation" data-testid="generation-output">
          <span className="muted">{seq2seq ? `${out.prompt} → ` : out.prompt}</span>
          <span data-testid="generated-text">{out.text}</span>
        </pre>
      ) : null}
    </div>
  );
}
