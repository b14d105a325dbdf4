/**
 * Where names occur in a file's text. A node or statement whose source range holds none of the
 * names a marker needs cannot hold a flow, so the finder neither converts nor walks it.
 */

/** Sorted offsets where any of `names` occurs in `text`. */
export function offsetsOf(text: string, names: Iterable<string>): number[] {
  const out: number[] = [];
  for (const name of new Set(names)) {
    if (!name) continue;
    for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + name.length)) out.push(i);
  }
  return out.sort((a, b) => a - b);
}

/** Whether one of the sorted `hits` lies in `[start, end)`. */
export function hitIn(hits: readonly number[], start: number, end: number): boolean {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hits[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < hits.length && hits[lo]! < end;
}
