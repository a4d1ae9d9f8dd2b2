/** Median and MAD: baselines that a few anomalous hours in the history cannot drag along. */

export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return NaN;
  // Quickselect, not a sort: every closed hour takes several medians over 4 weeks of history, and
  // a full sort made the detector the slowest stage of a pipeline (BENCHMARKS.md).
  const a = Float64Array.from(values);
  const mid = n >> 1;
  const upper = select(a, mid);
  return n % 2 === 1 ? upper : (maxBelow(a, mid) + upper) / 2;
}

/** The k-th smallest value; partially orders `a` in place (everything before k is ≤ it). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

/** After select(a, k): the largest of a[0..k-1]. */
function maxBelow(a: Float64Array, k: number): number {
  let m = -Infinity;
  for (let i = 0; i < k; i++) if (a[i] > m) m = a[i];
  return m;
}

/** Median absolute deviation, scaled by 1.4826 to estimate a standard deviation under normality. */
export function scaledMad(values: readonly number[], center = median(values)): number {
  if (values.length === 0) return NaN;
  return 1.4826 * median(values.map((v) => Math.abs(v - center)));
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p), summed in log space so that neither a long hour (n in the
 * thousands) nor a tiny p underflows into a false "impossible".
 */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let logPmf = n * lq;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    if (i >= k) tail += Math.exp(logPmf);
    logPmf += Math.log(n - i) - Math.log(i + 1) + lp - lq;
  }
  return Math.min(1, tail + Math.exp(logPmf));
}
