// labforge inventory: the lab as an Ansible inventory, read back by the real ansible-inventory (Debian's ansible-core)
// in each spelling (INI, YAML, JSON, and the executable a render writes for Ansible's dynamic-inventory protocol):
// the same groups, hosts and variables in all of them; the ssh options arrive at ssh (`ssh -G`) exactly, from an
// output folder holding what Python's shlex, ssh's %-tokens and a shell would read; role names Ansible cannot take
// as group names become ones it can; Jinja in a path is refused with its field; bad options are exit 2.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cli, requireTool, ROOT, tempDir, writeLab } from '../support.js';

const LAB = path.join(ROOT, 'lab.yaml');

interface Listed {
  _meta: { hostvars: Record<string, Record<string, string>> };
  [group: string]: unknown;
}

/** What ansible-inventory makes of an inventory source, with its warnings. */
async function ansibleList(source: string): Promise<{ list: Listed; stderr: string }> {
  requireTool('ansible-inventory');
  const r = await execa('ansible-inventory', ['-i', source, '--list'], {
    env: { ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true', ANSIBLE_NOCOLOR: '1', HOME: tempDir() },
  });
  return { list: JSON.parse(r.stdout) as Listed, stderr: r.stderr };
}

/** group -> its hosts (sorted), from ansible-inventory's --list. */
function groupsOf(list: Listed): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [g, v] of Object.entries(list))
    if (g !== '_meta') out[g] = [...((v as { hosts?: string[] }).hosts ?? [])].sort();
  return out;
}

async function inventory(out: string, args: string[], lab = LAB) {
  return cli(['--lab', lab, '--out', out, 'inventory', ...args]);
}

test('every format, and the rendered executable, read back by ansible-inventory as the same groups, hosts and variables', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  expect((await cli(['--lab', LAB, '--out', out, 'render'])).exitCode).toBe(0);
  const script = path.join(out, 'inventory');
  expect(fs.statSync(script).mode & 0o777).toBe(0o755);

  const sources: Record<string, string> = { script };
  for (const format of ['ini', 'yaml', 'json']) {
    const file = path.join(dir, `inventory.${format}`);
    const r = await inventory(out, ['--format', format, '--output', file]);
    expect(r.exitCode).toBe(0);
    sources[format] = file;
  }
  const lists: Record<string, Listed> = {};
  for (const [name, source] of Object.entries(sources)) {
    const { list, stderr } = await ansibleList(source);
    expect(stderr).not.toMatch(/WARNING/);
    lists[name] = list;
  }
  const ini = lists.ini;
  expect(groupsOf(ini)).toMatchObject({
    etcd: ['etcd1', 'etcd2', 'etcd3'],
    controller: ['controller1', 'controller2'],
    worker: ['worker1', 'worker2'],
    lb: ['lb1', 'lb2'],
  });
  expect((ini.all as { children: string[] }).children.sort()).toEqual(
    ['controller', 'etcd', 'lb', 'ungrouped', 'worker'].sort(),
  );
  const etcd1 = ini._meta.hostvars.etcd1;
  expect(etcd1).toMatchObject({
    ansible_host: '10.240.0.11',
    ansible_user: 'root',
    ansible_ssh_private_key_file: path.join(out, 'secrets/id_ed25519'),
    labforge_fqdn: 'etcd1.example.com',
    labforge_role: 'etcd',
  });
  expect(Object.keys(ini._meta.hostvars).sort()).toHaveLength(9);
  for (const name of ['yaml', 'json', 'script']) {
    expect(groupsOf(lists[name])).toEqual(groupsOf(ini));
    expect(lists[name]._meta.hostvars).toEqual(ini._meta.hostvars);
  }
});

test('the dynamic-inventory protocol: --list, --host NAME ({} for a name the lab lacks), from labforge and the executable', async () => {
  const out = path.join(tempDir(), 'out');
  expect((await cli(['--lab', LAB, '--out', out, 'render'])).exitCode).toBe(0);
  const script = path.join(out, 'inventory');
  requireTool('shellcheck');
  expect((await execa('shellcheck', [script], { reject: false })).stdout).toBe('');
  const fromCli = JSON.parse((await inventory(out, ['--list'])).stdout) as Listed;
  const fromScript = JSON.parse((await execa(script, ['--list'])).stdout) as Listed;
  expect(fromScript).toEqual(fromCli);
  expect(fromCli._meta.hostvars.worker2.ansible_host).toBe('10.240.0.32');

  const host = JSON.parse((await inventory(out, ['--host', 'lb2'])).stdout) as Record<string, string>;
  expect(host).toEqual({ ansible_host: '10.240.0.42', labforge_fqdn: 'lb2.example.com', labforge_role: 'lb' });
  expect(JSON.parse((await execa(script, ['--host', 'lb2'])).stdout)).toEqual(host);
  expect(JSON.parse((await inventory(out, ['--host', 'nosuch'])).stdout)).toEqual({});
  expect(JSON.parse((await execa(script, ['--host', 'nosuch'])).stdout)).toEqual({});
  const bad = await execa(script, ['--what'], { reject: false });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('usage:');
});

test('an output folder with what shlex, ssh and a shell would read: ssh gets the key and known_hosts paths exactly', async () => {
  requireTool('ssh');
  const dir = tempDir();
  // '"' and "'" and "${" are refused for every host path (lab/paths.ts); everything else must arrive as written.
  const out = path.join(dir, 'out %d 100% #x \\ `id` $(id) ; * ~ {x}');
  expect((await cli(['--lab', LAB, '--out', out, 'render'])).exitCode).toBe(0);
  for (const source of [path.join(out, 'inventory'), path.join(dir, 'inv.ini')]) {
    if (source.endsWith('.ini')) expect((await inventory(out, ['--output', source])).exitCode).toBe(0);
    const vars = (await ansibleList(source)).list._meta.hostvars.etcd1;
    // Ansible would pass the key as IdentityFile="<path>" with '%' unescaped: left to the common arguments here.
    expect(vars.ansible_ssh_private_key_file).toBeUndefined();
    // Ansible splits the common arguments with Python's shlex, as here.
    const split = await execa('python3', [
      '-c',
      'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))',
      vars.ansible_ssh_common_args,
    ]);
    const args = JSON.parse(split.stdout) as string[];
    const g = await execa('ssh', ['-G', ...args, '-l', vars.ansible_user, vars.ansible_host]);
    // ssh -G shows IdentityFile before its %-tokens are expanded (UserKnownHostsFile after).
    expect(g.stdout).toContain(`identityfile ${out.replace(/%/g, '%%')}/secrets/id_ed25519`);
    expect(g.stdout).toContain(`userknownhostsfile ${out}/known_hosts`);
    expect(g.stdout).toContain('identitiesonly yes');
    expect(g.stdout).toContain('stricthostkeychecking accept-new');
  }
});

test('roles Ansible cannot take as group names become ones it can, without a warning; nodes without a role are ungrouped', async () => {
  const dir = tempDir();
  const lab = writeLab(
    [
      'name: t',
      'roles: { kube-node: {}, 1st: {}, all: {} }',
      'nodes:',
      '  - { name: a, role: kube-node, ip: 10.240.0.11 }',
      '  - { name: b, role: 1st, ip: 10.240.0.12 }',
      '  - { name: c, role: all, ip: 10.240.0.13 }',
      '  - { name: d, ip: 10.240.0.14 }',
      '',
    ].join('\n'),
    dir,
  );
  for (const format of ['ini', 'yaml', 'json']) {
    const file = path.join(dir, `inv.${format}`);
    const r = await inventory(path.join(dir, 'out'), ['--format', format, '--output', file], lab);
    expect(r.exitCode).toBe(0);
    const { list, stderr } = await ansibleList(file);
    expect(stderr).not.toMatch(/WARNING/);
    expect(groupsOf(list)).toMatchObject({ kube_node: ['a'], role_1st: ['b'], role_all: ['c'], ungrouped: ['d'] });
    expect(list._meta.hostvars.a.labforge_role).toBe('kube-node');
  }
});

test('Jinja in a path the inventory carries is exit 2 naming the field; nothing is written', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out {{ lookup(pipe, id) }}');
  const r = await inventory(out, []);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).toContain('--out');
  expect(r.stderr).toContain('which Ansible would read as a template');
  const key = writeLab('name: t\naccess: { ssh_key: "~/k{%x%}" }\nnodes: [{ name: a, ip: 10.240.0.11 }]\n', dir);
  const k = await inventory(path.join(dir, 'out2'), [], key);
  expect(k.exitCode).toBe(2);
  expect(k.stderr).toContain('access.ssh_key');
  expect(k.stderr).toContain('"{%"');
  expect(fs.existsSync(path.join(dir, 'out2'))).toBe(false);
});

test('bad options are exit 2 naming the option', async () => {
  const out = path.join(tempDir(), 'out');
  const f = await inventory(out, ['--format', 'toml']);
  expect(f.exitCode).toBe(2);
  expect(f.stderr).toContain('--format: must be one of ini, yaml, json, got "toml"');
  const both = await inventory(out, ['--list', '--host', 'a']);
  expect(both.exitCode).toBe(2);
  expect(both.stderr).toContain('--list and --host');
});
