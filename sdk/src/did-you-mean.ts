/** "Did you mean …?" for a mistyped config key, command, flag, environment or flow name. */

/**
 * The known word that `key` is likely a misspelling of: at most about a third of its letters off,
 * ignoring case and the way words are joined (`weekly-report`, `weekly_report` and `weeklyReport`
 * are one name, `Dev` is `dev`, `--no-cache` is `--nocache`). With `prefixes` (for flags), failing
 * that, a known word of at least three letters that `key` starts with or is the start of: the
 * longer or shorter spelling of one flag (`--enviroment` for `--env`).
 */
export function closest(
  key: string,
  known: readonly string[],
  options: { prefixes?: boolean } = {},
): string | undefined {
  const typed = fold(key);
  const allowed = Math.max(1, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of known) {
    const distance = editDistance(typed, fold(candidate));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  if (best !== undefined || !options.prefixes) return best;
  // The longest such word: --environment is --env, not --e.
  let longest = 0;
  for (const candidate of known) {
    const word = fold(candidate);
    const shorter = Math.min(word.length, typed.length);
    if (shorter < 3 || shorter <= longest) continue;
    if (typed.startsWith(word) || word.startsWith(typed)) [best, longest] = [candidate, shorter];
  }
  return best;
}

/** The letters and digits of a word, lower case: how it is spelt, not how its parts are joined. */
function fold(word: string): string {
  return word.toLowerCase().replace(/[-_.\s]/g, '');
}

/**
 * Edit distance (optimal string alignment): each inserted, deleted or replaced character counts
 * one, and so does a swap of two neighbours, the most common typo (nmae → name).
 */
function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  // d[i * width + j]: the distance between the first i characters of a and the first j of b.
  const d: number[] = [];
  const at = (i: number, j: number) => d[i * width + j]!;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        d[i * width + j] = i + j;
        continue;
      }
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}
