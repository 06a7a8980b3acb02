// labforge ci github|gitlab: a CI file that runs this lab (src/lifecycle/ci.ts; the templates are under ci/).
import type { Command } from 'commander';
import type { ProgramOptions } from './open.js';

interface CiFlags {
  output?: string;
  install?: string;
  tags?: string;
  image?: string;
}

export function ciCommand(program: Command): void {
  program
    .command('ci')
    .description(
      'write a CI file that runs this lab: a GitHub Actions workflow (GitHub-hosted runner with KVM) or a GitLab CI ' +
        "job (GitLab's hosted runners by default); the job installs labforge as this repository has it",
    )
    .argument('<system>', 'github or gitlab')
    .option(
      '--output <file>',
      'write to this file inside the repository instead of standard output ' +
        '(e.g. .github/workflows/labforge.yml, .gitlab-ci.yml)',
    )
    .option(
      '--install <spec>',
      "how the job gets labforge when this repository's package.json does not have it: a git spec " +
        '(github:OWNER/labforge#v0.1.0, git+https://...), an https tarball URL, or a tarball file from npm pack ' +
        '(./labforge-0.1.0.tgz)',
    )
    .option(
      '--tags <list>',
      "gitlab: the runner tags, comma-separated (default: saas-linux-small-amd64, GitLab's hosted Linux runner)",
    )
    .option('--image <image>', "gitlab: the job's container image (default: node:20-bookworm)")
    .action(async (system: string, cmd: CiFlags) => {
      const { ciFile } = await import('../lifecycle/ci.js');
      const opts = program.opts<ProgramOptions>();
      const r = ciFile(system, { lab: opts.lab, out: opts.out, ...cmd });
      for (const w of r.warnings) console.error(`labforge: ${w}`);
      if (!r.file) process.stdout.write(r.text);
      else console.log(`labforge: wrote ${cmd.output} for lab ${r.labName} (${r.labFile})`);
    });
}
