// The pure half of `npm run chaos` (scripts/chaos.js, scripts/chaos-lab.js): the seeded random kill points, the
// --plan syntax, and the table. Tested in test/scripts/chaos-plan.test.ts.
// ------------------------------------------------------------------------------------------------ the random plan
/** mulberry32: a small seeded generator, so that a seed replays the same points. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How long each command takes here when nothing goes wrong (s; TCG, two nodes, a shared two-core machine): a kill
 *  point is a moment in [0.5 s, this]. Replaced by what this run measures. */
export const ESTIMATE = {
  'up:absent': 300,
  bake: 500,
  'up:halted': 180,
  // Only after a point that did not converge (the lab recovered, running, where the plan expected it halted).
  'up:running': 15,
  halt: 45,
  'snapshot-save': 10,
  'snapshot-restore': 20,
  reset: 60,
  destroy: 30,
  verify: 25,
};

/** What each command asks for, from each state the lab can be in. */
export const NEXT = {
  running: ['halt', 'snapshot-save', 'snapshot-restore', 'reset', 'destroy'],
  halted: ['up', 'destroy'],
  // bake changes no lab: from a destroyed lab (nothing of it to lose when the box is rebuilt).
  absent: ['up', 'bake'],
};
export const AFTER = {
  up: 'running',
  halt: 'halted',
  'snapshot-save': 'running',
  'snapshot-restore': 'running',
  reset: 'running',
  destroy: 'absent',
  verify: 'running',
  bake: 'absent',
};

/** The kill points of a seed: [command, fraction of its duration] pairs, walking the lab's states from running. */
export function randomPlan(seed, count) {
  const r = rng(seed);
  const plan = [];
  let st = 'running';
  for (let i = 0; i < count; i++) {
    const options = NEXT[st];
    const command = options[Math.floor(r() * options.length)];
    plan.push({ fault: 'kill', command, fraction: r() });
    st = AFTER[command];
  }
  return plan;
}

/** The moments a kill can wait for by name: a program of labforge's own running (`proc`, a pgrep pattern:
 *  `kill:bake@add` is 1 s after its `vagrant box add` is seen, `kill:bake@add+0` at once, `kill:snapshot-save@create+0`
 *  as soon as its `virsh snapshot-create-as` runs, `kill:bake@build+40` 40 s into its `packer build`). (A line it prints
 *  comes too late: labforge prints a step's title when the step ends; the first run's bake had finished 1 s after
 *  "Add the box".) */
export const MOMENTS = {
  add: { proc: 'vagrant box add' },
  // (labforge prints a step's title when it ends, not when it starts: a line comes too late for a running step)
  build: { proc: '(^|/)packer build ' },
  create: { proc: 'virsh .*snapshot-create-as' },
  revert: { proc: 'virsh .*snapshot-revert' },
};

/** The commands a full-disk point runs with a full file system: snapshot-save and up (the pool's), bake (Vagrant's
 *  home, put on the pool's file system for the point). */
export const FULL_DISK = ['snapshot-save', 'up', 'bake'];

/** `kill:halt@12.5,kill:bake@add,libvirtd:up@30,lost-host,full-disk:snapshot-save`: exact points (seconds after the
 *  start, or after a named moment: MOMENTS). */
export function parsePlan(text) {
  return text.split(',').map((item) => {
    const m = /^(kill|libvirtd|lost-host|full-disk)(?::([a-z-]+))?(?:@(?:([\d.]+)|([a-z]+)(?:\+([\d.]+))?))?$/.exec(
      item.trim(),
    );
    if (!m || (m[4] && !(m[4] in MOMENTS)))
      throw new Error(
        `--plan: cannot read ${JSON.stringify(item)} (kill:COMMAND@SECONDS, kill:bake@add, libvirtd:up@SECONDS, lost-host, full-disk:COMMAND)`,
      );
    const [, fault, command, at, moment, delay] = m;
    if (moment)
      return { fault, command, at: undefined, after: { moment, seconds: delay === undefined ? 1 : Number(delay) } };
    if (fault === 'kill' && !(command in AFTER))
      throw new Error(`--plan: ${JSON.stringify(command)} is not one of ${Object.keys(AFTER).join(', ')}`);
    if (fault === 'full-disk' && command !== undefined && !FULL_DISK.includes(command))
      throw new Error(`--plan: full-disk:${command}: a full disk is a point of ${FULL_DISK.join(', ')}`);
    return {
      fault,
      command: command ?? (fault === 'lost-host' ? 'up' : undefined),
      at: at === undefined ? undefined : Number(at),
    };
  });
}

/** One line per point: `kill:halt@37%, libvirtd:up, ...`. */
export function describePlan(plan) {
  return plan
    .map((p) => {
      const when = p.after
        ? `@${p.after.moment}+${p.after.seconds}`
        : p.at !== undefined
          ? `@${p.at}`
          : p.fraction !== undefined
            ? `@${(p.fraction * 100).toFixed(0)}%`
            : '';
      return `${p.fault}${p.command ? `:${p.command}` : ''}${when}`;
    })
    .join(', ');
}

export function table(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const head =
    '| # | fault | command (from) | point | next command | converged | leaked |\n|---|---|---|---|---|---|---|';
  return [
    head,
    ...rows.map((r, i) =>
      [
        '',
        i + 1,
        esc(r.fault),
        `${esc(r.command)} (${r.from})`,
        esc(r.point),
        r.nextExit === undefined
          ? 'none: the command ended before the kill'
          : `exit ${r.nextExit}, ${r.nextSeconds.toFixed(0)} s${r.said ? `; ${esc(r.said)}` : ''}`,
        r.converged ? 'yes' : `**no**: ${esc(r.why)}`,
        r.leaked.length ? esc(r.leaked.join(', ')) : 'nothing',
        '',
      ]
        .join(' | ')
        .trim(),
    ),
  ].join('\n');
}

/** The table in short, one row per fault and command (README's): how many points, how many converged with nothing
 *  leaked, and the slowest next command. */
export function summary(rows) {
  const groups = new Map();
  for (const r of rows) {
    // `snapshot save c4` and `snapshot save c6` are one command; `bake --force` is the bake.
    const command = r.command.replace(/^(snapshot \S+) .*$/, '$1').replace(/ --force$/, '');
    const key = `${r.fault} | ${command}`;
    const g = groups.get(key) ?? { fault: r.fault, command, points: 0, clean: 0, slowest: 0 };
    g.points += 1;
    if (r.converged && r.leaked.length === 0) g.clean += 1;
    g.slowest = Math.max(g.slowest, r.nextSeconds);
    groups.set(key, g);
  }
  const total = rows.filter((r) => r.converged && r.leaked.length === 0).length;
  return [
    '| fault | command | points | converged, nothing leaked | slowest next command |',
    '|---|---|---|---|---|',
    ...[...groups.values()].map(
      (g) => `| ${g.fault} | ${g.command} | ${g.points} | ${g.clean} | ${g.slowest.toFixed(0)} s |`,
    ),
    `| **all** | | **${rows.length}** | **${total}** | |`,
  ].join('\n');
}
