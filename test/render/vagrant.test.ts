// The Vagrantfile, network XML, hosts and ssh_config, checked by the real tools: ruby -c, vagrant validate and
// status, virsh net-define/net-dumpxml in a libvirtd of the test's own network namespace, shellcheck, ssh -G.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../src/lab/load.js';
import type { Lab } from '../../src/lab/model.js';
import { renderLab } from '../../src/render/index.js';
import type { RenderContext } from '../../src/render/context.js';
import { writeRender, writeSecrets } from '../../src/lifecycle/state/renders.js';
import {
  cli,
  guideLab,
  listFiles,
  requireTool,
  ROOT,
  tempDir,
  vagrantKeyPair,
  vagrantValidate,
  writeLab,
} from '../support.js';

const HOSTILE = `it's "quoted" $(reboot) \`id\` #{exit 1} %{x} \${y} & <b> \\ end`;

const KEYS = await vagrantKeyPair();

function ctx(driver: 'kvm' | 'qemu' = 'qemu'): RenderContext {
  return { driver, vagrantPublicKeys: KEYS.publicKeys };
}

function render(
  text: string,
  driver: 'kvm' | 'qemu' = 'qemu',
  /** Take the text as the whole lab file (else it is laid over lab.yaml, the guide's lab). */
  whole = false,
): { lab: Lab; dir: string; files: Record<string, string> } {
  const dir = tempDir();
  const file = writeLab(text, dir);
  const { lab } = loadLabText(whole ? text : guideLab(text), file, { outDir: path.join(dir, 'out') });
  const r = renderLab(lab, ctx(driver));
  writeRender(lab.outDir, r, lab);
  writeSecrets(lab);
  fs.mkdirSync(path.dirname(lab.access.sshKey), { recursive: true });
  fs.writeFileSync(
    `${lab.access.sshKey}.pub`,
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3dTAvHAQ9jU3v0R6wX8a5V5u3p7QjM2KjOZ9pQfQbB test\n',
  );
  return { lab, dir, files: r.files };
}

/** Vagrant's configure API as a Ruby stub that records every setting a Vagrantfile makes in $store, by its path
 *  ('vm.provider.libvirt.memory', 'vm.define.<node>.vm.hostname', ...): Ruby itself says what the file configures. */
const VAGRANT_STUB = `
      class Cfg
        def initialize(store, path = []); @store = store; @path = path; end
        def method_missing(name, *args, **kw, &blk)
          key = (@path + [name.to_s.sub(/=$/, '')]).join('.')
          if name.to_s.end_with?('=') then @store[key] = args.first
          elsif blk then blk.call(Cfg.new(@store, @path + [name.to_s, args.first.to_s].reject(&:empty?)))
          elsif args.empty? && kw.empty? then Cfg.new(@store, @path + [name.to_s])
          else (@store[key] ||= []) << [args, kw]
          end
        end
        def respond_to_missing?(*) = true
      end
      module Vagrant
        def self.require_version(*); end
        def self.configure(_v); $store = {}; yield Cfg.new($store); end
      end
`;

const vagrantEnv = (dir: string) => ({ VAGRANT_HOME: path.join(dir, 'vagrant-home'), VAGRANT_CHECKPOINT_DISABLE: '1' });

describe('Vagrantfile', () => {
  beforeAll(() => ['ruby', 'vagrant'].forEach(requireTool));

  test('ruby -c accepts it, vagrant validate passes and Vagrant sees exactly the lab nodes', async () => {
    const { lab } = render('{}');
    await execa('ruby', ['-c', path.join(lab.outDir, 'Vagrantfile')]);
    const v = await vagrantValidate(lab.outDir);
    expect(v.all).toContain('Vagrantfile validated successfully');
    expect(v.exitCode).toBe(0);
    const s = await execa('vagrant', ['status', '--machine-readable'], {
      cwd: lab.outDir,
      env: vagrantEnv(lab.outDir),
    });
    const machines = [
      ...new Set(
        s.stdout
          .split('\n')
          .filter((l) => /^\d+,[^,]+,state,/.test(l))
          .map((l) => l.split(',')[1]),
      ),
    ];
    expect(machines).toEqual(lab.nodes.map((n) => n.name));
  });

  test('each machine gets its FQDN, memory, cpus, static IP on the lab network and the driver', async () => {
    const { lab } = render('{}', 'kvm');
    // Ask Ruby itself what the Vagrantfile configures, through a stub of Vagrant's configure API.
    const probe = `
      require 'json'
      ${VAGRANT_STUB}
      load ARGV[0]
      puts JSON.generate($store)
    `;
    const r = await execa('ruby', ['-e', probe, path.join(lab.outDir, 'Vagrantfile')]);
    const store = JSON.parse(r.stdout);
    expect(store['vm.box']).toMatch(/^labforge\/fedora44-[0-9a-f]{16}$/);
    expect(store['vm.provider.libvirt.driver']).toBe('kvm');
    expect(store['vm.provider.libvirt.cpu_mode']).toBe('host-passthrough');
    expect(store['vm.provider.libvirt.qemu_use_session']).toBe(false);
    expect(store['vm.provider.libvirt.management_network_name']).toBe('kubernetes-mgmt');
    for (const n of lab.nodes) {
      expect(store[`vm.define.${n.name}.vm.hostname`]).toBe(n.fqdn);
      expect(store[`vm.define.${n.name}.vm.provider.libvirt.memory`]).toBe(n.memoryMiB);
      expect(store[`vm.define.${n.name}.vm.provider.libvirt.cpus`]).toBe(n.cpus);
      const [[args, kw]] = store[`vm.define.${n.name}.vm.network`];
      expect(args).toEqual(['private_network']);
      expect(kw).toMatchObject({
        ip: n.ip,
        mac: n.mac,
        auto_config: false,
        libvirt__network_name: 'kubernetes',
        libvirt__dhcp_enabled: false,
      });
    }
  });

  test('a lab of its own: per-lab network names and the management subnet reach vagrant-libvirt; vagrant validate passes', async () => {
    const { lab } = render(
      'name: side\nnetwork: { cidr: 10.77.1.0/24 }\nnodes:\n  - { name: a }\n  - { name: b }\n',
      'qemu',
      true,
    );
    const v = await vagrantValidate(lab.outDir);
    expect(v.all).toContain('Vagrantfile validated successfully');
    const probe = `require 'json'\n${VAGRANT_STUB}\nload ARGV[0]\nputs JSON.generate($store)`;
    const store = JSON.parse((await execa('ruby', ['-e', probe, path.join(lab.outDir, 'Vagrantfile')])).stdout);
    // Not vagrant-libvirt's shared "vagrant-libvirt" network on 192.168.121.0/24: the lab's own, by name and subnet.
    expect(store['vm.provider.libvirt.management_network_name']).toBe('side-mgmt');
    expect(store['vm.provider.libvirt.management_network_address']).toBe(lab.management.subnet.cidr);
    expect(lab.management.subnet.cidr).not.toBe('192.168.121.0/24');
    expect(store['vm.provider.libvirt.default_prefix']).toBe('side-');
    expect(['a', 'b'].map((n) => store[`vm.define.${n}.vm.network`][0][1])).toEqual([
      expect.objectContaining({ ip: '10.77.1.2', libvirt__network_name: 'side' }),
      expect.objectContaining({ ip: '10.77.1.3', libvirt__network_name: 'side' }),
    ]);
    expect(store['vm.define.a.vm.hostname']).toBe('a.side.test');
  });

  test(
    "under TCG each guest's translation cache is host.tcg_cache: vagrant-libvirt's own <features> template " +
      "gives libvirt's <tcg><tb-cache>; under KVM nothing is set",
    async () => {
      requireTool('gem');
      const gems = await execa('gem', ['contents', 'vagrant-libvirt'], { reject: false });
      const template = gems.stdout.split('\n').find((f) => f.endsWith('/templates/domain.xml.erb'));
      if (!template)
        throw new Error(
          `vagrant-libvirt's domain template not found (gem contents vagrant-libvirt):\n${gems.all ?? gems.stderr}`,
        );
      // The <features> part of vagrant-libvirt's domain template, rendered by ERB with what the Vagrantfile sets, read
      // back by a strict XML parser.
      const features = (file: string) => `
      require 'erb'; require 'rexml/document'; require 'json'
      ${VAGRANT_STUB}
      load ${JSON.stringify(file)}
      text = File.read(${JSON.stringify(template)})[/^\\s*<features>.*?<\\/features>/m]
      @features = $store['vm.provider.libvirt.features'] || ['acpi', 'apic', 'pae']
      @kvm_hidden = false; @features_hyperv = []
      xml = REXML::Document.new(ERB.new(text, trim_mode: '-').result(binding))
      out = xml.root.elements.map { |e| [e.name, e.elements['tb-cache'] ? [e.elements['tb-cache'].attributes['unit'], e.elements['tb-cache'].text] : nil] }
      puts JSON.generate(out)
    `;
      const tcg = render('host: { tcg_cache: 96M }\n', 'qemu');
      const r = await execa('ruby', ['-e', features(path.join(tcg.lab.outDir, 'Vagrantfile'))]);
      expect(JSON.parse(r.stdout)).toEqual([
        ['acpi', null],
        ['apic', null],
        ['tcg', ['MiB', '96']],
        ['pae', null],
      ]);
      const kvm = render('{}', 'kvm');
      const k = await execa('ruby', ['-e', features(path.join(kvm.lab.outDir, 'Vagrantfile'))]);
      expect(JSON.parse(k.stdout)).toEqual([
        ['acpi', null],
        ['apic', null],
        ['pae', null],
      ]);
    },
  );

  test("data disks (disks:): a node has its list or its role's, as vagrant-libvirt storage named by serial; vagrant validate passes", async () => {
    const { lab } = render(
      [
        'name: dsk',
        'roles:',
        '  db: { disks: [{ size: 10G }, { size: 2G, name: wal }] }',
        'nodes:',
        '  - { name: a, role: db }',
        '  - { name: b, role: db, disks: [{ size: 5G, name: own }] }',
        '  - { name: c }',
        '',
      ].join('\n'),
      'qemu',
      true,
    );
    const v = await execa('vagrant', ['validate'], {
      cwd: lab.outDir,
      env: vagrantEnv(lab.outDir),
      reject: false,
      all: true,
    });
    expect(v.all).toContain('Vagrantfile validated successfully');
    const probe = `require 'json'\n${VAGRANT_STUB}\nload ARGV[0]\nputs JSON.generate($store)`;
    const store = JSON.parse((await execa('ruby', ['-e', probe, path.join(lab.outDir, 'Vagrantfile')])).stdout);
    const disks = (n: string) => store[`vm.define.${n}.vm.provider.libvirt.storage`] ?? [];
    expect(disks('a')).toEqual([
      [['file'], { size: '10G', type: 'qcow2', bus: 'virtio', serial: 'data1' }],
      [['file'], { size: '2G', type: 'qcow2', bus: 'virtio', serial: 'wal' }],
    ]);
    expect(disks('b')).toEqual([[['file'], { size: '5G', type: 'qcow2', bus: 'virtio', serial: 'own' }]]);
    expect(disks('c')).toEqual([]);
  });

  test('hostile free text stays text in Ruby: a root password with quotes, $(), backticks and #{}', async () => {
    const { lab, files } = render(`access: { root_password: ${JSON.stringify(HOSTILE)} }`);
    const r = await execa('ruby', [
      '-e',
      'module Vagrant; def self.require_version(*); end; def self.configure(_); end; end; load ARGV[0]; print ROOT_PASSWORD',
      path.join(lab.outDir, 'Vagrantfile'),
    ]);
    expect(r.stdout).toBe(HOSTILE);
    // The password is in no generated file, only in the secrets folder: the file 0600, the folder 0700.
    for (const text of Object.values(files)) expect(text).not.toContain('$(reboot)');
    const secret = path.join(lab.outDir, 'secrets', 'root-password');
    expect(fs.statSync(secret).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(secret)).mode & 0o777).toBe(0o700);
    // And the shell command Ruby builds from it hands chpasswd exactly that password.
    const sh = await execa('ruby', ['-rshellwords', '-e', 'print Shellwords.escape("root:#{ARGV[0]}")', HOSTILE]);
    const echoed = await execa('bash', ['-c', `printf '%s' ${sh.stdout}`]);
    expect(echoed.stdout).toBe(`root:${HOSTILE}`);
  });

  test('a hostile key path stays text in Ruby and in ssh_config', async () => {
    const dir = tempDir();
    const keyDir = path.join(dir, `keys dir 'x' $(id)`);
    fs.mkdirSync(keyDir);
    const text = `access: { ssh_key: ${JSON.stringify(`${keyDir}/lab key`)} }`;
    const { lab } = render(text);
    const r = await execa('ruby', [
      '-e',
      'module Vagrant; def self.require_version(*); end; def self.configure(_); end; end; load ARGV[0]; print LAB_PUBLIC_KEY',
      path.join(lab.outDir, 'Vagrantfile'),
    ]);
    expect(r.stdout).toBe(`${keyDir}/lab key.pub`);
    requireTool('ssh');
    const g = await execa('ssh', ['-G', '-F', path.join(lab.outDir, 'ssh_config'), 'etcd1']);
    expect(g.stdout).toContain(`identityfile ${keyDir}/lab key`);
    expect(g.stdout).toMatch(/^hostname 10\.240\.0\.11$/m);
    expect(g.stdout).toMatch(/^user root$/m);
  });

  test('the provisioning files Vagrant uploads pass shellcheck -x: node.sh follows the lib.sh shipped beside it', async () => {
    requireTool('shellcheck');
    const { lab, files } = render('{}');
    expect(Object.keys(files).filter((f) => f.startsWith('provision/') && f.endsWith('.sh'))).toEqual([
      'provision/lib.sh',
      'provision/node.sh',
    ]);
    const provision = path.join(lab.outDir, 'provision');
    // From another directory: the source-path=SCRIPTDIR directive, not the working directory, finds lib.sh.
    await execa('shellcheck', ['-x', '-s', 'bash', path.join(provision, 'node.sh'), path.join(provision, 'lib.sh')], {
      cwd: '/',
    });
    fs.rmSync(path.join(provision, 'lib.sh'));
    await expect(
      execa('shellcheck', ['-x', '-s', 'bash', path.join(provision, 'node.sh')], { cwd: '/' }),
    ).rejects.toThrow(/SC1091/);
  });

  test("node.sh speaks lib.sh's vocabulary: it sources the shipped lib.sh and stops with a tagged error", async () => {
    const { lab } = render('{}');
    const provision = path.join(lab.outDir, 'provision');
    const env = {
      LABFORGE_IP: '10.240.0.11',
      LABFORGE_PREFIX: '24',
      // No NIC has this MAC (locally administered, never handed out): node.sh stops before it changes anything.
      LABFORGE_MAC: '02:00:00:00:00:00',
      LABFORGE_FQDN: 'etcd1.example.com',
      LABFORGE_GATEWAY: '10.240.0.1',
      LABFORGE_DOMAIN: 'example.com',
      LABFORGE_FILES: provision,
    };
    const r = await execa('bash', [path.join(provision, 'node.sh')], { env, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      process.getuid?.() === 0
        ? '[labforge node] ERROR: no network interface has the lab MAC 02:00:00:00:00:00'
        : '[labforge node] ERROR: must run as root (packer runs it through sudo)',
    );
    // Without the library next to it, it stops at once and names the file.
    const alone = await execa('bash', [path.join(provision, 'node.sh')], {
      env: { ...env, LABFORGE_FILES: tempDir() },
      reject: false,
    });
    expect(alone.exitCode).not.toBe(0);
    expect(alone.stderr).toContain('lib.sh');
  });

  test('the same lab file renders byte-identical files in two separate runs, each headed by what generated it', async () => {
    const dir = tempDir();
    const file = writeLab(fs.readFileSync(path.join(ROOT, 'lab.yaml'), 'utf8'), dir);
    const out = path.join(dir, 'out');
    const read = () =>
      Object.fromEntries(
        listFiles(out)
          .filter((f) => !f.startsWith('logs/') && !f.startsWith('.'))
          .map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]),
      );
    const a = await cli(['--lab', file, '--out', out, 'render', '--json']);
    expect(a.exitCode).toBe(0);
    const first = read();
    fs.rmSync(out, { recursive: true });
    const b = await cli(['--lab', file, '--out', out, 'render', '--json']);
    expect(b.exitCode).toBe(0);
    const second = read();
    // A new lab key in the second run: every other file is the same, byte for byte.
    const withoutKey = (f: Record<string, string>) =>
      Object.fromEntries(Object.entries(f).filter(([p]) => !p.startsWith('secrets/')));
    expect(withoutKey(second)).toEqual(withoutKey(first));
    expect(JSON.parse(a.stdout).hash).toBe(JSON.parse(b.stdout).hash);
    for (const f of ['Vagrantfile', 'network.xml', 'management-network.xml', 'ssh_config', 'packer/sources.pkr.hcl']) {
      expect(first[f].split('\n')[0]).toContain('Generated by labforge from ../lab.yaml.');
    }
  });
});

describe('hosts and ssh_config', () => {
  test('hosts has a marked block naming every node and VIP once', () => {
    const { files } = render('{}');
    const lines = files.hosts.trim().split('\n');
    expect(lines[0]).toBe('# BEGIN labforge lab kubernetes');
    expect(lines[lines.length - 1]).toBe('# END labforge lab kubernetes');
    const entries = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(/\s+/));
    expect(entries).toHaveLength(11);
    expect(entries).toContainEqual(['10.240.0.20', 'controller.example.com', 'controller']);
    expect(entries).toContainEqual(['10.240.0.31', 'worker1.example.com', 'worker1']);
  });

  test('ssh -G resolves every node and FQDN to root at its address with the lab key', async () => {
    requireTool('ssh');
    const { lab } = render('{}');
    for (const n of lab.nodes) {
      for (const alias of [n.name, n.fqdn]) {
        const g = await execa('ssh', ['-G', '-F', path.join(lab.outDir, 'ssh_config'), alias]);
        expect(g.stdout).toMatch(new RegExp(`^hostname ${n.ip.replace(/\./g, '\\.')}$`, 'm'));
        expect(g.stdout).toContain(`identityfile ${lab.access.sshKey}`);
      }
    }
  });
});
