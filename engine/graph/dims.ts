/** A dimension is a concrete size or a symbol such as `B` (batch) or `T` (sequence). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export const BATCH: Dim = 'B';
export const SEQ: Dim = 'T';

export function formatShape(shape: Shape): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

export function sameDim(a: Dim, b: Dim): boolean {
  return a === b;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i] as Dim));
}

export function lastDim(shape: Shape): Dim | undefined {
  return shape[shape.length - 1];
}

/** Product of the concrete dimensions; symbols count as 1 (used for per-token figures). */
export function concreteSize(shape: Shape): number {
  return shape.reduce<number>((n, d) => (typeof d === 'number' ? n * d : n), 1);
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
