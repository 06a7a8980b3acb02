// SIGINT/SIGTERM: passed to the programs labforge is running; labforge exits after they do (see cli.ts). Kept apart
// from run.ts (and execa) so the CLI can set it up before it loads anything else.

/** Something that runs and can be told to stop: a child process. */
export interface Stoppable {
  kill(signal: NodeJS.Signals): unknown;
}

const running = new Set<Stoppable>();
let interrupted: NodeJS.Signals | undefined;

/** Registers a child for the lifetime of `promise`. */
export function tracked<T>(child: Stoppable, promise: Promise<T>): Promise<T> {
  running.add(child);
  return promise.finally(() => running.delete(child));
}

export function forwardSignals(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      interrupted = sig;
      if (running.size === 0) process.exit(sig === 'SIGINT' ? 130 : 143);
      for (const child of running) child.kill(sig);
    });
  }
}

export function interruptedBy(): NodeJS.Signals | undefined {
  return interrupted;
}
