import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The ONNX models in an `exports/` folder, relative to it and sorted: single files
 * (`tiny.fp32.onnx`, from before export folders) and the models of each export folder
 * (`tiny-gpt-full/onnx/model_int8.onnx`). Missing folders list nothing.
 */
export async function listExportModels(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith('.onnx')) found.push(e.name);
    else if (e.isDirectory()) {
      const inner = await readdir(join(folder, e.name, 'onnx')).catch(() => [] as string[]);
      for (const name of inner.filter((n) => n.endsWith('.onnx')))
        if ((await stat(join(folder, e.name, 'onnx', name)).catch(() => null))?.isFile())
          found.push(`${e.name}/onnx/${name}`);
    }
  }
  return found.sort();
}
