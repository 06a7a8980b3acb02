// Sizes in the lab file: a bare number is MiB; a string may carry M/MB/MiB or G/GB/GiB (all binary).

const UNIT_MIB: Record<string, number> = { m: 1, mb: 1, mib: 1, g: 1024, gb: 1024, gib: 1024 };

/** Size in MiB, or undefined when the value is not a size. */
export function sizeInMiB(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = UNIT_MIB[(m[2] || 'm').toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** The size in whole MiB or GiB; validate.ts has already rejected anything else. */
export function parseSize(value: number | string, unit: 'MiB' | 'GiB'): number {
  const mib = sizeInMiB(value) ?? NaN;
  return unit === 'MiB' ? Math.round(mib) : Math.round(mib / 1024);
}
