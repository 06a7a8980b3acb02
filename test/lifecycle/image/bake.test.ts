// How bake drives Packer by version (a stand-in packer records its command lines; the real Packer 1.6.6 build is
// in the end-to-end test): >= 1.7 runs `packer init` on the plugins file first, 1.6.x builds without it. A failing
// build is reported with the tool, its command line and exit code, and exit code 1.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI, standInPacker } from '../../support.js';

async function bakeWith(version: string) {
  const { dir, lab, env } = standInPacker(
    [
      'echo "$PWD|$*" >> "$STANDIN_DIR/calls"',
      `if [ "$1" = version ]; then echo "Packer v${version}"; exit 0; fi`,
      'if [ "$1" = init ]; then exit 0; fi',
      `echo "Build 'qemu.fedora' errored: stand-in failure"; exit 3`,
    ].join('\n'),
  );
  const calls = path.join(dir, 'calls');
  const out = path.join(dir, 'out');
  const r = await execa('node', [CLI, '--lab', lab, '--out', out, 'bake'], {
    env,
    reject: false,
    all: true,
  });
  const all = fs
    .readFileSync(calls, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('|'));
  // With CI=true, doctor's checks for a bake run first (`packer version` among them): the host gate, exit code 3.
  expect(all[0][1]).toBe('version');
  const lines = all.slice(1);
  // Packer runs in the current render's packer/ folder, reached through the <out>/packer link.
  return { r, lines, packerDir: fs.realpathSync(path.join(out, 'packer')) };
}

test('Packer >= 1.7: packer init on the plugins file, then build in the packer folder', async () => {
  const { r, lines, packerDir } = await bakeWith('1.9.4');
  expect(lines.map(([, args]) => args.split(' ').slice(0, 2).join(' '))).toEqual([
    'version',
    'init plugins/plugins.pkr.hcl',
    'build -force',
  ]);
  expect(lines.slice(1).every(([cwd]) => cwd === packerDir)).toBe(true);
  expect(lines[2][1]).toMatch(/-var ssh_private_key_file=\S+\/keys\/vagrant \.$/);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toContain('labforge: packer failed: `packer build -force -color=false -var ssh_private_key_file=');
  expect(r.stderr).toContain('exited with code 3');
  expect(r.stderr).toContain("Build 'qemu.fedora' errored: stand-in failure");
});

test('Packer 1.6.6: no packer init (it has the builders built in and rejects required_plugins)', async () => {
  const { r, lines } = await bakeWith('1.6.6');
  expect(lines.map(([, args]) => args.split(' ')[0])).toEqual(['version', 'build']);
  expect(r.all).toContain('[SKIPPED] Packer 1.6.6 has the qemu builder built in');
  expect(r.exitCode).toBe(1);
  // CI=true: one timestamped line per step, the failed one included, then the summary; no tool output lines.
  expect(r.stdout).toMatch(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[DONE\] Check Packer: Packer 1\.6\.6 .*\(\d+\.\d s\)$/m,
  );
  expect(r.stdout).toMatch(
    /^\S+Z \[FAILED\] Build the image \(packer build, accelerator \w+\): packer failed: .* exited with code 3 \(\d+\.\d s\)$/m,
  );
  expect(r.stdout).toMatch(/^labforge: 3 steps: 1 done, 1 skipped, 1 failed in \d+\.\d s \(failed: Build the image/m);
  expect(r.stdout).not.toContain('[OUTPUT]');
});

test("Packer's temp files go to a folder of labforge's, removed after the build (a failed one too): nothing is left in TMPDIR", async () => {
  const { dir, lab, env } = standInPacker(
    [
      'if [ "$1" = version ]; then echo "Packer v1.6.6"; exit 0; fi',
      // What Packer 1.6.6 leaves behind after a build with cd_files.
      'if [ "$1" = build ]; then echo "$TMPDIR" > "$STANDIN_DIR/tmpdir"; : > "$TMPDIR/packer_to_cdrom123"; fi',
      `echo "Build 'qemu.fedora' errored: stand-in failure"; exit 3`,
    ].join('\n'),
  );
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const r = await execa('node', [CLI, '--lab', lab, '--out', path.join(dir, 'out'), 'bake'], {
    env: { ...env, TMPDIR: tmp },
    reject: false,
  });
  expect(r.exitCode).toBe(1);
  const used = fs.readFileSync(path.join(dir, 'tmpdir'), 'utf8').trim();
  expect(path.dirname(used)).toBe(tmp);
  expect(path.basename(used)).toMatch(/^labforge-packer-build-/);
  expect(fs.readdirSync(tmp)).toEqual([]);
});
