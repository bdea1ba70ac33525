import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPairVerdict } from '../../engine/cli/commands/export.ts';
import type { EncoderDecoderReport } from '../../engine/onnx-runtime/export-encoder-decoder.ts';

describe("trm export's encoder–decoder verdict", () => {
  it('says the cached decoder was not written, then the rewrite’s own sentence why', () => {
    const why =
      'The decoder cannot be exported with past: the Attention from main/dec1/self has no cached form: it is a bidirectional self-attention, which sees later positions.';
    const report: EncoderDecoderReport = {
      ok: true,
      mode: 'encoder-decoder',
      precision: 'fp32',
      opset: 17,
      sources: 4,
      agreement: 1,
      maxAbsError: 1e-6,
      exactMatch: { tfjs: 0.5, onnx: 0.5 },
      mismatches: [],
      encoderBytes: 1000,
      decoderBytes: 2000,
      withPast: { skipped: why },
      failures: [],
    };
    const line = formatPairVerdict(report).find((l) => l.includes(why));
    assert.ok(line, formatPairVerdict(report).join('\n'));
    assert.ok(line.startsWith('decoder with past (KV cache): not written. '), line);
  });
});
