// labforge graph: the lab's topology as a picture, the way the guide shows its network: the lab and management
// networks (subnet, forwarding, gateway), every node (FQDN, address, role, size) on both, and the VIPs on the lab
// network. Mermaid (for Markdown) comes from the same function as the verify summary; DOT is for Graphviz (svg).
import type { Lab } from '../lab/model.js';
import { dot } from './escape.js';
import { networkLines, nodeLines, renderTopology } from './verify-report.js';

export function renderMermaid(lab: Lab): string {
  return `${renderTopology(lab)}\n`;
}

export function renderDot(lab: Lab): string {
  const net = lab.network;
  const mgmt = lab.management;
  const lines = [
    `graph ${dot(`lab ${lab.name}`)} {`,
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=10];',
    `  lab_net [shape=cylinder, label=${dot(networkLines(lab, net, `network ${net.name}`, `domain ${lab.domain}`))}];`,
    `  mgmt_net [shape=cylinder, style=dashed, label=${dot(networkLines(lab, mgmt, `management ${mgmt.name}`))}];`,
  ];
  lab.nodes.forEach((n, i) => {
    lines.push(`  node${i} [shape=box, label=${dot(nodeLines(n))}];`);
    lines.push(`  lab_net -- node${i};`, `  mgmt_net -- node${i} [style=dashed];`);
  });
  lab.vips.forEach((v, i) => {
    lines.push(
      `  vip${i} [shape=ellipse, style=dashed, label=${dot([`VIP ${v.fqdn}`, v.ip])}];`,
      `  lab_net -- vip${i} [style=dotted];`,
    );
  });
  lines.push('}', '');
  return lines.join('\n');
}
