import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A Python interpreter with PyTorch, as `trm doctor` and the PyTorch engine see it. */
export interface TorchPython {
  python: string;
  pythonVersion: string;
  torch: string;
  /** Devices torch can train on here: `cpu`, and `cuda:<name>` / `mps` where present. */
  devices: string[];
  safetensors: boolean;
}

const PROBE = `
import json, platform, sys
out = {"python": sys.executable, "pythonVersion": platform.python_version()}
try:
    import torch
    out["torch"] = torch.__version__
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda:" + torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    out["devices"] = devices
except Exception as e:
    out["error"] = str(e)
try:
    import safetensors  # noqa: F401
    out["safetensors"] = True
except Exception:
    out["safetensors"] = False
print(json.dumps(out))
`;

/**
 * The interpreters tried, in order: $TRM_PYTHON, the python3 and python on PATH, then
 * Debian's /usr/bin/python3 (where apt's python3-torch lives when PATH starts elsewhere).
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [env.TRM_PYTHON, 'python3', 'python', '/usr/bin/python3'].filter(
    (p): p is string => !!p,
  );
  return [...new Set(list)];
}

export type TorchProbe =
  ({ ok: true } & TorchPython) | { ok: false; reason: string; tried: string[] };

/** The first interpreter that imports torch, or why none does. */
export async function findTorchPython(
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = pythonCandidates(env),
): Promise<TorchProbe> {
  const tried: string[] = [];
  let reason = 'no python interpreter was found';
  for (const python of candidates) {
    tried.push(python);
    try {
      const { stdout } = await run(python, ['-c', PROBE], { timeout: 60_000 });
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Partial<TorchPython> & {
        error?: string;
      };
      if (r.torch) {
        return {
          ok: true,
          python,
          pythonVersion: r.pythonVersion ?? '?',
          torch: r.torch,
          devices: r.devices ?? ['cpu'],
          safetensors: r.safetensors ?? false,
        };
      }
      reason = `${python} (Python ${r.pythonVersion}) cannot import torch${r.error ? `: ${r.error}` : ''}`;
    } catch {
      // Not installed under this name: try the next.
    }
  }
  return { ok: false, reason, tried };
}

/** The one sentence a user without PyTorch reads, with the command that fixes it. */
export function torchMissing(probe: { reason: string; tried: string[] }): string {
  return (
    `PyTorch was not found (${probe.reason}; tried ${probe.tried.join(', ')}). Install it with ` +
    '`pip install torch numpy` (or `apt install python3-torch` on Debian/Ubuntu), or point ' +
    'TRM_PYTHON at an interpreter that has it.'
  );
}
