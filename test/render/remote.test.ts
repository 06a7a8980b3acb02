// A lab on a remote libvirt host (host.uri qemu+ssh): the Vagrantfile Vagrant validates hands vagrant-libvirt the URI
// and keeps no console file path of this machine; ssh_config reaches every node through the host (ssh -G).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadLabText } from '../../src/lab/load.js';
import { renderLab } from '../../src/render/index.js';
import { writeRender } from '../../src/lifecycle/state/renders.js';
import { requireTool, tempDir, vagrantKeyPair, vagrantValidate, writeLab } from '../support.js';

const KEYS = await vagrantKeyPair();
const URI = 'qemu+ssh://root@10.77.0.11/system';
const NODES = 'nodes:\n  - { name: n1 }\n  - { name: n2 }\n';

function render(text: string) {
  const dir = tempDir();
  const { lab } = loadLabText(text, writeLab(text, dir), { outDir: path.join(dir, 'out') });
  const r = renderLab(lab, { driver: 'qemu', vagrantPublicKeys: KEYS.publicKeys });
  writeRender(lab.outDir, r, lab);
  fs.mkdirSync(path.dirname(lab.access.sshKey), { recursive: true });
  fs.writeFileSync(
    `${lab.access.sshKey}.pub`,
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3dTAvHAQ9jU3v0R6wX8a5V5u3p7QjM2KjOZ9pQfQbB t\n',
  );
  return { lab, files: r.files };
}

describe('a lab on a remote libvirt host', () => {
  test('vagrant validate passes; vagrant-libvirt gets the URI and both serial ports are ptys on the host', async () => {
    requireTool('vagrant');
    const { lab, files } = render(`host: { uri: "${URI}" }\n${NODES}`);
    const v = await vagrantValidate(lab.outDir);
    expect(v.all).toContain('Vagrantfile validated successfully');
    expect(files.Vagrantfile).toContain(`lv.uri = '${URI}'`);
    expect(files.Vagrantfile).not.toMatch(/serial type: 'file'/);
    expect(files.Vagrantfile.match(/lv\.serial type: 'pty'/g)).toHaveLength(2);
    // The local lab keeps its console file.
    expect(render(NODES).files.Vagrantfile).toMatch(/serial type: 'file'/);
  });

  test('ssh -G: every node is reached through the host, with the lab key for the node only', async () => {
    requireTool('ssh');
    const { lab } = render(`host: { uri: "${URI}" }\n${NODES}`);
    for (const n of lab.nodes) {
      const g = await execa('ssh', ['-G', '-F', path.join(lab.outDir, 'ssh_config'), n.name]);
      expect(g.stdout).toMatch(/^proxyjump root@\[?10\.77\.0\.11\]?$/m);
      expect(g.stdout).toMatch(new RegExp(`^hostname ${n.ip.replace(/\./g, '\\.')}$`, 'm'));
    }
    const local = render(NODES).lab;
    const g = await execa('ssh', ['-G', '-F', path.join(local.outDir, 'ssh_config'), local.nodes[0].name]);
    expect(g.stdout).not.toMatch(/^proxyjump /m);
  });
});
