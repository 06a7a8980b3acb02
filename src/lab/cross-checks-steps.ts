// The lab file's provisioning steps and data disks across fields: one kind per step, copy destinations, the host
// paths a step names (checked by the caller's PathCheck), unique disk names per node (cross-checks.ts calls it).
import { formatPath, show, type FieldPath } from './issues.js';

export type PathField =
  | 'image.local'
  | 'access.ssh_key'
  | 'host.pool_path'
  | 'provision.script'
  | 'provision.copy.src'
  | 'provision.playbook';

/** The kinds of provisioning step: each step has exactly one. */
export const STEP_KINDS = ['script', 'shell', 'copy', 'playbook'] as const;

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** Reports the steps' and disks' problems through `err`, each disk size through `dataSize`; returns the host paths
 *  the steps name, with their field, for the caller to check. */
export function stepAndDiskIssues(
  lab: Record<string, unknown>,
  roles: Record<string, unknown>,
  nodes: Record<string, unknown>[],
  err: (path: FieldPath, message: string) => void,
  dataSize: (path: FieldPath, value: unknown) => void,
): [FieldPath, unknown, PathField][] {
  const provisionPaths: [FieldPath, unknown, PathField][] = [];
  const stepLists: [FieldPath, unknown][] = [
    [['provision'], lab.provision],
    ...Object.entries(roles).map(([k, v]): [FieldPath, unknown] => [['roles', k, 'provision'], obj(v).provision]),
    ...nodes.map((n, i): [FieldPath, unknown] => [['nodes', i, 'provision'], n.provision]),
  ];
  for (const [where, list] of stepLists) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, i) => {
      const step = obj(raw);
      const at: FieldPath = [...where, i];
      const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
      if (kinds.length !== 1)
        err(
          at,
          kinds.length === 0
            ? `names no step: give exactly one of ${STEP_KINDS.join(', ')}`
            : `gives ${kinds.join(' and ')}: a step is exactly one of ${STEP_KINDS.join(', ')} (make them separate steps)`,
        );
      if (step.script !== undefined) provisionPaths.push([[...at, 'script'], step.script, 'provision.script']);
      if (step.playbook !== undefined) provisionPaths.push([[...at, 'playbook'], step.playbook, 'provision.playbook']);
      const copy = obj(step.copy);
      if (copy.src !== undefined) provisionPaths.push([[...at, 'copy', 'src'], copy.src, 'provision.copy.src']);
      if (typeof copy.dest === 'string' && !/^\/[^\0]*$/.test(copy.dest))
        err([...at, 'copy', 'dest'], `${show(copy.dest)} is not an absolute path on the node (it must start with /)`);
      else if (typeof copy.dest === 'string' && copy.dest.split('/').includes('..'))
        err([...at, 'copy', 'dest'], `${show(copy.dest)} holds "..": name the place on the node without it`);
      if (typeof step.copy === 'object' && step.copy !== null && typeof copy.mode === 'number')
        err(
          [...at, 'copy', 'mode'],
          `${show(copy.mode)} is a number (YAML reads 0644 as 644): write the mode in quotes, like '0644'`,
        );
    });
  }
  const diskLists: [FieldPath, unknown][] = [
    ...Object.entries(roles).map(([k, v]): [FieldPath, unknown] => [['roles', k, 'disks'], obj(v).disks]),
    ...nodes.map((n, i): [FieldPath, unknown] => [['nodes', i, 'disks'], n.disks]),
  ];
  for (const [where, list] of diskLists) {
    if (!Array.isArray(list)) continue;
    const names = new Map<string, number>();
    list.forEach((raw, i) => {
      const disk = obj(raw);
      dataSize([...where, i, 'size'], disk.size);
      const name = typeof disk.name === 'string' ? disk.name : `data${i + 1}`;
      const first = names.get(name);
      if (first !== undefined)
        err(
          [...where, i, 'name'],
          `"${name}" is already the name of ${formatPath([...where, first])}` +
            `${disk.name === undefined ? ' (a disk without a name is data<position>)' : ''}; each disk of a node needs its own`,
        );
      else names.set(name, i);
    });
  }
  return provisionPaths;
}
