import { findTorchPython, type TorchPython } from '../../engine/pytorch/python-env.ts';

let probed: Promise<TorchPython | string> | undefined;

/**
 * The interpreter with PyTorch the PyTorch-engine tests run, or why there is none (the tests
 * then skip with that sentence; CI installs Debian's python3-torch so they run there).
 */
export function torchPython(): Promise<TorchPython | string> {
  probed ??= findTorchPython().then((p) => (p.ok ? p : p.reason));
  return probed;
}
