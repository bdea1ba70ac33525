import { parentPort } from 'node:worker_threads';
import { z } from 'zod';
import { TrainControl } from './control.ts';
import { TrainCommand, TrainRequest, type TrainEvent } from '../contract/events.ts';
import { train } from './trainer.ts';
import type { DataSpec } from '../data/spec.ts';

/**
 * Worker-thread entry of a TrainingSession: receives one `start` message, then commands;
 * posts TrainEvents. Training runs here, so the host's event loop (the UI's) stays free.
 */
const Inbound = z.union([
  z.strictObject({ type: z.literal('start'), request: TrainRequest }),
  TrainCommand,
]);

if (!parentPort) throw new Error('engine/train/worker.ts runs only as a worker thread.');
const port = parentPort;
const control = new TrainControl();
let started = false;
const post = (e: TrainEvent) => port.postMessage(e);

port.on('message', (raw: unknown) => {
  const msg = Inbound.safeParse(raw);
  if (!msg.success) {
    post({
      type: 'error',
      message: `The trainer received a malformed message: ${msg.error.issues[0]!.message}.`,
      step: 0,
    });
    return;
  }
  switch (msg.data.type) {
    case 'start': {
      if (started) return;
      started = true;
      const req = msg.data.request;
      void run(req);
      return;
    }
    case 'pause':
      control.pause();
      return;
    case 'resume':
      control.resume();
      return;
    case 'stop':
      control.stop();
      return;
  }
});

async function run(req: z.output<typeof TrainRequest>): Promise<void> {
  try {
    const result = await train({
      document: req.document,
      ...(req.data !== undefined ? { data: req.data as DataSpec } : {}),
      config: req.config,
      ...(req.outDir ? { outDir: req.outDir } : {}),
      ...(req.resume ? { resume: req.resume } : {}),
      ...(req.initFrom ? { initFrom: req.initFrom } : {}),
      control,
      onEvent: post,
    });
    result.model.dispose();
  } catch (e) {
    // train() has already turned the failure into a sentence (engine/runtime/failures.ts).
    post({ type: 'error', message: (e as Error).message, step: 0 });
  }
  port.close();
}
