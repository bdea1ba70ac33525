import type { TrainEvent } from '../../../engine/contract/api.ts';

/** The curves of one run, as uPlot's aligned columns. */
export class Curves {
  step: number[] = [];
  loss: number[] = [];
  accuracy: number[] = [];
  lr: number[] = [];
  gradNorm: number[] = [];
  valLoss: (number | null)[] = [];
  valAccuracy: (number | null)[] = [];
  /** Takes the event's figures; true when the curves changed. */
  add(e: TrainEvent): boolean {
    if (e.type === 'step') {
      const m = e.metrics;
      this.step.push(m.step);
      this.loss.push(m.loss);
      this.accuracy.push(m.accuracy);
      this.lr.push(m.lr);
      this.gradNorm.push(m.gradNorm);
      this.valLoss.push(null);
      this.valAccuracy.push(null);
      return true;
    }
    if (e.type === 'eval') {
      let i = this.step.lastIndexOf(e.report.step);
      if (i < 0) {
        i = this.step.length - 1;
        if (i < 0) return false;
      }
      this.valLoss[i] = e.report.loss;
      this.valAccuracy[i] = e.report.accuracy;
      return true;
    }
    return false;
  }
}
