/** Nearest-rank percentile of an ascending array (`p` in 0–100); 0 for an empty array. */
export function percentile(sortedAscending: ArrayLike<number>, p: number): number {
  const count = sortedAscending.length;
  if (count === 0) return 0;
  const rank = Math.min(count, Math.max(1, Math.ceil((p / 100) * count)));
  return sortedAscending[rank - 1] as number;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let total = 0;
  for (let index = 0; index < values.length; index += 1) total += values[index] as number;
  return total / values.length;
}
