// The baseline: the snapshot `up` takes when a lab first comes up (and of every node added later), and the one
// `reset` restores.
import type { Lab } from '../../lab/model.js';
import { labVirsh } from '../nodes/lab-hosts.js';
import type { Step } from '../steps.js';
import { deleteSnapshot } from './delete.js';
import { BASELINE, baselineLacks } from './plan.js';
import { resolveLabDomains } from './record.js';
import { saveSnapshot } from './save.js';

/**
 * `up`'s last step: the `baseline` snapshot of every node that lacks it (all of them when the lab first comes up; a
 * node added later, or whose domain was re-created). An interrupted delete of the baseline is finished first.
 */
export function baselineStep<C>(lab: Lab, log: string): Step<C> {
  return {
    title: `Take the ${BASELINE} snapshot (labforge reset returns to it)`,
    task: async (_c, progress) => {
      const virsh = labVirsh(lab, { log });
      let { record, nodes } = await resolveLabDomains(lab, virsh);
      if ((record.snapshots ?? []).find((s) => s.name === BASELINE)?.status === 'deleting') {
        await deleteSnapshot(lab, BASELINE, { virsh });
        ({ record, nodes } = await resolveLabDomains(lab, virsh));
      }
      const lacking = baselineLacks(record, nodes);
      if (lacking.length === 0)
        return `every node has it (taken ${(record.snapshots ?? []).find((s) => s.name === BASELINE)?.createdAt})`;
      const first = !(record.snapshots ?? []).some((s) => s.name === BASELINE);
      const r = await saveSnapshot(lab, BASELINE, { only: first ? undefined : lacking, log, progress });
      return `${r.nodes.join(', ')} (the nodes stood still ${r.suspendedSeconds.toFixed(1)} s)`;
    },
  };
}
