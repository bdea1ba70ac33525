import type { ExportGolden, OutputSummary, TemplateGolden } from './measure.ts';

/** Issue #15: the redesigned engine's values equal the recorded ones to 1e-5 relative. */
export const RELATIVE = 1e-5;

/** The differences found between recomputed and recorded values, one sentence each. */
export class Comparison {
  readonly differences: string[] = [];
  /** The largest |got − want| / tolerance seen: how close to failing the closest value came. */
  worst = 0;

  /**
   * |got − want| ≤ 1e-5 · max(|want|, scale). The floor `scale` is the magnitude the value was
   * computed from: float32 rounding leaves an error of a few ulp of the terms that were summed,
   * so a value near zero — a difference of terms that are not — carries the absolute error of
   * its terms, not a relative error of itself. Each call site names its scale.
   */
  value(where: string, got: number | undefined, want: number, scale: number): void {
    const tolerance = RELATIVE * Math.max(Math.abs(want), scale);
    const error = Math.abs((got ?? NaN) - want);
    this.worst = Math.max(this.worst, tolerance > 0 ? error / tolerance : error > 0 ? Infinity : 0);
    if (!(error <= tolerance))
      this.differences.push(
        `${where} is ${got} (recorded ${want}; |Δ| ${error.toExponential(2)} > ${tolerance.toExponential(2)})`,
      );
  }

  /** Shapes, names and counts: these match exactly or the values cannot be compared. */
  same(where: string, got: string, want: string): boolean {
    if (got === want) return true;
    this.differences.push(`${where} is ${got} (recorded ${want})`);
    return false;
  }

  keys(where: string, got: object, want: object): boolean {
    const names = (o: object) => `{${Object.keys(o).sort().join(', ')}}`;
    return this.same(where, names(got), names(want));
  }

  output(where: string, got: OutputSummary, want: OutputSummary): void {
    if (!this.same(`${where} shape`, `[${got.shape}]`, `[${want.shape}]`)) return;
    // An element's terms are of the output's typical size: its mean |value|.
    const typical =
      want.absSum /
      Math.max(
        1,
        want.shape.reduce((a, b) => a * b, 1),
      );
    want.first.forEach((w, i) => this.value(`${where}[${i}]`, got.first[i], w, typical));
    // A sum of signed values cancels; its rounding is that of the sum of their sizes.
    this.value(`${where} sum`, got.sum, want.sum, want.absSum);
    this.value(`${where} abs-sum`, got.absSum, want.absSum, 0);
  }

  /** Every output of one runtime (onnxruntime or the tfjs executor). */
  outputs(where: string, got: Record<string, OutputSummary>, want: Record<string, OutputSummary>) {
    if (!this.keys(`${where} output names`, got, want)) return;
    for (const [name, w] of Object.entries(want)) this.output(`${where} "${name}"`, got[name]!, w);
  }

  export(mode: string, got: ExportGolden, want: ExportGolden): void {
    if (this.keys(`the ${mode} export's inputs`, got.inputs, want.inputs)) {
      for (const [name, w] of Object.entries(want.inputs)) {
        const g = got.inputs[name]!;
        this.same(`${mode} input "${name}" shape`, `[${g.shape}]`, `[${w.shape}]`);
        // Seeded token ids and N(0, 1) draws, generated alike and summed in float64.
        this.value(`${mode} input "${name}" sum`, g.sum, w.sum, 0);
      }
    }
    for (const runtime of ['onnx', 'tfjs'] as const)
      this.outputs(`${mode} ${runtime}`, got[runtime], want[runtime]);
  }

  template(got: TemplateGolden, want: TemplateGolden): void {
    const missing = want.params.filter((p) => !got.params.includes(p));
    const added = got.params.filter((p) => !want.params.includes(p));
    // A parameter's name seeds its initial value: renamed, it starts elsewhere.
    this.same(
      'the parameters',
      `missing ${missing.join('; ') || 'none'}, new ${added.join('; ') || 'none'}`,
      'missing none, new none',
    );
    // Cross-entropies of a barely trained model: O(1) and far from zero, so relative alone.
    this.same('the number of losses', String(got.losses.length), String(want.losses.length));
    want.losses.forEach((w, i) => this.value(`the loss at step ${i + 1}`, got.losses[i], w, 0));
    this.value('the evaluation loss', got.evalLoss, want.evalLoss, 0);
    if (!this.keys('the export modes', got.exports, want.exports)) return;
    for (const mode of ['full', 'step'] as const) {
      const w = want.exports[mode];
      if (w) this.export(mode, got.exports[mode]!, w);
    }
  }
}
