import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { sameShape } from '../dims.ts';
import type { IrState } from '../ir.ts';
import { defineKind, type LowerContext, type Scope, type TensorValue } from '../node-kind.ts';
import { instanceScope, portsOf } from './component.ts';

export const CarryPair = z.strictObject({
  output: z.string().min(1).describe('Component output fed back…'),
  input: z.string().min(1).describe('…into this component input at the next step.'),
});

export const RecursionParams = z.strictObject({
  component: z.string().min(1).describe('Component applied at every step.'),
  steps: z
    .number()
    .int()
    .min(1)
    .max(4096)
    .describe('How many times the component runs: a number, or a dim such as n.'),
  carry: z.array(CarryPair).max(64).describe('Outputs fed back into inputs (the carried state).'),
  /** @default 'shared' — one set of weights for every step (TRM). */
  weights: z
    .enum(['shared', 'per-step'])
    .default('shared')
    .describe('Share weights across steps, or one set per step.'),
  /** @default all steps — TRM keeps gradients through the last outer step only. */
  gradSteps: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Only the last N steps keep gradients (empty: all); TRM uses 1.'),
  /** @default false — each step supervised, state detached between steps (TRM's N_sup loop). */
  deepSupervision: z
    .boolean()
    .default(false)
    .describe(
      'Supervise every step and detach the state between steps (TRM’s outer loop); needs shared weights.',
    ),
});
type RecursionParams = z.infer<typeof RecursionParams>;

/** Steps from raw parameters (a number or a dim's name); 0 when not known. */
function stepsOf(p: Record<string, unknown>, dims: Readonly<Record<string, number>>): number {
  const n = typeof p.steps === 'string' ? dims[p.steps] : p.steps;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function stepScope(ctx: LowerContext, p: RecursionParams, step: number): Scope {
  if (p.weights === 'shared') return instanceScope(ctx.scope, ctx.nodeId, p.component, true);
  const own = `${ctx.scope.prefix}${ctx.nodeId}/step${step}/`;
  return { prefix: own, owner: own };
}

function checkCarry(
  p: RecursionParams,
  ctx: LowerContext,
  out: Record<string, TensorValue>,
  inp: Record<string, TensorValue>,
): boolean {
  for (const { output, input } of p.carry) {
    const o = out[output];
    const i = inp[input];
    if (o && i && !sameShape(o.shape, i.shape)) {
      ctx.report(messages.recursionCarryShape(ctx.nodeId, output, input, o.shape, i.shape));
      return false;
    }
  }
  return true;
}

function lowerStep(p: RecursionParams, inputs: Record<string, TensorValue>, ctx: LowerContext) {
  // One supervision step: the carried inputs become program inputs; the trainer (or an
  // exported model's host) feeds each step's outputs back and decides when to stop.
  const bound = { ...inputs };
  const state: IrState[] = [];
  for (const { output, input } of p.carry) {
    const init = inputs[input] as TensorValue;
    const name = ctx.input(`${ctx.nodeId}.${input}`, init, 'state');
    bound[input] = { ...init, value: name };
    state.push({
      input: name,
      output: `${ctx.nodeId}.${output}`,
      init: init.value,
      shape: [...init.shape],
    });
  }
  const out = ctx.instantiate(p.component, bound, stepScope(ctx, p, 0));
  if (!out || !checkCarry(p, ctx, out, bound)) return undefined;
  ctx.supervise(
    p.steps,
    state.map((s, i) => ({
      ...s,
      output: (out[(p.carry[i] as { output: string }).output] as TensorValue).value,
    })),
  );
  return out;
}

export const recursion = defineKind({
  kind: 'recursion',
  title: 'Recursion',
  category: 'structure',
  doc: 'Runs a component N times, feeding named outputs back to inputs; other inputs stay fixed.',
  params: RecursionParams,
  body: {
    component: (p) => (typeof p.component === 'string' ? p.component : undefined),
    repeat: (p, dims) => stepsOf(p, dims),
    held: (p, dims) => {
      const steps = stepsOf(p, dims);
      if (p.deepSupervision === true) return Math.min(steps, 1);
      const grad = typeof p.gradSteps === 'number' ? Math.min(p.gradSteps, steps) : steps;
      return grad + (grad < steps ? 1 : 0);
    },
    weights: (p) => (p.weights === 'per-step' ? 'per-step' : 'shared'),
  },
  ports: (p, ctx) => portsOf(p.component, ctx) ?? { inputs: [], outputs: [] },
  infer: (p, _inputs, ctx) => {
    const ports = ctx.componentPorts(p.component);
    if (!ports) return undefined;
    if (p.carry.length === 0) {
      ctx.report(messages.recursionNoCarry(ctx.nodeId));
      return undefined;
    }
    for (const { output, input } of p.carry) {
      if (!ports.outputs.some((o) => o.name === output)) {
        ctx.report(
          messages.recursionBadCarry(
            ctx.nodeId,
            `"${output}" is not an output of component "${p.component}" (outputs: ${ports.outputs.map((o) => o.name).join(', ') || 'none'}). Pick one of its outputs`,
          ),
        );
        return undefined;
      }
      if (!ports.inputs.some((i) => i.name === input)) {
        ctx.report(
          messages.recursionBadCarry(
            ctx.nodeId,
            `"${input}" is not an input of component "${p.component}" (inputs: ${ports.inputs.map((i) => i.name).join(', ') || 'none'}). Pick one of its inputs`,
          ),
        );
        return undefined;
      }
    }
    const fed = p.carry.map((c) => c.input);
    const twice = fed.find((input, i) => fed.indexOf(input) !== i);
    if (twice !== undefined) {
      ctx.report(
        messages.recursionBadCarry(
          ctx.nodeId,
          `input "${twice}" is fed back twice in "carry", but each input carries one output. Remove one of the two pairs`,
        ),
      );
      return undefined;
    }
    if (p.deepSupervision && p.weights === 'per-step') {
      // Step mode trains one step program for every supervision step: one set of weights.
      ctx.report(messages.supervisionPerStep(ctx.nodeId));
      return undefined;
    }
    if (p.gradSteps !== undefined && p.gradSteps > p.steps) {
      ctx.report(messages.gradStepsTooMany(ctx.nodeId, p.gradSteps, p.steps));
      return undefined;
    }
    return {};
  },
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx) => {
    if (ctx.mode === 'check') {
      const budget = ctx.opBudget();
      const out = ctx.instantiate(p.component, inputs, stepScope(ctx, p, 0), p.steps);
      if (!out || !checkCarry(p, ctx, out, inputs)) return undefined;
      const perStep = p.weights === 'per-step';
      if (perStep && (budget - ctx.opBudget()) * (p.steps - 1) > ctx.opBudget()) {
        ctx.tooLarge();
        return undefined;
      }
      // Per-step weights exist once per step; declare the others so counts are right.
      for (let s = 1; s < p.steps && perStep; s++) {
        ctx.instantiate(p.component, inputs, stepScope(ctx, p, s), 0);
      }
      return out;
    }
    if (ctx.mode === 'step' && p.deepSupervision) return lowerStep(p, inputs, ctx);
    const noGrad = p.steps - (p.gradSteps ?? p.steps);
    let current = { ...inputs };
    let out: Record<string, TensorValue> | undefined;
    for (let s = 0; s < p.steps; s++) {
      const budget = ctx.opBudget();
      out = ctx.instantiate(p.component, current, stepScope(ctx, p, s));
      if (!out || (s === 0 && !checkCarry(p, ctx, out, current))) return undefined;
      // One step's size tells the unrolled size: refuse now rather than at the limit.
      if (s === 0 && (budget - ctx.opBudget()) * (p.steps - 1) > ctx.opBudget()) {
        ctx.tooLarge();
        return undefined;
      }
      const detach = s < noGrad || (p.deepSupervision && s < p.steps - 1);
      const next = { ...current };
      for (const { output, input } of p.carry) {
        const v = out[output] as TensorValue;
        next[input] = detach ? { ...v, value: ctx.op({ op: 'StopGradient', x: v.value }) } : v;
      }
      current = next;
    }
    return out;
  },
});
