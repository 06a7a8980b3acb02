// Runs the fabric's lifecycle steps (src/lifecycle/nodes/fabric.ts, built into dist/) for a lab file, from wherever
// it is started: the test bed's workstation namespace, which reaches the hosts only over ssh. Prints JSON.
// Usage: node fabric-driver.mjs up|down|facts|placement|states|route LABFILE OUTDIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { loadLabText } = await import(path.join(root, 'dist/lab/load.js'));
const fabric = await import(path.join(root, 'dist/lifecycle/nodes/fabric.js'));
const placement = await import(path.join(root, 'dist/lifecycle/nodes/placement.js'));
const ready = await import(path.join(root, 'dist/lifecycle/nodes/ready.js'));
const { labVirsh } = await import(path.join(root, 'dist/lifecycle/nodes/lab-hosts.js'));

const [action, file, out] = process.argv.slice(2);
const { lab } = loadLabText(fs.readFileSync(file, 'utf8'), file, { outDir: out });
try {
  let result;
  if (action === 'up') result = await fabric.fabricUp(lab);
  else if (action === 'down') result = await fabric.fabricDown(lab);
  else if (action === 'facts') result = await fabric.hostFabricFacts(lab);
  else if (action === 'placement') result = await placement.checkPlacement(lab, 'qemu');
  else if (action === 'states') result = Object.fromEntries(await ready.labDomainStates(lab));
  else if (action === 'route') {
    // The lab's libvirt over both hosts (HostsVirsh): each domain call answered by the host that has the domain.
    const v = labVirsh(lab);
    const said = (p) => p.then((x) => x, (e) => `refused: ${e.message}`);
    const uuids = await v.domainUuids();
    result = {
      names: (await Promise.all(uuids.map((u) => v.domainName(u)))).sort(),
      xmlNames: (await Promise.all(uuids.map(async (u) => /<name>(.*)<\/name>/.exec(await v.domainXml(u))[1]))).sort(),
      stateOfTwice: await said(v.domainState('span-twice')),
      networks: await said(v.networks()),
    };
  } else throw new Error(`unknown action ${action}`);
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ error: e.message, exitStatus: e.exitStatus }));
  process.exitCode = 1;
}
