// Summaries of timing samples and the interleaving of baseline and candidate runs.

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
  };
}

/** One thing being timed: a batch function returning one sample (ms) per iteration. */
export interface Variant {
  name: string;
  batch: (round: number) => Promise<number[]>;
}

/**
 * Runs `rounds` rounds of every variant, one batch each per round, reversing the order every
 * other round so that neither side always runs first (warm caches, a neighbour's load spike).
 * A first warm-up round is run and thrown away.
 */
export async function interleave(rounds: number, variants: readonly Variant[], warmup = true): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  if (warmup) for (const variant of variants) await variant.batch(-1);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) samples.get(variant.name)!.push(...(await variant.batch(round)));
  }
  return samples;
}

/** Times `count` sequential runs of `run`, one sample each. */
export async function timeEach(count: number, run: (index: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await run(index);
    samples.push(performance.now() - started);
  }
  return samples;
}
