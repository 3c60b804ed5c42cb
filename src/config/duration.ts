// Durations as people write them in the config ("500ms", "10s", "2m", "1h",
// "1m30s") and the milliseconds the code uses.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

/** Parses a sequence of whole numbers with units, largest unit first. */
export function parseDuration(text: string): DurationResult {
  const fail = (why: string): DurationResult => ({
    ok: false,
    message: `${JSON.stringify(text)} ${why} — write a number and a unit (ms, s, m, h), such as "500ms", "10s", "2m" or "1m30s"`,
  });
  if (/^\d+$/.test(text)) return fail('has no unit');
  if (!/^(\d+(ms|s|m|h))+$/.test(text)) return fail('is not a duration');
  let ms = 0;
  let lastUnit = Infinity;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) {
    const size = UNIT_MS[unit as keyof typeof UNIT_MS];
    if (size >= lastUnit) return fail('repeats a unit or puts a smaller unit first');
    lastUnit = size;
    ms += Number(amount) * size;
  }
  if (!Number.isSafeInteger(ms)) return fail('is too long');
  return { ok: true, ms };
}

/** Milliseconds back to the shortest exact text: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
