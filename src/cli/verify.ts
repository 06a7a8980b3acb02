// labforge verify: every node checked (root ssh with the lab key, name, address, SELinux, firewalld, names, pings);
// the table for people, JSON, a JUnit report and a Markdown summary for CI. Exit code 1 when a node fails.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { OpenLab } from '../lifecycle/open.js';
import type { NodeVerdict } from '../render/verify-report.js';
import { openLabOf } from './open.js';
import { printJson } from './output.js';

/** Runs verify and prints its table (up and reset end with it); exit code 1 when a node fails it. */
export async function printVerify(o: OpenLab): Promise<NodeVerdict[]> {
  const { formatVerdicts, verify } = await import('../lifecycle/nodes/verify.js');
  const verdicts = await verify(o.lab);
  console.log(formatVerdicts(verdicts));
  const failed = verdicts.filter((n) => !n.ok).map((n) => n.node);
  if (failed.length) {
    console.error(`labforge: verify failed on ${failed.join(', ')}`);
    process.exitCode = 1;
  }
  return verdicts;
}

export function verifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      'check every node: root ssh with the lab key, name, static address, SELinux off, no firewalld, names and pings',
    )
    .option('--json', 'print the result as JSON')
    .option('--report <file>', 'write the checks as JUnit XML (a test case per node and check) for CI test results')
    .option(
      '--summary <file>',
      'append a Markdown report (the verify table and the topology as a Mermaid diagram) to this file, ' +
        'e.g. $GITHUB_STEP_SUMMARY',
    )
    .action(async (cmd: { json?: boolean; report?: string; summary?: string }) => {
      for (const [flag, file] of [
        ['--report', cmd.report],
        ['--summary', cmd.summary],
      ] as const) {
        if (file !== undefined && (file === '' || !fs.existsSync(path.dirname(path.resolve(file)))))
          throw new UsageError(`verify ${flag}: ${JSON.stringify(file)} is not a file in an existing folder`);
      }
      const { formatVerdicts, verifyWithReports } = await import('../lifecycle/nodes/verify.js');
      const o = await openLabOf(program);
      await (await import('../lifecycle/nodes/ready.js')).requireRunning(o.lab);
      const verdicts = await verifyWithReports(o.lab, { report: cmd.report, summary: cmd.summary });
      if (cmd.json) printJson(verdicts);
      else console.log(formatVerdicts(verdicts));
      if (verdicts.some((n) => !n.ok)) process.exitCode = 1;
    });
}
