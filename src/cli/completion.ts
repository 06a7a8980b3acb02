// labforge completion bash|zsh|fish: a completion script for the shell, from the program's own commands and options.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { SHELLS, renderCompletion, type CompletionTree } from '../render/completion.js';

/** The command tree as completion needs it: visible commands and options (hidden deprecated names left out). */
export function completionTree(cmd: Command, globals: CompletionTree['options'] = []): CompletionTree {
  const visible = cmd.options.filter((o) => !o.hidden);
  const names = visible.flatMap((o) => [o.short, o.long].filter((n): n is string => Boolean(n)));
  const takesValue = visible
    .filter((o) => o.required || o.optional)
    .flatMap((o) => [o.short, o.long].filter((n): n is string => Boolean(n)));
  return {
    name: cmd.name(),
    description: cmd.description(),
    options: [...names, ...globals, '--help'],
    valueOptions: takesValue,
    commands: cmd.commands
      .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden && c.name() !== 'help')
      .map((c) => completionTree(c)),
  };
}

export function completionCommand(program: Command): void {
  program
    .command('completion')
    .description(
      'print a shell completion script: bash (source it, e.g. from ~/.bashrc: source <(labforge completion bash)), ' +
        'zsh (into a folder on $fpath as _labforge) or fish (~/.config/fish/completions/labforge.fish)',
    )
    .argument('<shell>', SHELLS.join(', '))
    .action((shell: string) => {
      const sh = SHELLS.find((s) => s === shell);
      if (!sh)
        throw new UsageError(`completion: the shell must be one of ${SHELLS.join(', ')}, got ${JSON.stringify(shell)}`);
      process.stdout.write(renderCompletion(sh, completionTree(program), program.version() ?? ''));
    });
}
