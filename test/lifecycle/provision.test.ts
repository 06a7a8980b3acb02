// Provisioning steps without a VM: which node runs which step (each step's own key), what a step's inputs are
// (files read as the file layer reads them: no link followed in a copied folder, no FIFO opened), the commands a copy
// runs on the node (run here with bash, with hostile paths), Ansible's recap, and every bad step refused with its
// field (exit 2, nothing written).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { loadLabFile } from '../../src/lab/load.js';
import type { ProvisionStage, ProvisionStep } from '../../src/lab/model.js';
import { stepInputs } from '../../src/lifecycle/provision/inputs.js';
import {
  chainKey,
  migrateRecord,
  planProvision,
  pruneRecord,
  recordSuccess,
  type PlannedStage,
  type ProvisionedNodes,
} from '../../src/lifecycle/provision/plan.js';
import { copyCommand, parseRecap } from '../../src/lifecycle/provision/remote.js';
import { stoppable } from '../../src/tools/ssh.js';
import { cli, tempDir, writeLab } from '../support.js';

const shellStep = (field: string, command = 'true'): ProvisionStep => ({ kind: 'shell', command, field, title: field });

describe('plan: a step runs where its own inputs changed since it last succeeded, and only there', () => {
  const stages: ProvisionStage[] = [
    { step: shellStep('provision[0]'), nodes: ['a', 'b'] },
    { step: shellStep('provision[1]'), nodes: ['a', 'b'] },
    { step: shellStep('roles.web.provision[0]'), nodes: ['b'] },
    { step: shellStep('provision[2]'), nodes: ['a', 'b'] },
  ];
  const domains = new Map([
    ['a', 'uuid-a'],
    ['b', 'uuid-b'],
  ]);
  /** The record after every step that `plan` runs succeeded (on top of `record`), as provision writes it. */
  const succeed = (plan: PlannedStage[], record: ProvisionedNodes = {}): ProvisionedNodes => {
    let out = pruneRecord(record, plan, ['a', 'b']);
    for (const p of plan)
      for (const n of p.run) out = recordSuccess(out, n, domains.get(n)!, p.keys.get(n)!, p.stage.step.field, 'now');
    return out;
  };
  const done = (inputs: string[], st = stages) => succeed(planProvision(st, inputs, {}, ['a', 'b'], domains));
  const rows = (plan: PlannedStage[]) => plan.map((p) => [p.stage.step.field, p.run, p.skip]);

  test('nothing recorded: every step on every node it applies to; all recorded: every step skipped', () => {
    const inputs = ['i0', 'i1', 'iw', 'i2'];
    expect(rows(planProvision(stages, inputs, {}, ['a', 'b'], domains))).toEqual([
      ['provision[0]', ['a', 'b'], []],
      ['provision[1]', ['a', 'b'], []],
      ['roles.web.provision[0]', ['b'], []],
      ['provision[2]', ['a', 'b'], []],
    ]);
    expect(planProvision(stages, inputs, done(inputs), ['a', 'b'], domains).every((p) => p.run.length === 0)).toBe(
      true,
    );
  });

  test('a changed step runs alone: the steps before and after it are skipped', () => {
    const record = done(['i0', 'i1', 'iw', 'i2']);
    expect(rows(planProvision(stages, ['i0', 'i1-changed', 'iw', 'i2'], record, ['a', 'b'], domains))).toEqual([
      ['provision[0]', [], ['a', 'b']],
      ['provision[1]', ['a', 'b'], []],
      ['roles.web.provision[0]', [], ['b']],
      ['provision[2]', [], ['a', 'b']],
    ]);
    expect(rows(planProvision(stages, ['i0', 'i1', 'iw-changed', 'i2'], record, ['a', 'b'], domains))).toEqual([
      ['provision[0]', [], ['a', 'b']],
      ['provision[1]', [], ['a', 'b']],
      ['roles.web.provision[0]', ['b'], []],
      ['provision[2]', [], ['a', 'b']],
    ]);
  });

  test('property: a change of step k makes exactly step k run, on its nodes; after it succeeded nothing runs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), (k) => {
        const inputs = ['i0', 'i1', 'iw', 'i2'];
        const changed = inputs.map((x, i) => (i === k ? `${x}'` : x));
        const plan = planProvision(stages, changed, done(inputs), ['a', 'b'], domains);
        plan.forEach((p, i) => expect(p.run).toEqual(i === k ? p.stage.nodes : []));
        const after = succeed(plan, done(inputs));
        expect(planProvision(stages, changed, after, ['a', 'b'], domains).every((p) => p.run.length === 0)).toBe(true);
      }),
    );
  });

  test('steps reordered, moved from the lab to a role, a step inserted or removed: only a new step runs', () => {
    const record = done(['i0', 'i1', 'iw', 'i2']);
    // Reordered, and provision[0] moved into role web (so it now applies to b only).
    const moved: ProvisionStage[] = [
      { step: shellStep('provision[0]'), nodes: ['a', 'b'] },
      { step: shellStep('provision[1]'), nodes: ['a', 'b'] },
      { step: shellStep('provision[2]'), nodes: ['a', 'b'] },
      { step: shellStep('roles.web.provision[0]'), nodes: ['b'] },
      { step: shellStep('roles.web.provision[1]'), nodes: ['b'] },
    ];
    expect(rows(planProvision(moved, ['i2', 'inew', 'i1', 'i0', 'iw'], record, ['a', 'b'], domains))).toEqual([
      ['provision[0]', [], ['a', 'b']],
      ['provision[1]', ['a', 'b'], []],
      ['provision[2]', [], ['a', 'b']],
      ['roles.web.provision[0]', [], ['b']],
      ['roles.web.provision[1]', [], ['b']],
    ]);
    // A step removed: nothing runs, and its success is forgotten once provision has been on the node.
    const removed = stages.filter((_, i) => i !== 1);
    const plan = planProvision(removed, ['i0', 'iw', 'i2'], record, ['a', 'b'], domains);
    expect(plan.every((p) => p.run.length === 0)).toBe(true);
    const pruned = pruneRecord(record, plan, ['a']);
    expect(Object.keys(pruned.a.done!).length).toBe(2);
    expect(Object.keys(pruned.b.done!).length).toBe(4);
    // Put back: it runs again on a (whose record forgot it), not on b (never pruned: provision was not on b).
    expect(rows(planProvision(stages, ['i0', 'i1', 'iw', 'i2'], pruned, ['a', 'b'], domains))[1]).toEqual([
      'provision[1]',
      ['a'],
      ['b'],
    ]);
  });

  test('the same step twice on a node is two steps: a second copy added later runs', () => {
    const twice: ProvisionStage[] = [...stages, { step: shellStep('provision[3]'), nodes: ['a', 'b'] }];
    const record = done(['i0', 'i1', 'iw', 'i2']);
    expect(rows(planProvision(twice, ['i0', 'i1', 'iw', 'i2', 'i0'], record, ['a', 'b'], domains))).toEqual([
      ['provision[0]', [], ['a', 'b']],
      ['provision[1]', [], ['a', 'b']],
      ['roles.web.provision[0]', [], ['b']],
      ['provision[2]', [], ['a', 'b']],
      ['provision[3]', ['a', 'b'], []],
    ]);
  });

  test('a changed step that did not succeed leaves no success of its old version: changed back, it runs', () => {
    const record = done(['i0', 'i1', 'iw', 'i2']);
    const plan = planProvision(stages, ['i0', 'i1-new', 'iw', 'i2'], record, ['a', 'b'], domains);
    const interrupted = pruneRecord(record, plan, ['a', 'b']); // what provision saves before it runs anything
    expect(rows(planProvision(stages, ['i0', 'i1', 'iw', 'i2'], interrupted, ['a', 'b'], domains))[1]).toEqual([
      'provision[1]',
      ['a', 'b'],
      [],
    ]);
  });

  test('a node re-created (another domain) runs everything; --force runs everything; targets limit the nodes', () => {
    const inputs = ['i0', 'i1', 'iw', 'i2'];
    const record = done(inputs);
    const recreated = new Map([...domains, ['a', 'uuid-a2']]);
    expect(rows(planProvision(stages, inputs, record, ['a', 'b'], recreated))[0]).toEqual([
      'provision[0]',
      ['a'],
      ['b'],
    ]);
    expect(planProvision(stages, inputs, record, ['a', 'b'], domains, true).every((p) => p.skip.length === 0)).toBe(
      true,
    );
    expect(rows(planProvision(stages, inputs, {}, ['b'], domains))).toEqual([
      ['provision[0]', ['b'], []],
      ['provision[1]', ['b'], []],
      ['roles.web.provision[0]', ['b'], []],
      ['provision[2]', ['b'], []],
    ]);
  });

  test('a record of chained keys (format 1) keeps the steps it proves unchanged; a changed step and those after it run once', () => {
    const inputs = ['i0', 'i1', 'iw', 'i2'];
    // What labforge before per-step keys recorded after every step succeeded.
    const old: ProvisionedNodes = {};
    for (const node of ['a', 'b']) {
      let chain = '';
      const steps: Record<string, { key: string; at: string }> = {};
      stages.forEach((s, i) => {
        if (!s.nodes.includes(node)) return;
        chain = chainKey(chain, inputs[i]);
        steps[s.step.field] = { key: chain, at: 'then' };
      });
      old[node] = { domain: domains.get(node)!, steps };
    }
    const same = migrateRecord(stages, inputs, old);
    expect(same.a.steps).toBeUndefined();
    expect(planProvision(stages, inputs, same, ['a', 'b'], domains).every((p) => p.run.length === 0)).toBe(true);
    // Step 1 changed: the old record cannot prove anything from step 1 on (the chain broke there): they run.
    const changed = ['i0', 'i1-changed', 'iw', 'i2'];
    const migrated = migrateRecord(stages, changed, old);
    expect(rows(planProvision(stages, changed, migrated, ['a', 'b'], domains))).toEqual([
      ['provision[0]', [], ['a', 'b']],
      ['provision[1]', ['a', 'b'], []],
      ['roles.web.provision[0]', ['b'], []],
      ['provision[2]', ['a', 'b'], []],
    ]);
    // A format 1 key never passes for a format 2 key.
    expect(planProvision(stages, inputs, old, ['a', 'b'], domains).every((p) => p.skip.length === 0)).toBe(true);
  });
});

describe("a step's inputs", () => {
  const setup = () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'conf', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'conf', 'a'), 'a\n');
    fs.writeFileSync(path.join(dir, 'conf', 'sub', 'b'), 'b\n');
    fs.mkdirSync(path.join(dir, 'play', 'roles', 'r', 'tasks'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'play', 'site.yml'), '- hosts: all\n');
    fs.writeFileSync(path.join(dir, 'play', 'roles', 'r', 'tasks', 'main.yml'), '- debug: msg=x\n');
    fs.writeFileSync(path.join(dir, 's.sh'), 'echo 1\n');
    const file = writeLab(
      [
        'nodes: [{ name: n1 }]',
        'provision:',
        '  - script: s.sh',
        "  - copy: { src: conf, dest: /etc/conf, mode: '0600' }",
        '  - playbook: play/site.yml',
        '',
      ].join('\n'),
      dir,
    );
    const { lab } = loadLabFile(file, { outDir: path.join(dir, 'play', '.out') });
    return { dir, lab, hash: () => Promise.all(lab.provision.map((s) => stepInputs(lab, s.step))) };
  };

  test("a script's text, a copied file's bytes or mode, a file deep in a playbook's folder each change that step's key only", async () => {
    const { dir, hash } = setup();
    const before = await hash();
    expect(await hash()).toEqual(before);
    fs.writeFileSync(path.join(dir, 's.sh'), 'echo 2\n');
    const script = await hash();
    expect(script.map((h, i) => h === before[i])).toEqual([false, true, true]);
    fs.chmodSync(path.join(dir, 'conf', 'sub', 'b'), 0o600);
    const mode = await hash();
    expect(mode.map((h, i) => h === script[i])).toEqual([true, false, true]);
    fs.writeFileSync(path.join(dir, 'play', 'roles', 'r', 'tasks', 'main.yml'), '- debug: msg=y\n');
    const role = await hash();
    expect(role.map((h, i) => h === mode[i])).toEqual([true, true, false]);
    // The lab's output folder and dot-folders inside the playbook's folder do not count.
    fs.mkdirSync(path.join(dir, 'play', '.out', 'logs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'play', '.out', 'logs', 'x.log'), 'log\n');
    expect(await hash()).toEqual(role);
  });

  test('a copied folder holding a link or a FIFO is refused naming the field and the entry (never followed or opened)', async () => {
    const { dir, lab } = setup();
    fs.symlinkSync('/etc/shadow', path.join(dir, 'conf', 'sub', 'leak'));
    await expect(stepInputs(lab, lab.provision[1].step)).rejects.toThrow(
      `provision[1]: "${path.join(dir, 'conf', 'sub', 'leak')}" is a symbolic link; a copied folder may hold only files and folders`,
    );
    fs.unlinkSync(path.join(dir, 'conf', 'sub', 'leak'));
    await execa('mkfifo', [path.join(dir, 'conf', 'pipe')]);
    await expect(stepInputs(lab, lab.provision[1].step)).rejects.toThrow(/provision\[1\]: ".*conf\/pipe" is a fifo/);
  });
});

describe('copy on the node: the commands that put an upload in place, run here with bash', () => {
  const hostile = `it's "q" $(touch pwned) \`id\` & ; | * ~`;

  test('a file to a hostile path: placed with its mode, nothing in the path runs', async () => {
    const dir = tempDir();
    const tmp = path.join(dir, 'upload');
    fs.writeFileSync(tmp, 'content\n');
    const dest = path.join(dir, hostile, 'f');
    const cmd = copyCommand(
      { kind: 'copy', path: 'f', file: '/x/f', dest, mode: '0600', field: 'p', title: 't' },
      tmp,
      false,
    );
    const r = await execa('bash', ['-c', cmd], { cwd: dir, reject: false });
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(dest, 'utf8')).toBe('content\n');
    expect(fs.statSync(dest).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(tmp)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  test("a dest ending in / receives the file under its own name; a folder's contents land in dest, modes on files only", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'up1'), 'x\n');
    const into = copyCommand(
      { kind: 'copy', path: 'motd', file: '/lab/motd', dest: `${dir}/etc/`, field: 'p', title: 't' },
      path.join(dir, 'up1'),
      false,
    );
    expect((await execa('bash', ['-c', into], { reject: false })).exitCode).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'etc', 'motd'), 'utf8')).toBe('x\n');
    fs.mkdirSync(path.join(dir, 'up2', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'up2', 'sub', 'b'), 'b\n');
    fs.mkdirSync(path.join(dir, 'dest'));
    fs.writeFileSync(path.join(dir, 'dest', 'kept'), 'k\n');
    const folder = copyCommand(
      {
        kind: 'copy',
        path: 'conf',
        file: '/lab/conf',
        dest: `${dir}/dest`,
        mode: '0640',
        owner: 'root:root',
        field: 'p',
        title: 't',
      },
      path.join(dir, 'up2'),
      true,
    );
    expect((await execa('bash', ['-c', folder], { reject: false })).exitCode).toBe(0);
    expect(fs.statSync(path.join(dir, 'dest', 'sub', 'b')).mode & 0o777).toBe(0o640);
    expect(fs.statSync(path.join(dir, 'dest', 'sub')).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'dest', 'kept'), 'utf8')).toBe('k\n');
    expect(fs.existsSync(path.join(dir, 'up2'))).toBe(false);
  });
});

describe('a step on the node stops when labforge does (its stdin, the session, ends)', () => {
  test("stdin open to the end: the command's exit code, output and stdin-less run", async () => {
    const p = execa('bash', ['-c', stoppable('read -r x || echo "no stdin"; echo out; exit 7')], { reject: false });
    const r = await p;
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe('no stdin\nout');
  });

  // Root's login shell runs it: bash on the images labforge bakes, dash's builtins (kill without --) must do too.
  test.each(['bash', 'dash'])(
    'stdin closed while it runs (%s): its whole process group is ended at once, nothing after it runs',
    async (sh) => {
      const dir = tempDir();
      const cmd = `sleep 31.7 & sleep 31.7; touch ${dir}/after`;
      const p = execa(sh, ['-c', stoppable(cmd)], { reject: false, stdin: 'pipe' });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      p.stdin!.end();
      const r = await p;
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(r.exitCode).toBe(143);
      expect(fs.existsSync(path.join(dir, 'after'))).toBe(false);
      // No sleep of the step is left behind.
      const left = await execa('pgrep', ['-f', '^sleep 31.7$'], { reject: false });
      expect(left.stdout).toBe('');
    },
  );

  // A Ctrl-C right after the step started: stdin ends before the command's setsid has made its process group (the
  // watcher's first kill finds no group; before, the command then ran to its end: 8 of 20 here).
  test.each(['bash', 'dash'])('stdin closed at once (%s), twenty times: stopped every time', async (sh) => {
    // One after another: started together, the shells had their groups made before any stdin ended.
    const runs: { seconds: number; exit?: number; out: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const p = execa(sh, ['-c', stoppable('sleep 23.9; echo after')], { reject: false, stdin: 'pipe' });
      p.stdin!.end();
      const t0 = Date.now();
      const r = await p;
      runs.push({ seconds: Math.round((Date.now() - t0) / 1000), exit: r.exitCode, out: r.stdout });
    }
    expect(runs.filter((r) => r.seconds > 5 || r.out !== '' || r.exit !== 143)).toEqual([]);
    expect((await execa('pgrep', ['-f', '^sleep 23.9$'], { reject: false })).stdout).toBe('');
  });
});

test("Ansible's PLAY RECAP: a host is ok without failed or unreachable tasks", () => {
  const recap = parseRecap(
    [
      'PLAY RECAP *********************************************************************',
      'node1                      : ok=1    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0',
      'node2                      : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0',
      'node3                      : ok=1    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0',
    ].join('\n'),
  );
  expect([...recap]).toEqual([
    ['node1', true],
    ['node2', false],
    ['node3', false],
  ]);
});

describe('bad steps and disks: exit 2 naming the field and the value, before anything is written', () => {
  const cases: [string, string, string[]][] = [
    ['a step with two kinds', "provision: [{ shell: 'true', script: s.sh }]", ['provision[0]: gives script and shell']],
    [
      'a step with none',
      'provision: [{ name: x }]',
      ['provision[0]: names no step: give exactly one of script, shell, copy, playbook'],
    ],
    [
      'a script that does not exist',
      'provision: [{ script: nope.sh }]',
      ['provision[0].script: "nope.sh"', 'does not exist'],
    ],
    [
      'a playbook outside the lab folder',
      'provision: [{ playbook: /etc/hostname }]',
      ['provision[0].playbook: "/etc/hostname"', "outside the lab's folder"],
    ],
    [
      'a script through a link out of the lab folder',
      'provision: [{ script: out.sh }]',
      ['provision[0].script: "out.sh"', '(through a link)'],
    ],
    [
      'a script that is a folder',
      'provision: [{ script: dir }]',
      ['provision[0].script: "dir"', 'is a folder; it must name a script file'],
    ],
    [
      'a relative copy dest',
      'provision: [{ copy: { src: s.sh, dest: etc/x } }]',
      ['provision[0].copy.dest: "etc/x" is not an absolute path'],
    ],
    [
      'a mode YAML read as a number',
      'provision: [{ copy: { src: s.sh, dest: /x, mode: 0644 } }]',
      ['provision[0].copy.mode: 644 is a number'],
    ],
    [
      'a hostile owner',
      "provision: [{ copy: { src: s.sh, dest: /x, owner: 'root;reboot' } }]",
      ['provision[0].copy.owner: must be a user'],
    ],
    [
      'a role step with a control character',
      'roles: { web: { provision: [{ shell: "a\\u0000b" }] } }',
      ['roles.web.provision[0].shell: must be text'],
    ],
    [
      'a disk size over the bound',
      'roles: { web: { disks: [{ size: 20000G }] } }',
      ['roles.web.disks[0].size: "20000G" is above the maximum of 16384G'],
    ],
    [
      'a disk name that is no serial',
      "roles: { web: { disks: [{ size: 1G, name: 'a very long disk name x' }] } }",
      ['roles.web.disks[0].name: must be 1-20'],
    ],
    [
      'two disks of one name',
      'roles: { web: { disks: [{ size: 1G }, { size: 1G, name: data1 }] } }',
      ['roles.web.disks[1].name: "data1" is already the name of roles.web.disks[0]'],
    ],
  ];
  test.each(cases)('%s', async (_name, yaml, said) => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 's.sh'), 'true\n');
    fs.mkdirSync(path.join(dir, 'dir'));
    fs.symlinkSync('/etc/hostname', path.join(dir, 'out.sh'));
    const file = writeLab(`name: bad\nnodes: [{ name: n1 }]\n${yaml}\n`, dir);
    const r = await cli(['--lab', file, 'render']);
    expect(r.exitCode).toBe(2);
    for (const s of said) expect(r.stderr).toContain(s);
    expect(fs.existsSync(path.join(dir, '.labforge'))).toBe(false);
  });
});
