// labforge halt: every running node powered off at once, by the ACPI power button; forced off at a time limit.
import type { Lab, LabNode } from '../lab/model.js';
import { HALT_ASK_AGAIN_S, haltTimeLimitS, SSH_COMMAND_S, SSH_CONNECT_S } from '../time-limits.js';
import * as ssh from '../tools/ssh.js';
import { labVirsh } from './nodes/lab-hosts.js';
import { disconnect, target } from './nodes/connections.js';
import { logFile, runSteps } from './steps.js';

/** labforge halt: every running node is asked to power off at once, by the ACPI power button (systemd-logind then
 *  powers off as `systemctl poweroff` does, the graceful shutdown `vagrant halt` asks for over ssh, one node after
 *  another); labforge waits for libvirt to see all of them shut off. A node still up after HALT_ASK_AGAIN_S is
 *  asked again as root over ssh; one still running at the time limit is forced off, and that is reported. No login:
 *  a new ssh login costs a TCG guest about a second of CPU, and nine guests on two cores wait for each other's. */
export async function halt(
  lab: Lab,
  opts: { timeLimitS?: number; nodes?: LabNode[] } = {},
): Promise<{ forced: string[] }> {
  const chosen = opts.nodes ?? lab.nodes;
  const log = logFile(lab.outDir, 'halt');
  const virsh = labVirsh(lab, { log });
  const limit = opts.timeLimitS ?? haltTimeLimitS(lab.nodes.length);
  const forced: string[] = [];
  // The connection drops as the node goes down: ssh's exit code says nothing here, and the wait tells.
  const askOverSsh = (t: ssh.SshTarget) =>
    ssh
      .execAll(t, 'systemctl poweroff || poweroff', {
        connectTimeoutS: SSH_CONNECT_S,
        timeoutMs: SSH_COMMAND_S * 1000,
        log,
      })
      .catch(() => undefined);
  await runSteps<{ running: LabNode[] }>(
    [
      {
        title: `Ask the running nodes to power off, all at once`,
        task: async (c) => {
          const states = await virsh.domainStates();
          c.running = chosen.filter((n) => states.get(n.domain) === 'running');
          if (c.running.length === 0) return 'none is running';
          // Their shared ssh connections end first (their sshd would close them as they go down).
          await disconnect(lab, c.running);
          await Promise.all(c.running.map((n) => virsh.shutdown(n.domain)));
          return `${c.running.map((n) => n.name).join(', ')} (ACPI power button)`;
        },
      },
      {
        title: `Wait until libvirt sees them shut off (at most ${limit} s, then force them off)`,
        skip: (c) => (c.running.length === 0 ? 'none is running' : false),
        task: async (c, progress) => {
          const started = Date.now();
          const askAfterS = Math.min(HALT_ASK_AGAIN_S, limit / 2);
          const askedOverSsh: string[] = [];
          for (;;) {
            const states = await virsh.domainStates();
            const up = c.running.filter((n) => states.get(n.domain) !== 'shut off' && states.has(n.domain));
            const again = askedOverSsh.length
              ? ` (${askedOverSsh.join(', ')} asked again over ssh after ${askAfterS} s)`
              : '';
            if (up.length === 0) return `all shut off in ${Math.round((Date.now() - started) / 1000)} s${again}`;
            if (Date.now() - started > limit * 1000) {
              for (const n of up) await virsh.forceOff(n.domain);
              forced.push(...up.map((n) => n.name));
              return `forced off after ${limit} s: ${forced.join(', ')}${again}`;
            }
            if (askedOverSsh.length === 0 && Date.now() - started > askAfterS * 1000) {
              progress(`asking ${up.map((n) => n.name).join(', ')} again, as root over ssh`);
              await Promise.all(up.map((n) => askOverSsh(target(lab, n))));
              askedOverSsh.push(...up.map((n) => n.name));
            }
            progress(`still running: ${up.map((n) => n.name).join(', ')}`);
            await new Promise((r) => setTimeout(r, 500));
          }
        },
      },
    ],
    { running: [] },
  );
  return { forced };
}
