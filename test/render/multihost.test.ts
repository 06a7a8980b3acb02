// A lab across hosts (`hosts`): the Vagrantfile the real vagrant validates gives each machine its own host's URI, and
// vagrant-libvirt (loaded by Vagrant itself) derives that host, port, user and its ssh proxy from it; the lab network
// XML of each host is what libvirt takes (checked by virsh in test/hosts/fabric.test.ts). Nothing here contacts a
// host: vagrant runs in a network namespace of its own with no network at all (unshare --net).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../src/lab/load.js';
import { fabricDevices, fabricOf } from '../../src/lab/fabric.js';
import { renderLab } from '../../src/render/index.js';
import { renderSpanNetwork } from '../../src/render/span-network.js';
import { writeRender } from '../../src/lifecycle/state/renders.js';
import { requireTool, tempDir, vagrantKeyPair, writeLab } from '../support.js';

const KEYS = await vagrantKeyPair();
// Documentation addresses and the reserved .test domain: nothing here is ever reached.
const TEXT =
  'name: span\nhosts:\n  - { name: a, uri: "qemu+ssh://root@198.51.100.11/system" }\n' +
  '  - { name: b, uri: "qemu+ssh://admin@hv-b.example.test:2222/system", address: 198.51.100.12 }\n' +
  'nodes:\n  - { name: node1 }\n  - { name: node2, host: b }\n';

function render(text = TEXT) {
  const dir = tempDir();
  const { lab } = loadLabText(text, writeLab(text, dir), { outDir: path.join(dir, 'out') });
  const r = renderLab(lab, { driver: 'qemu', vagrantPublicKeys: KEYS.publicKeys });
  writeRender(lab.outDir, r, lab);
  fs.mkdirSync(path.dirname(lab.access.sshKey), { recursive: true });
  fs.writeFileSync(`${lab.access.sshKey}.pub`, `${KEYS.publicKeys[0]}\n`);
  return { lab, files: r.files };
}

const offline = (cmd: string, args: string[], cwd: string) =>
  execa('unshare', ['--net', cmd, ...args], {
    cwd,
    env: { VAGRANT_HOME: path.join(cwd, 'vh'), VAGRANT_CHECKPOINT_DISABLE: '1' },
    reject: false,
    all: true,
  });

describe('a lab across hosts: the Vagrantfile', () => {
  test('vagrant validate passes, and vagrant-libvirt reaches each machine through its own host', async () => {
    requireTool('vagrant');
    requireTool('unshare');
    const { lab } = render();
    const v = await offline('vagrant', ['validate'], lab.outDir);
    expect(v.all).toContain('Vagrantfile validated successfully');
    // What vagrant-libvirt itself makes of each machine's configuration (its finalize: host, port, user, proxy).
    const gem = (await execa('gem', ['contents', 'vagrant'], { reject: false })).stdout
      .split('\n')
      .find((f) => f.endsWith('/lib/vagrant.rb'));
    const probe = path.join(lab.outDir, 'probe.rb');
    fs.writeFileSync(
      probe,
      [
        "require 'vagrant'",
        'env = Vagrant::Environment.new(cwd: Dir.pwd)',
        'env.machine_names.sort.each do |name|',
        '  c = env.machine(name, :libvirt).provider_config',
        '  puts "#{name} #{c.uri} #{c.host} #{c.port.inspect} #{c.username} #{c.proxy_command}"',
        '  lab = env.machine(name, :libvirt).config.vm.networks.find { |t, o| t == :private_network }[1]',
        '  puts "#{name} lab network ip=#{lab[:ip].inspect} mtu=#{lab[:libvirt__mtu].inspect} net=#{lab[:libvirt__network_name]}"',
        'end',
        '',
      ].join('\n'),
    );
    const args = gem ? ['-I', path.dirname(gem), probe] : [probe];
    const r = await offline('ruby', args, lab.outDir);
    expect(r.stdout).toContain(
      "node1 qemu+ssh://root@198.51.100.11/system 198.51.100.11 nil root ssh '198.51.100.11' -l 'root' -W %h:%p",
    );
    expect(r.stdout).toContain(
      "node2 qemu+ssh://admin@hv-b.example.test:2222/system hv-b.example.test 2222 admin ssh 'hv-b.example.test' -p 2222 -l 'admin' -W %h:%p",
    );
    // Both NICs get the tunnel's MTU (1500-byte links assumed: the hosts were not asked); node2's host has the lab
    // network in bridge mode, found by name only when no ip is given.
    expect(r.stdout).toContain(`node1 lab network ip="${lab.nodes[0].ip}" mtu=1450 net=span`);
    expect(r.stdout).toContain('node2 lab network ip=nil mtu=1450 net=span');
  });

  test('the same lab file on one host has no per-machine URI', () => {
    const { files } = render('name: one\nnodes:\n  - { name: node1 }\n');
    expect(files.Vagrantfile).not.toContain('lv.uri = node[:uri]');
  });
});

describe('a lab across hosts: the lab network of each host', () => {
  test('the first host: the one-host network on the named bridge with the MTU; the others: bridge mode only', () => {
    const { lab } = render();
    const fabric = fabricOf(10042, 1450);
    const a = renderSpanNetwork(lab, fabric, lab.hosts[0], lab.source);
    expect(a).toContain('<bridge name="lfbr10042" stp="off"/>');
    expect(a).toContain('<mtu size="1450"/>');
    expect(a).toContain('<ip address="10.240.0.1" netmask="255.255.255.0"/>');
    expect(a).toContain('<hostname>node2.span.test</hostname>');
    const b = renderSpanNetwork(lab, fabric, lab.hosts[1], lab.source);
    expect(b).toContain('<forward mode="bridge"/>');
    expect(b).toContain('<bridge name="lfbr10042"/>');
    expect(b).not.toMatch(/<ip |<dns>|<dhcp>|<mtu /);
    // labforge makes the bridge only where libvirt does not (host b), and a VXLAN device everywhere.
    expect(fabricDevices(lab, fabric, lab.hosts[0]).map((d) => `${d.kind} ${d.name}`)).toEqual(['vxlan lfvx10042']);
    expect(fabricDevices(lab, fabric, lab.hosts[1]).map((d) => `${d.kind} ${d.name}`)).toEqual([
      'bridge lfbr10042',
      'vxlan lfvx10042',
    ]);
  });
});
