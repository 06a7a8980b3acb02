// Shell completion scripts for labforge (bash, zsh, fish), from its command tree: the commands, their subcommands
// and options. Pure: the tree in, the script's text out. Every name is checked to be a plain word before it reaches
// a script; fish's descriptions go through its single-quote escaping.

export interface CompletionTree {
  name: string;
  description: string;
  /** Option names (--json, -y, ...). */
  options: string[];
  /** The options that take a value (a file, a number): after them the shell completes file names. */
  valueOptions: string[];
  commands: CompletionTree[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const WORD = /^-{0,2}[a-zA-Z][a-zA-Z0-9-]*$/;

function checked(tree: CompletionTree): CompletionTree {
  for (const w of [tree.name, ...tree.options, ...tree.valueOptions])
    if (!WORD.test(w)) throw new Error(`completion: ${JSON.stringify(w)} is not a plain command or option name`);
  tree.commands.forEach(checked);
  return tree;
}

/** Every command path below the root ("", "snapshot", "snapshot save", ...) with its tree. */
function paths(tree: CompletionTree, prefix = ''): [string, CompletionTree][] {
  return [[prefix, tree], ...tree.commands.flatMap((c) => paths(c, prefix ? `${prefix} ${c.name}` : c.name))];
}

const words = (t: CompletionTree) => [...t.commands.map((c) => c.name), ...t.options].join(' ');
/** The options that take a value where `t` is: its own and the root's (the global options). */
const valuesAt = (root: CompletionTree, t: CompletionTree) =>
  [...new Set([...root.valueOptions, ...t.valueOptions])].join(' ');
const valueOptions = (tree: CompletionTree) => [...new Set(paths(tree).flatMap(([, t]) => t.valueOptions))];

/** The shell code bash and zsh share: `cmd` grows by the word `w` when that makes a known command path (" snapshot",
 *  " snapshot save", ...). */
function pathCase(tree: CompletionTree): string {
  const known = paths(tree)
    .slice(1)
    .map(([p]) => `" ${p}"`)
    .join('|');
  return `    case "$cmd $w" in\n      ${known}) cmd="$cmd $w" ;;\n    esac`;
}

function bash(tree: CompletionTree, header: string): string {
  const cases = paths(tree)
    .map(([p, t]) => `    "${p ? ` ${p}` : ''}") cands="${words(t)}" vals=" ${valuesAt(tree, t)} " ;;`)
    .join('\n');
  return `${header}
_${tree.name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" cands="" vals="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " ${valueOptions(tree).join(' ')} " in *" \${COMP_WORDS[i-1]} "*) continue ;; esac
${pathCase(tree)}
  done
  case "$cmd" in
${cases}
  esac
  # After an option that takes a value: nothing here (bash completes file names, complete -o default).
  case "$vals" in *" $prev "*) return 0 ;; esac
  mapfile -t COMPREPLY < <(compgen -W "$cands" -- "$cur")
}
complete -o default -F _${tree.name} ${tree.name}
`;
}

function zsh(tree: CompletionTree, header: string): string {
  const cases = paths(tree)
    .map(([p, t]) => `    "${p ? ` ${p}` : ''}") cands=(${words(t)}); vals=" ${valuesAt(tree, t)} " ;;`)
    .join('\n');
  return `#compdef ${tree.name}
${header}
_${tree.name}() {
  local cmd="" vals="" w i
  local -a cands
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    [[ "$w" == -* ]] && continue
    [[ " ${valueOptions(tree).join(' ')} " == *" \${words[i-1]} "* ]] && continue
${pathCase(tree)}
  done
  case "$cmd" in
${cases}
  esac
  if [[ "$vals" == *" \${words[CURRENT-1]} "* ]]; then
    _files
    return
  fi
  compadd -- "\${cands[@]}"
  _files
}
compdef _${tree.name} ${tree.name}
`;
}

/** A text in fish's single quotes (only \\ and \\' are escapes there). */
function fishQuote(s: string): string {
  return `'${s.replace(/[\\']/g, '\\$&').replace(/\s+/g, ' ')}'`;
}

function fish(tree: CompletionTree, header: string): string {
  const lines = [header, `complete -c ${tree.name} -f`];
  for (const [p, t] of paths(tree)) {
    const parts = p ? p.split(' ') : [];
    // At the root: no command given yet; below: the path's commands given, none of the next level's.
    const given = parts.length
      ? `__fish_seen_subcommand_from ${parts[parts.length - 1]}` +
        (t.commands.length ? `; and not __fish_seen_subcommand_from ${t.commands.map((c) => c.name).join(' ')}` : '')
      : '__fish_use_subcommand';
    for (const c of t.commands)
      lines.push(
        `complete -c ${tree.name} -n ${fishQuote(given)} -a ${c.name} -d ${fishQuote(c.description.split(/[:;(]/)[0].trim())}`,
      );
    for (const o of t.options) {
      const flag = o.startsWith('--') ? `-l ${o.slice(2)}` : `-s ${o.slice(1)}`;
      const file = t.valueOptions.includes(o) ? ' -r -F' : '';
      lines.push(
        `complete -c ${tree.name}${p ? ` -n ${fishQuote(`__fish_seen_subcommand_from ${parts[parts.length - 1]}`)}` : ''} ${flag}${file}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderCompletion(shell: Shell, tree: CompletionTree, version: string): string {
  const header = `# ${shell} completion for ${tree.name} ${version}, written by \`${tree.name} completion ${shell}\``;
  const t = checked(tree);
  return shell === 'bash' ? bash(t, header) : shell === 'zsh' ? zsh(t, header) : fish(t, header);
}
