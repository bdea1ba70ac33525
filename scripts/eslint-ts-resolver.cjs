// An import resolver for eslint-plugin-boundaries (eslint-module-utils interface v2) that finds
// the file behind a relative specifier however it is spelled: './x.ts', './x', './x.js' (which
// TypeScript maps to x.ts) or a folder's index. The layer rule then judges the file a module
// really loads, so a misspelled specifier cannot slip past it. Package and Node built-in
// specifiers stay unresolved on purpose: the rule reads them by name.
const { statSync } = require('node:fs');
const path = require('node:path');

/** What TypeScript and tsx load for a JavaScript extension. */
const SOURCE_FOR = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

exports.interfaceVersion = 2;

exports.resolve = function resolve(source, file) {
  if (!source.startsWith('./') && !source.startsWith('../')) return { found: false };
  const target = path.resolve(path.dirname(file), source);
  const ext = path.extname(target);
  const stem = target.slice(0, target.length - ext.length);
  const candidates = [
    target,
    ...(SOURCE_FOR[ext] ?? []).map((e) => stem + e),
    `${target}.ts`,
    `${target}.tsx`,
    path.join(target, 'index.ts'),
    path.join(target, 'index.tsx'),
  ];
  const hit = candidates.find(isFile);
  return hit ? { found: true, path: hit } : { found: false };
};
