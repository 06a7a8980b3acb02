// Which versions of the tools labforge drives are supported, and how each was proven: run here by one of the two
// end-to-end legs, or read from the tool's own source or documentation. doctor judges the installed versions by it;
// README's support table says the same (a test keeps them in step).

export type Tool = 'vagrant' | 'vagrant-libvirt' | 'packer' | 'libvirt' | 'QEMU';

/** How a version was proven. */
export const LEGS = {
  debian12: "the end-to-end test here on Debian 12's packages (npm test)",
  debian13: "the end-to-end test here on Debian 13's packages (npm run test:e2e:trixie)",
} as const;

export type Leg = keyof typeof LEGS;

interface Row {
  /** An exact version (`2.3.4`), a series (`7.2`: any 7.2.x), or a range [from, below). */
  version?: string;
  series?: string;
  from?: string;
  below?: string;
  /** proven: run here; sources: known from the tool's own source or documentation, not run here. */
  status: 'proven' | 'sources';
  /** The legs that ran it (proven), or what was read (sources). */
  legs?: Leg[];
  how?: string;
}

interface ToolSupport {
  /** Older versions cannot work, and why. */
  minimum?: { version: string; why: string };
  rows: Row[];
}

export const SUPPORT: Record<Tool, ToolSupport> = {
  vagrant: {
    minimum: {
      version: '2.2.0',
      why: 'the Vagrantfile labforge writes asks for Vagrant >= 2.2.0 (Vagrant.require_version)',
    },
    rows: [
      { version: '2.3.4', status: 'proven', legs: ['debian12'] },
      // Debian 13's package, a 2.3.7 snapshot that calls itself 2.3.8.dev: two insecure keys, as 2.3.8+.
      { version: '2.3.8', status: 'proven', legs: ['debian13'] },
      {
        from: '2.4.0',
        below: '2.5.0',
        status: 'sources',
        how: "Vagrant 2.4's source: its box store's architecture level and the two insecure keys of 2.3.8, both handled",
      },
    ],
  },
  'vagrant-libvirt': {
    rows: [
      { version: '0.11.2', status: 'proven', legs: ['debian12'] },
      { version: '0.12.2', status: 'proven', legs: ['debian13'] },
    ],
  },
  packer: {
    minimum: { version: '1.6.6', why: 'the recipe asks for Packer >= 1.6.6 (required_version)' },
    rows: [
      { version: '1.6.6', status: 'proven', legs: ['debian12', 'debian13'] },
      {
        from: '1.7.0',
        below: '2.0.0',
        status: 'sources',
        how:
          "Packer's documentation: packer init installs the qemu and vagrant plugins the recipe's plugins file " +
          "names (the shipped workflow's Fedora job runs it on GitHub)",
      },
    ],
  },
  libvirt: {
    rows: [
      { series: '9.0', status: 'proven', legs: ['debian12'] },
      { series: '11.3', status: 'proven', legs: ['debian13'] },
    ],
  },
  QEMU: {
    rows: [
      { series: '7.2', status: 'proven', legs: ['debian12'] },
      { series: '10.0', status: 'proven', legs: ['debian13'] },
    ],
  },
};

/** [major, minor, patch] of the first x.y(.z) in a version text ("2.3.8.dev" -> 2.3.8), or undefined. */
export function versionNumbers(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function matches(row: Row, v: [number, number, number]): boolean {
  const n = (s: string) => versionNumbers(s)!;
  if (row.version) return compare(v, n(row.version)) === 0;
  if (row.series) {
    const [major, minor] = n(row.series);
    return v[0] === major && v[1] === minor;
  }
  return (!row.from || compare(v, n(row.from)) >= 0) && (!row.below || compare(v, n(row.below)) < 0);
}

function label(row: Row): string {
  return row.version ?? (row.series ? `${row.series}.x` : `${row.from ?? ''}${row.below ? ` to < ${row.below}` : '+'}`);
}

export interface Verdict {
  status: 'ok' | 'warn' | 'fail';
  /** The support table's word for it: after the version in doctor's line. */
  note: string;
  fix?: string;
}

/** What the support table says of a tool's version. */
export function supportOf(tool: Tool, versionText: string): Verdict {
  const s = SUPPORT[tool];
  const proven = s.rows.filter((r) => r.status === 'proven').map(label);
  const v = versionNumbers(versionText);
  if (!v) return { status: 'warn', note: `labforge cannot read a version in ${JSON.stringify(versionText)}` };
  if (s.minimum && compare(v, versionNumbers(s.minimum.version)!) < 0)
    return {
      status: 'fail',
      note: `not supported: ${s.minimum.why}`,
      fix: `install ${tool} ${proven.join(' or ')} (\`labforge setup\`)`,
    };
  const row = s.rows.find((r) => matches(r, v));
  if (row?.status === 'proven')
    return { status: 'ok', note: `proven by ${row.legs!.map((l) => LEGS[l]).join(' and ')}` };
  if (row) return { status: 'ok', note: `supported from ${row.how}; not run here` };
  return {
    status: 'warn',
    note: `not proven: labforge has run ${tool} ${proven.join(' and ')}`,
    fix: `expect differences labforge has not seen; ${tool} ${proven.join(' or ')} is proven`,
  };
}
