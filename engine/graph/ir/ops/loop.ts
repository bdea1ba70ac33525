import { defineOp, fail, type OpBase, type OpDef, type Nested } from '../op-def.ts';
import type { IrOp } from './index.ts';

/**
 * A recursion: `body` runs `trips` times, its carried values fed back each trip. The body may
 * read values from outside it (weights, fixed inputs), listed in `captures` so liveness and
 * emitters see them. Only the last `gradSteps` trips keep gradients: the carried values leaving
 * an earlier trip are detached (TRM's no-gradient recursions; deep supervision detaches between
 * every step). The ONNX emitter maps it to one ONNX Loop; the tfjs executor runs it trip by
 * trip. Insight sweeps depth by changing `trips`.
 */
export interface LoopBody {
  /** Names the carried values take inside the body, one per `init`. */
  carried: string[];
  ops: IrOp[];
  /** Body values that become the next trip's carried values, one per `init`. */
  next: string[];
  /** Body values whose value after the last trip the Loop also returns (heads in the body). */
  finals: string[];
}

export interface LoopOp extends OpBase {
  op: 'Loop';
  /** The recursion node it came from, `<graph>/<node>` (`main` or the component's name). */
  site: string;
  trips: number;
  gradSteps: number;
  /** Carried values before the first trip. */
  init: string[];
  /** Outer values the body reads. */
  captures: string[];
  body: LoopBody;
  /** What the Loop returns: the carried values after the last trip, then the finals. */
  results: string[];
}

export const Loop: OpDef<LoopOp> = defineOp<LoopOp>({
  operands: ['init', 'captures'],
  results: (op) => op.results,
  nested(op): Nested {
    const { body } = op;
    if (body.carried.length !== op.init.length || body.next.length !== op.init.length)
      fail(
        op,
        `${op.init.length} carried values, but the body binds ${body.carried.length} and returns ${body.next.length}`,
      );
    if (op.results.length !== op.init.length + body.finals.length)
      fail(
        op,
        `${op.results.length} results for ${op.init.length} carried values and ${body.finals.length} finals`,
      );
    if (!(op.trips >= 1) || !(op.gradSteps >= 0 && op.gradSteps <= op.trips))
      fail(op, `${op.trips} trips with ${op.gradSteps} keeping gradients`);
    return {
      ops: body.ops,
      bind: body.carried.map((inner, i) => ({ inner, outer: op.init[i] as string })),
      outputs: [...body.next, ...body.finals],
      same: body.carried.map((c, i) => [c, body.next[i] as string] as [string, string]),
    };
  },
  // The first result is the first carried value: the type it enters with.
  type: (op, input) => input(op.init[0] as string),
});
