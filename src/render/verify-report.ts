// verify's verdicts as reports for CI: JUnit XML (one test case per node and check, so a CI shows them as test
// results) and Markdown for a job summary (the verify table and the lab's topology as a Mermaid diagram, each node
// coloured by its verdict). Pure: lab + verdicts in, text out.
import type { Lab, LabNetwork, LabNode } from '../lab/model.js';
import { xml } from './escape.js';
import { markdownText, xmlChars } from '../inert.js';

/** verify's verdict on a node: what the reports show. */
export interface NodeVerdict {
  node: string;
  ok: boolean;
  facts: Record<string, string>;
  problems: string[];
  /** Every check with its result, in a fixed order (the verify report's test cases). */
  checks: CheckResult[];
}

/** One check of a node: a test case of the verify report. `ok` is undefined when it could not be checked (no ssh). */
export interface CheckResult {
  name: string;
  ok: boolean | undefined;
  problem?: string;
}

/** Text in the XML report: what XML 1.0 cannot carry, even as a reference (controls, U+FFFE, U+FFFF, unpaired
 *  surrogates), becomes '?' (inert.ts), then markup characters are escaped. */
function xmlText(value: string | number): string {
  return xml(xmlChars(String(value)));
}

export interface ReportTiming {
  /** When verify started (ISO 8601). */
  timestamp: string;
  /** How long verify took, in seconds. */
  seconds: number;
}

/** JUnit XML: a <testsuite> per node (classname <lab>.<node>), a <testcase> per check; a failed check is a
 *  <failure> with the problem, a check that could not be made (no ssh) is <skipped>. */
export function renderJunit(lab: Lab, verdicts: NodeVerdict[], timing: ReportTiming): string {
  const count = (v: NodeVerdict[], what: 'fail' | 'skip') =>
    v.reduce((s, n) => s + n.checks.filter((c) => (what === 'fail' ? c.ok === false : c.ok === undefined)).length, 0);
  const tests = verdicts.reduce((s, n) => s + n.checks.length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlText(`labforge verify ${lab.name}`)}" tests="${tests}" ` +
      `failures="${count(verdicts, 'fail')}" errors="0" skipped="${count(verdicts, 'skip')}" ` +
      `time="${timing.seconds.toFixed(3)}">`,
  ];
  for (const v of verdicts) {
    const node = lab.nodes.find((n) => n.name === v.node);
    lines.push(
      `  <testsuite name="${xmlText(`${lab.name}/${v.node}`)}" tests="${v.checks.length}" ` +
        `failures="${count([v], 'fail')}" errors="0" skipped="${count([v], 'skip')}" ` +
        `timestamp="${xmlText(timing.timestamp)}" hostname="${xmlText(node?.fqdn ?? v.node)}">`,
    );
    for (const c of v.checks) {
      const open = `    <testcase name="${xmlText(c.name)}" classname="${xmlText(`${lab.name}.${v.node}`)}"`;
      if (c.ok === true) lines.push(`${open}/>`);
      else if (c.ok === undefined)
        lines.push(`${open}>`, '      <skipped message="not checked: no root ssh to the node"/>', '    </testcase>');
      else
        lines.push(
          `${open}>`,
          `      <failure message="${xmlText(c.problem ?? 'failed')}" type="check">${xmlText(c.problem ?? 'failed')}</failure>`,
          '    </testcase>',
        );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** Text in a Markdown table cell: one line, every character Markdown reads as markup (links, images, HTML,
 *  emphasis, code, the cell's `|`) as a character reference, invisible characters escaped (inert.ts). */
function cell(text: string): string {
  return markdownText(text);
}

/** A Mermaid label in double quotes: `"` and the characters Mermaid reads as markup become its #codes. */
function label(parts: string[]): string {
  const esc = (t: string) => t.replace(/[\r\n]+/g, ' ').replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
  return `"${parts.map(esc).join('<br/>')}"`;
}

/** A network's lines in a picture of the lab: `title`, subnet and forwarding (and DHCP on the management network),
 *  gateway, `more`. */
export function networkLines(lab: Lab, net: LabNetwork, title: string, ...more: string[]): string[] {
  const dhcp = net === lab.management ? ', DHCP' : '';
  return [title, `${net.subnet.cidr} (${net.forward}${dhcp})`, `gateway ${net.gateway}`, ...more];
}

/** A node's lines in `labforge graph`: FQDN, address, role, size. */
export function nodeLines(n: LabNode): string[] {
  return [n.fqdn, n.ip, ...(n.role ? [`role ${n.role}`] : []), `${n.cpus} CPU, ${n.memoryMiB} MiB, ${n.diskGiB} GiB`];
}

/** What verify said of a node, in the picture of the summary. */
function verdictLine(v: NodeVerdict | undefined): string {
  if (v === undefined) return 'not verified';
  if (v.ok) return 'ok';
  return `${v.problems.length} problem${v.problems.length === 1 ? '' : 's'}`;
}

/** The lab's topology as a Mermaid flowchart: both networks, every node (name, address, role) coloured by its
 *  verdict (ok / failed / not verified), and the VIPs on the lab network. Without verdicts (`labforge graph`): every
 *  node with its FQDN, address, role and size, and no fence around it. */
export function renderTopology(lab: Lab, verdicts?: NodeVerdict[]): string {
  const verdict = (name: string) => verdicts?.find((v) => v.node === name);
  const lines = verdicts ? ['```mermaid', 'flowchart LR'] : ['flowchart LR'];
  lines.push(
    `  lab_net[(${label(networkLines(lab, lab.network, `network ${lab.network.name}`))})]`,
    `  mgmt_net[(${label(networkLines(lab, lab.management, `management ${lab.management.name}`))})]`,
  );
  lab.nodes.forEach((n, i) => {
    if (!verdicts) {
      lines.push(`  node${i}[${label(nodeLines(n))}]`);
      lines.push(`  lab_net --- node${i}`, `  mgmt_net -.- node${i}`);
      return;
    }
    const v = verdict(n.name);
    const cls = v === undefined ? 'unknown' : v.ok ? 'ok' : 'failed';
    lines.push(`  node${i}[${label([n.name, n.ip, ...(n.role ? [`role ${n.role}`] : []), verdictLine(v)])}]:::${cls}`);
    lines.push(`  lab_net --- node${i}`, `  mgmt_net -.- node${i}`);
  });
  lab.vips.forEach((vip, i) => {
    lines.push(`  vip${i}([${label([`VIP ${vip.name}`, vip.ip])}]):::vip`, `  lab_net -.- vip${i}`);
  });
  lines.push(
    '  classDef ok fill:#d4edda,stroke:#1e7e34,color:#000',
    '  classDef failed fill:#f8d7da,stroke:#bd2130,color:#000',
    '  classDef unknown fill:#e2e3e5,stroke:#6c757d,color:#000',
    '  classDef vip fill:#fff,stroke:#6c757d,stroke-dasharray:4 3,color:#000',
    ...(verdicts ? ['```'] : []),
  );
  return lines.join('\n');
}

/** Markdown for $GITHUB_STEP_SUMMARY (or any Markdown viewer): the verdict, the verify table, the topology. */
export function renderSummary(lab: Lab, verdicts: NodeVerdict[], timing: ReportTiming): string {
  const failed = verdicts.filter((v) => !v.ok);
  const checks = verdicts.reduce((s, v) => s + v.checks.length, 0);
  const passed = verdicts.reduce((s, v) => s + v.checks.filter((c) => c.ok === true).length, 0);
  const head = failed.length
    ? `**${failed.length} of ${verdicts.length} nodes failed** (${passed} of ${checks} checks passed) in ${timing.seconds.toFixed(1)} s.`
    : `**All ${verdicts.length} nodes ok** (${checks} checks) in ${timing.seconds.toFixed(1)} s.`;
  const rows = verdicts.map((v) => {
    const n = lab.nodes.find((x) => x.name === v.node);
    const ok = v.checks.filter((c) => c.ok === true).length;
    const problems = v.problems.length ? v.problems.map(cell).join('<br>') : '';
    const row = [cell(v.node), cell(n?.ip ?? ''), cell(n?.role ?? ''), v.ok ? '✅ ok' : '❌ failed'];
    return `| ${row.join(' | ')} | ${ok}/${v.checks.length} | ${problems} |`;
  });
  return [
    `## labforge verify: lab ${cell(lab.name)}`,
    '',
    head,
    '',
    '| node | address | role | verdict | checks | problems |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '### Topology',
    '',
    renderTopology(lab, verdicts),
    '',
  ].join('\n');
}
