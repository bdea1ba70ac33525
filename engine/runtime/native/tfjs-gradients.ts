import { register } from 'node:module';

/**
 * tfjs-core's Node bundle (`main`) ships without gradient functions: they live only in its
 * ES-module `dist/` files, whose extensionless and directory imports Node cannot resolve
 * (the `@tensorflow/tfjs` umbrella package normally registers them). A resolve hook limited
 * to tfjs-core's `dist/` adds the `.js` / `/index.js` Node needs, then the registration
 * module loads once. Gradient configs are stored in tfjs's global registry, so the CJS copy
 * that `import * as tf` gives sees them.
 */
const hook = `
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (specifier.startsWith('.') && parent.includes('/@tensorflow/tfjs-core/dist/') && !specifier.endsWith('.js')) {
    const url = new URL(specifier, parent);
    const path = fileURLToPath(url);
    if (existsSync(path + '.js')) return next(url.href + '.js', context);
    if (existsSync(path) && statSync(path).isDirectory()) return next(url.href + '/index.js', context);
  }
  return next(specifier, context);
}`;

let loaded: Promise<void> | undefined;

/** Register tfjs's gradient functions (idempotent). Call before any tf.variableGrads. */
export function registerGradients(): Promise<void> {
  loaded ??= (async () => {
    register(`data:text/javascript,${encodeURIComponent(hook)}`);
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  })();
  return loaded;
}
