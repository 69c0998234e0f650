/**
 * "Did you mean" for misspelt names: the closest candidate by edit distance.
 *
 * @module
 */

/**
 * Levenshtein distance between `a` and `b` (insertions, deletions,
 * substitutions; a swap of two neighbours counts as one edit).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Whether every character of `word` occurs in `candidate`, in order. */
function isSubsequence(word: string, candidate: string): boolean {
  let i = 0;
  for (let j = 0; j < candidate.length && i < word.length; j++) {
    if (candidate[j] === word[i]) i++;
  }
  return i === word.length;
}

/**
 * The candidate closest to `word`, or null when none is close enough to be
 * a likely typo (at most a third of the longer word's letters differ, and
 * at least 1 edit is always tolerated). Case is ignored. Of the close
 * candidates, one that contains every character typed, in order, wins
 * (`fnv1a64` means `fnv1a_64`, not `fnv1_64`); then the fewest edits.
 * Words far longer than every candidate are not compared at all, so a
 * hostile value costs nothing.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * console.assert(closest("hsah", ["hash", "listen"]) === "hash");
 * console.assert(closest("colour", ["hash", "listen"]) === null);
 * console.assert(closest("fnv1a64", ["fnv1_64", "fnv1a_64"]) === "fnv1a_64");
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestRank = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const tolerance = Math.max(1, Math.floor(Math.max(w.length, lc.length) / 3));
    // The distance is at least the difference in length.
    if (Math.abs(w.length - lc.length) > tolerance) continue;
    const distance = editDistance(w, lc);
    if (distance > tolerance) continue;
    // Subsequence matches rank before all others, then by distance.
    const rank = distance - (isSubsequence(w, lc) ? 1000 : 0);
    if (rank < bestRank) {
      best = c;
      bestRank = rank;
    }
  }
  return best;
}
