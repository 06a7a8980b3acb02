// Every error that ends a labforge command, and the exit code it ends it with. An error labforge expects carries
// its code (`exitStatus`); anything else that reaches the command line is a bug: exit 1, its stack under --debug.

/** labforge's exit codes. */
export const EXIT = {
  /** A tool failed, or the lab is broken. */
  failure: 1,
  /** A mistake in the lab file or in how labforge was called. */
  usage: 2,
  /** This host cannot run a lab (doctor's fatal checks). */
  host: 3,
  /** Stopped by a signal: 128 + its number. */
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export type ExitStatus = typeof EXIT.failure | typeof EXIT.usage | typeof EXIT.host;

/** The exit code an error asks for (its `exitStatus`), or undefined for any other error. */
export function exitStatusOf(e: unknown): ExitStatus | undefined {
  const status = (e as { exitStatus?: unknown } | undefined)?.exitStatus;
  return status === EXIT.failure || status === EXIT.usage || status === EXIT.host ? status : undefined;
}

/** The code of a failed system call (ENOENT, EEXIST, ...), or undefined for another error. */
export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** A command line as a message shows it: each argument as a shell word. */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

// --- exit 2: a mistake in the lab file or the call -------------------------------------------------------------

/** A mistake in how labforge was called. */
export class UsageError extends Error {
  readonly exitStatus = EXIT.usage;
}

/** One of labforge's own state files is damaged (truncated, not JSON, not the shape labforge writes): names the file
 *  and how to recover. */
export class StateFileError extends UsageError {}

/** A value a CI file cannot carry (labforge ci). */
export class CiValueError extends UsageError {}

/** Another labforge command works on the lab's output folder. */
export class LabBusyError extends UsageError {}

/** A lab file that does not validate: every problem, one line each, with its field path and position. */
export class LabValidationError extends Error {
  readonly exitStatus = EXIT.usage;

  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.join('\n'));
    this.name = 'LabValidationError';
  }
}

/** No lab file to read where --lab points. */
export class LabFileMissingError extends Error {
  readonly exitStatus = EXIT.usage;
}

/** Setup was called without root where it needs it, and there is no sudo. */
export class SetupNeedsRootError extends Error {
  readonly exitStatus = EXIT.usage;
}

// --- exit 1: a tool failed, or the lab is broken ---------------------------------------------------------------

/** A program labforge ran failed: names the tool, its command line, its exit code and the tail of its output. */
export class ToolError extends Error {
  readonly exitStatus: number = EXIT.failure;

  constructor(
    readonly tool: string,
    readonly command: string[],
    readonly exitCode: number | undefined,
    readonly tail: string,
    reason?: string,
    /** What the program wrote to stdout before it failed (e.g. a time-out's partial answer). */
    readonly stdout = '',
  ) {
    const how = reason ?? (exitCode === undefined ? 'could not be run' : `exited with code ${exitCode}`);
    const output = tail
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    super(`${tool} failed: \`${commandLine(command)}\` ${how}${tail ? `\n${output}` : ''}`);
    this.name = 'ToolError';
  }
}

/** A program labforge needs is not installed. */
export class ToolMissingError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** An HTTP(S) GET that failed: `status` is undefined when no answer came (the network, a time-out). */
export class HttpError extends Error {
  readonly exitStatus = EXIT.failure;

  constructor(
    readonly url: string,
    readonly status: number | undefined,
    reason: string,
  ) {
    super(`GET ${url}: ${reason}`);
    this.name = 'HttpError';
  }
}

/** Resolving the base image failed: exit 2 when Fedora's indexes were read and do not have the image (a mistake in
 *  the lab file), exit 1 when they could not be read (the network, a server). */
export class ResolveError extends Error {
  constructor(
    message: string,
    readonly exitStatus: typeof EXIT.failure | typeof EXIT.usage,
  ) {
    super(message);
  }
}

/** A bake that must not go on: the base image is not the one lab.lock pins (nothing installed). */
export class BakeCheckError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** Vagrant timed out waiting for nodes to boot. */
export class BootTimeoutError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** A lab that cannot be snapshotted or restored as it is (not created, a part missing, an incomplete snapshot). */
export class SnapshotError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** A provisioning step failed on a node (its exit code, or no connection): the steps after it did not run. */
export class ProvisionError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** The lab, or a node a command needs, is not running: the command answers at once instead of an ssh time-out. */
export class LabNotUpError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** A node refused for the console (not created, not running, ...). */
export class ConsoleError extends Error {
  readonly exitStatus = EXIT.failure;
}

// --- exit 3: this host cannot run a lab ------------------------------------------------------------------------

/** Doctor found a failing check. */
export class HostNotReadyError extends Error {
  readonly exitStatus = EXIT.host;
}

/** libvirt cannot be asked (virsh fails on the lab's URI). */
export class LibvirtUnreachableError extends Error {
  readonly exitStatus = EXIT.host;
}

/** virsh found no libvirt to talk to at a URI that had not answered in this process (no daemon running there, a host
 *  that does not answer): exit 3, saying so and what to do. A ToolError still, for the callers that handle a failed
 *  virsh call. */
export class LibvirtAbsentError extends ToolError {
  override readonly exitStatus: number = EXIT.host;

  constructor(
    readonly uri: string,
    failed: ToolError,
  ) {
    super(failed.tool, failed.command, failed.exitCode, failed.tail, undefined, failed.stdout);
    this.name = 'LibvirtAbsentError';
    this.message =
      `libvirt does not answer at ${uri} (${this.reason}): is its daemon (libvirtd or virtqemud) running? ` +
      '`labforge setup` starts it on this host, also without systemd; for another host, check host.uri and that ' +
      'the host answers';
  }

  /** virsh's own last word on it: "error: Failed to connect socket to '...': No such file or directory". */
  get reason(): string {
    return this.tail.trim().split('\n').slice(-1)[0].trim();
  }
}

/** This host is not one setup knows how to set up. */
export class SetupUnsupportedError extends Error {
  readonly exitStatus = EXIT.host;
}
