/**
 * Which saved tensor each wanted one is: the one of the same name, else — the document was
 * regrouped since it was trained: grouping moves a node's weights under `<component>/`,
 * ungrouping moves them back — the one saved tensor of the same size whose name ends with the
 * wanted name at a `/` (or that the wanted name ends with), when no other wanted tensor could
 * claim it. Wanted names left out of the result have no saved tensor.
 */
export function matchSavedNames(
  wanted: readonly { name: string; size: number }[],
  saved: readonly { name: string; size: number }[],
): Map<string, string> {
  const savedNames = new Set(saved.map((e) => e.name));
  const found = new Map<string, string>();
  const missing = wanted.filter((w) => {
    if (!savedNames.has(w.name)) return true;
    found.set(w.name, w.name);
    return false;
  });
  if (missing.length === 0) return found;
  const claimed = new Set(found.values());
  const loose = saved.filter((e) => !claimed.has(e.name));
  const moved = (a: string, b: string) => a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
  const candidates = missing.map((w) => ({
    name: w.name,
    list: loose.filter((e) => e.size === w.size && moved(w.name, e.name)),
  }));
  const demand = new Map<string, number>();
  for (const { list } of candidates)
    for (const e of list) demand.set(e.name, (demand.get(e.name) ?? 0) + 1);
  for (const { name, list } of candidates) {
    const only = list.length === 1 ? list[0]! : undefined;
    if (only && demand.get(only.name) === 1) found.set(name, only.name);
  }
  return found;
}
