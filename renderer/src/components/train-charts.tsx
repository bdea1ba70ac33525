import { LiveChart } from './chart.tsx';
import type { Curves } from './train-curves.ts';

/** The run's four live curves; `version` moves when `curves` took a new point. */
export function TrainCharts({ curves: c, version }: { curves: Curves; version: number }) {
  return (
    <div className="charts">
      <LiveChart
        title="Loss"
        testId="chart-loss"
        version={version}
        data={[c.step, c.loss, c.valLoss]}
        series={[
          { label: 'train', color: '#7c9cff' },
          { label: 'validation', color: '#fbbf24', points: true },
        ]}
      />
      <LiveChart
        title="Accuracy"
        testId="chart-accuracy"
        version={version}
        data={[c.step, c.accuracy, c.valAccuracy]}
        series={[
          { label: 'train', color: '#34d399' },
          { label: 'validation', color: '#fbbf24', points: true },
        ]}
      />
      <LiveChart
        title="Learning rate"
        testId="chart-lr"
        version={version}
        data={[c.step, c.lr]}
        series={[{ label: 'lr', color: '#c084fc' }]}
      />
      <LiveChart
        title="Gradient norm"
        testId="chart-grad"
        version={version}
        data={[c.step, c.gradNorm]}
        series={[{ label: 'grad norm', color: '#f87171' }]}
      />
    </div>
  );
}
