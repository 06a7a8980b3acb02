// labforge ci github|gitlab: a CI file that runs this lab (the generator is src/render/ci.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { ProgramOptions } from './open.js';

export function ciCommand(program: Command): void {
  program
    .command('ci')
    .description(
      'write a CI file that runs this lab: a GitHub Actions workflow (GitHub-hosted runner with KVM) ' +
        'or a GitLab CI job (self-hosted runner with libvirt)',
    )
    .argument('<system>', 'github or gitlab')
    .option(
      '--output <file>',
      'write to this file instead of standard output (e.g. .github/workflows/labforge.yml, .gitlab-ci.yml)',
    )
    .option(
      '--labforge <command>',
      'how the job runs labforge (default: npx --yes labforge@<this version>), ' +
        'e.g. "npx labforge" when your repo has it as a dependency',
    )
    .action(async (system: string, cmd: { output?: string; labforge?: string }) => {
      if (system !== 'github' && system !== 'gitlab')
        throw new UsageError(`ci: "${system}" is not a CI system labforge writes for (github or gitlab)`);
      if (cmd.labforge !== undefined && !/^[\w@%+=:,./ -]+$/.test(cmd.labforge.trim()))
        throw new UsageError(
          `ci --labforge: ${JSON.stringify(cmd.labforge)} is not a plain command ` +
            '(letters, digits, spaces and @%+=:,./- only)',
        );
      const { loadLabFile } = await import('../lab/load.js');
      const { repoFile } = await import('../render/repo-files.js');
      const { renderGithubWorkflow, renderGitlabCi } = await import('../render/ci.js');
      const opts = program.opts<ProgramOptions>();
      const { lab } = loadLabFile(opts.lab, { outDir: opts.out });
      const rel = (p: string) => path.relative(process.cwd(), p).split(path.sep).join('/');
      const labFile = lab.source === '<defaults>' ? opts.lab : rel(lab.source);
      if (labFile.startsWith('../') || path.isAbsolute(labFile) || rel(lab.outDir).startsWith('../'))
        throw new UsageError(
          `ci: the lab file ${JSON.stringify(opts.lab)} and its output folder must be inside the current folder ` +
            "(run it from the repository's root)",
        );
      const version = (JSON.parse(repoFile('package.json')) as { version: string }).version;
      const o = {
        labFile,
        labName: lab.name,
        outDir: rel(lab.outDir),
        labforge: cmd.labforge?.trim() || `npx --yes labforge@${version}`,
        version,
      };
      const text = system === 'github' ? renderGithubWorkflow(o) : renderGitlabCi(o);
      if (!cmd.output) process.stdout.write(text);
      else {
        fs.mkdirSync(path.dirname(path.resolve(cmd.output)), { recursive: true });
        fs.writeFileSync(cmd.output, text);
        console.log(`labforge: wrote ${cmd.output} for lab ${lab.name} (${labFile})`);
      }
    });
}
