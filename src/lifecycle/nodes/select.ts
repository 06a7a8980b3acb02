// Choosing a lab's nodes on the command line: one by name or FQDN, or TARGETS (all, a role, a glob of names, names,
// FQDNs or addresses, comma-separated). A word that names nothing is a mistake (exit 2) naming it and what exists.
import { UsageError } from '../../errors.js';
import type { Lab, LabNode } from '../../lab/model.js';
import { GLOB_MAX_LENGTH, globMatch } from './glob.js';

/** One node by its name, FQDN or address. */
export function findNode(lab: Lab, command: string, name: string): LabNode {
  const node = lab.nodes.find((n) => n.name === name || n.fqdn === name || n.ip === name);
  if (!node)
    throw new UsageError(
      `${command}: ${JSON.stringify(name)} is not a node of lab ${lab.name} (nodes: ${lab.nodes.map((n) => n.name).join(', ')})`,
    );
  return node;
}

/** The nodes TARGETS names, in lab order: `all`, a role, a glob of names, names, FQDNs or addresses, comma-separated.
 *  A word that names nothing is a mistake (exit 2) naming it and what exists. */
export function selectNodes(lab: Lab, targets: string): LabNode[] {
  const words = targets.split(',').map((w) => w.trim());
  if (words.some((w) => w === ''))
    throw new UsageError(
      `targets: ${JSON.stringify(targets)} has an empty entry; give names, roles, globs or all, separated by commas`,
    );
  const long = words.find((w) => w.length > GLOB_MAX_LENGTH);
  if (long !== undefined)
    throw new UsageError(
      `targets: an entry of ${long.length} characters (${JSON.stringify(long.slice(0, 20))}...) is longer than the ` +
        `${GLOB_MAX_LENGTH} a name, role or glob can be`,
    );
  const chosen = new Set<LabNode>();
  for (const word of words) {
    const matched =
      word === 'all'
        ? lab.nodes
        : lab.nodes.filter(
            (n) =>
              n.name === word ||
              n.fqdn === word ||
              n.ip === word ||
              n.role === word ||
              (/[*?]/.test(word) && globMatch(word, n.name)),
          );
    if (matched.length === 0) {
      const roles = [...new Set(lab.nodes.map((n) => n.role).filter(Boolean))];
      throw new UsageError(
        `targets: ${JSON.stringify(word)} names no node of lab ${lab.name} ` +
          `(nodes: ${lab.nodes.map((n) => n.name).join(', ')}${roles.length ? `; roles: ${roles.join(', ')}` : ''}; or all)`,
      );
    }
    for (const n of matched) chosen.add(n);
  }
  return lab.nodes.filter((n) => chosen.has(n));
}
