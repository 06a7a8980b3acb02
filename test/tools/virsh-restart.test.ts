// libvirtd killed and started again under a running labforge (a real libvirtd in the test's own namespace): a virsh
// call that only reads is asked again until libvirt is back; one that changes something says clearly that libvirt
// went away and what to do, instead of virsh's raw "Failed to connect socket".
import { LibvirtLostError, Virsh } from '../../src/tools/virsh.js';
import { useNetns } from '../netns.js';

const ns = useNetns('lf-vrestart');

test('reads ride out a libvirtd restart; a change during it fails naming libvirt and the way on', async () => {
  const virsh = new Virsh('qemu:///system');
  expect(await virsh.domains()).toEqual([]); // libvirt answered once in this process
  const restart = ns().restartLibvirtd(4);
  await new Promise((r) => setTimeout(r, 1000)); // libvirtd is gone now, and back in about 3 s
  const started = Date.now();
  const [nets, change] = await Promise.allSettled([virsh.networks(), virsh.startNetwork('lf-none')]);
  expect(nets).toEqual({ status: 'fulfilled', value: [] });
  expect(Date.now() - started).toBeGreaterThan(1500); // it did wait for libvirt
  expect(change.status).toBe('rejected');
  const e = (change as PromiseRejectedResult).reason as Error;
  expect(e).toBeInstanceOf(LibvirtLostError);
  const cmd = '`virsh -q -c qemu:///system net-start lf-none`';
  expect(e.message).toContain(
    `lost the connection to libvirt (qemu:///system) during ${cmd}: the libvirt daemon (libvirtd or virtqemud) ` +
      'stopped or was restarted. Check that it answers (`virsh -c qemu:///system list`), then run the same ' +
      'labforge command again: it finishes what was started.\n    ',
  );
  expect(e.message).toMatch(/Failed to connect socket/);
  expect(await restart).toMatch(/^restarted libvirtd \(was pid \d+, now \d+\)/m);
}, 120000);
