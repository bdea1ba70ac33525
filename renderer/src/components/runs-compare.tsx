import { useMemo } from 'react';
import { describeDiff, signed } from '../../../engine/graph/diff-text.ts';
import { diffDocuments } from '../../../engine/graph/diff.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';
import type { RunDetail, RunMetrics, RunSummary } from '../../../engine/contract/api.ts';
import { LiveChart } from './chart.tsx';
import './verify-table.css';
import './runs-compare.css';

/** One colour per selected run, in selection order (distinct on the dark background). */
export const RUN_COLORS = [
  '#7c9cff',
  '#fbbf24',
  '#34d399',
  '#f87171',
  '#c084fc',
  '#22d3ee',
  '#fb923c',
  '#a3e635',
];

/** What a run is called in legends and tables: its name and the time/suffix of its id. */
export function runLabel(run: RunSummary): string {
  return `${run.name} ${run.runId.replace(/^\d{8}-/, '')}`;
}

/**
 * uPlot wants one x column shared by every series: the union of the runs' steps, each run's
 * values placed at its own steps and null elsewhere (gaps are spanned).
 */
function overlay(columns: { step: number[]; value: number[] }[]): (number | null)[][] {
  const steps = [...new Set(columns.flatMap((c) => c.step))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const series = columns.map((c) => {
    const out: (number | null)[] = new Array<number | null>(steps.length).fill(null);
    c.step.forEach((s, i) => (out[at.get(s)!] = c.value[i]!));
    return out;
  });
  return [steps, ...series];
}

type Curve = (d: RunDetail) => { step: number[]; value: number[] };

const CURVES: { title: string; testId: string; points?: boolean; pick: Curve }[] = [
  {
    title: 'Training loss',
    testId: 'runs-chart-loss',
    pick: (d) => ({ step: d.series.train.step, value: d.series.train.loss }),
  },
  {
    title: 'Validation loss',
    testId: 'runs-chart-val-loss',
    points: true,
    pick: (d) => ({ step: d.series.validation.step, value: d.series.validation.loss }),
  },
  {
    title: 'Training accuracy',
    testId: 'runs-chart-accuracy',
    pick: (d) => ({ step: d.series.train.step, value: d.series.train.accuracy }),
  },
  {
    title: 'Validation accuracy',
    testId: 'runs-chart-val-accuracy',
    points: true,
    pick: (d) => ({ step: d.series.validation.step, value: d.series.validation.accuracy }),
  },
];

/** The selected runs' curves overlaid, one colour per run. */
export function RunCharts({ details }: { details: RunDetail[] }) {
  const key = details.map((d) => `${d.run.runId}:${d.series.recordedSteps}`).join('|');
  return (
    <div className="charts runs-charts" data-testid="runs-charts">
      {CURVES.map((c) => (
        <LiveChart
          // The chart fixes its series when it mounts: a new selection is a new chart.
          key={`${c.testId}|${key}`}
          title={c.title}
          testId={c.testId}
          version={0}
          data={overlay(details.map(c.pick))}
          series={details.map((d, i) => ({
            label: runLabel(d.run),
            color: RUN_COLORS[i % RUN_COLORS.length]!,
            points: c.points,
          }))}
        />
      ))}
    </div>
  );
}

interface MetricRow {
  label: string;
  pick: (run: RunSummary) => number | null | undefined;
  /** Which direction is an improvement. */
  better: 'lower' | 'higher' | 'none';
  digits: number;
}

const pickMetric = (k: keyof RunMetrics) => (r: RunSummary) => r.metrics?.[k];

const METRIC_ROWS: MetricRow[] = [
  { label: 'Final loss', pick: pickMetric('loss'), better: 'lower', digits: 4 },
  { label: 'Best validation loss', pick: pickMetric('bestValLoss'), better: 'lower', digits: 4 },
  { label: 'Final accuracy', pick: pickMetric('accuracy'), better: 'higher', digits: 4 },
  {
    label: 'Best validation accuracy',
    pick: pickMetric('bestValAccuracy'),
    better: 'higher',
    digits: 4,
  },
  { label: 'Parameters', pick: (r) => r.params, better: 'none', digits: 0 },
  { label: 'Tokens/s', pick: pickMetric('tokensPerSec'), better: 'higher', digits: 0 },
  { label: 'Steps', pick: (r) => r.step, better: 'none', digits: 0 },
];

function figure(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined) return '—';
  return digits ? v.toFixed(digits) : Math.round(v).toLocaleString('en-US');
}

function deltaOf(row: MetricRow, a: number | null | undefined, b: number | null | undefined) {
  if (a === null || a === undefined || b === null || b === undefined)
    return { text: '—', tone: '' };
  const d = b - a;
  const text = row.digits
    ? `${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d).toFixed(row.digits)}`
    : signed(Math.round(d));
  const improved = row.better === 'lower' ? d < 0 : d > 0;
  const tone = row.better === 'none' || d === 0 ? '' : improved ? 'better' : 'worse';
  return { text, tone };
}

/** Figures of two runs side by side with the change from the older to the newer. */
function MetricDiff({ a, b }: { a: RunSummary; b: RunSummary }) {
  return (
    <table className="verify-table metric-diff" data-testid="metric-diff">
      <thead>
        <tr>
          <th />
          <th>{runLabel(a)}</th>
          <th>{runLabel(b)}</th>
          <th>change</th>
        </tr>
      </thead>
      <tbody>
        {METRIC_ROWS.map((row) => {
          const [va, vb] = [row.pick(a), row.pick(b)];
          const d = deltaOf(row, va, vb);
          return (
            <tr key={row.label}>
              <th>{row.label}</th>
              <td>{figure(va, row.digits)}</td>
              <td>{figure(vb, row.digits)}</td>
              <td className={d.tone}>{d.text}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Exactly two runs: what changed in the architecture, beside what changed in the numbers. */
export function RunDiff({ details }: { details: [RunDetail, RunDetail] }) {
  // Older first, so "before → after" reads in the order the edits were made.
  const [a, b] = [...details].sort((x, y) => x.run.startedAt.localeCompare(y.run.startedAt)) as [
    RunDetail,
    RunDetail,
  ];
  const lines = useMemo(() => {
    if (!a.graph || !b.graph) return null;
    const diff = diffDocuments(a.graph, b.graph, {
      before: analyzeDocument(a.graph),
      after: analyzeDocument(b.graph),
    });
    return describeDiff(diff);
  }, [a.graph, b.graph]);
  return (
    <div className="runs-diff">
      <section className="graph-diff" data-testid="graph-diff" aria-label="Graph diff">
        <h3>
          Graph: {runLabel(a.run)} → {runLabel(b.run)}
        </h3>
        {lines === null ? (
          <p className="muted">{a.graphProblem ?? b.graphProblem}</p>
        ) : lines.length === 0 ? (
          <p className="muted">Same architecture: the runs differ only in data or settings.</p>
        ) : (
          <ul>
            {lines.map((l, i) => (
              <li key={i} className={`diff-${l.what} diff-${l.status}`}>
                {l.text}
              </li>
            ))}
          </ul>
        )}
        <SettingsDiff a={a} b={b} />
      </section>
      <section aria-label="Metric differences">
        <h3>Metrics</h3>
        <MetricDiff a={a.run} b={b.run} />
      </section>
    </div>
  );
}

/** Trainer settings and data that differ between the two runs (the other half of "what changed"). */
function SettingsDiff({ a, b }: { a: RunDetail; b: RunDetail }) {
  const rows: [string, string, string][] = [];
  const keys = new Set([...Object.keys(a.config ?? {}), ...Object.keys(b.config ?? {})]);
  for (const k of [...keys].sort()) {
    const [x, y] = [JSON.stringify(a.config?.[k]), JSON.stringify(b.config?.[k])];
    if (x !== y) rows.push([k, x ?? 'unset', y ?? 'unset']);
  }
  if (a.run.data !== b.run.data) rows.push(['data', a.run.data, b.run.data]);
  if (!rows.length) return null;
  return (
    <ul className="settings-diff" data-testid="settings-diff">
      {rows.map(([k, x, y]) => (
        <li key={k}>
          setting {k} {x} → {y}
        </li>
      ))}
    </ul>
  );
}
