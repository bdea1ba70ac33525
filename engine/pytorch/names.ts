/**
 * Names in the generated PyTorch code. A Studio weight `dec1/self/wq` lives in model.py as the
 * attribute path `self.dec1.self_.wq` and in every safetensors file (init, checkpoints, the
 * optimizer's `m/…`, `v/…`) under the same dotted key `dec1.self_.wq`: one function makes the
 * key everywhere — model.py, the package writer and `trm import` — so they cannot drift.
 */

/**
 * Python keywords, builtins a model might shadow, the module's own imports, and the members of
 * `nn.Module` an attribute of the same name would hide (a node called `train` or `eval` must
 * not replace the method).
 */
const RESERVED = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try ' +
    'while with yield self torch nn F math sum max min abs len range list dict type id input ' +
    'iter next map filter all any round pow print object super format hash slice set tuple ' +
    'attention batch_norm broadcast_like group_norm layer_norm recurrent rms_norm rotary ' +
    'training forward train eval to cuda cpu float double half bfloat16 apply parameters ' +
    'named_parameters buffers named_buffers children named_children modules named_modules ' +
    'state_dict load_state_dict zero_grad requires_grad_ register_buffer register_parameter ' +
    'register_module add_module get_parameter get_buffer get_submodule extra_repr share_memory ' +
    'dump_patches call_super_init'
  ).split(' '),
);

/** `raw` as a Python identifier that shadows nothing (`self` → `self_`, `2nd` → `v2nd`). */
export function identifier(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_');
  if (s === '' || s === '_') s = 'v';
  if (/^[0-9]/.test(s)) s = `v${s}`;
  if (RESERVED.has(s)) s = `${s}_`;
  return s;
}

/** A Studio weight or buffer name (`/`-separated) as its PyTorch state-dict key. */
export const torchName = (studio: string): string => studio.split('/').map(identifier).join('.');

/**
 * Throws when two Studio names become one PyTorch key (`a-b/w` and `a_b/w`), naming both: the
 * package could not hold both weights.
 */
export function checkTorchNames(studio: Iterable<string>): void {
  const seen = new Map<string, string>();
  for (const name of studio) {
    const key = torchName(name);
    const other = seen.get(key);
    if (other !== undefined && other !== name)
      throw new Error(
        `Weights '${other}' and '${name}' would both be '${key}' in PyTorch: rename one of their nodes (letters, digits and _ keep a name as it is).`,
      );
    seen.set(key, name);
  }
}

/** Whether `word` is a name generated code must not use for its own values. */
export const isReserved = (word: string): boolean => RESERVED.has(word);
