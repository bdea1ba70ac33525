import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmaxCells, solve, type StepModel } from './solve.ts';

/** A fake model that fixes one more cell per step and halts once all are right. */
function fixer(solution: number[], classes: number): StepModel<number> {
  return {
    classes,
    supervisionSteps: 10,
    init: async () => 0,
    step: async (_puzzle, fixed) => {
      const next = fixed + 1;
      const logits = new Float32Array(solution.length * classes);
      solution.forEach((v, c) => {
        logits[c * classes + (c < next ? v : 0)] = 1;
      });
      return { logits, halt: next >= solution.length ? 3 : -3, state: next };
    },
  };
}

describe('solve', () => {
  it('argmaxCells picks the best class per cell', () => {
    assert.deepEqual(Array.from(argmaxCells(new Float32Array([0, 1, 0, 5, 0, 0]), 3)), [1, 0]);
  });

  it('stops at the first positive halting logit and records every step', async () => {
    const seen: number[] = [];
    const trace = await solve(fixer([2, 3, 4], 5), new Int32Array(3), {
      onStep: (s) => seen.push(s),
    });
    assert.equal(trace.stepsUsed, 3);
    assert.ok(trace.halted);
    assert.deepEqual(Array.from(trace.answer), [2, 3, 4]);
    assert.deepEqual(Array.from(trace.answers[0]!), [2, 0, 0]);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('runs every supervision step when early halting is off', async () => {
    const trace = await solve(fixer([2, 3, 4], 5), new Int32Array(3), { earlyHalt: false });
    assert.equal(trace.stepsUsed, 10);
    assert.equal(trace.halted, false);
  });

  it('disposes the live state when a step callback throws', async () => {
    const disposed: number[] = [];
    const model = { ...fixer([2, 3, 4], 5), dispose: (s: number) => void disposed.push(s) };
    await assert.rejects(
      solve(model, new Int32Array(3), {
        onStep: (s) => {
          if (s === 2) throw new Error('stop');
        },
      }),
      /stop/,
    );
    // State 0 after step 1, state 1 after step 2, and state 2 (live when the callback threw).
    assert.deepEqual(disposed, [0, 1, 2]);
  });
});
