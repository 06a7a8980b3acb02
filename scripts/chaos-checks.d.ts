// Types of scripts/chaos-checks.js, for the tests that share it (test/e2e/faults.ts).
export declare const lines: (s: unknown) => string[];
export type Procs = (pattern: string) => Promise<string[]>;
export declare const procsOf: (pid: number | string) => Procs;
export interface Ended {
  exitCode?: number;
  signal?: string;
  all: string;
  stdout: string;
  seconds: number;
  killed?: { at: number; last: string };
}
export declare function endOf(
  child: Promise<unknown> & { pid?: number },
  opts?: {
    killAt?: number;
    killWhen?: () => Promise<boolean>;
    started?: number;
  },
): Promise<Ended>;
export declare const describeKill: (first: Ended, at: number | string) => string;
export declare function killQemu(procs: Procs): Promise<string[]>;
export declare function noticed(text: string): string;
export declare function domainStates(
  virsh: (...args: string[]) => Promise<string>,
  lab: string,
  nodes: string[],
): Promise<Record<string, string>>;
export declare function leaks(opts: {
  out: string;
  tmp?: string;
  procs: Procs;
  virsh: (...args: string[]) => Promise<string>;
  after: string;
  nodes: string[];
  networks: string[];
  pool?: string;
  bystander?: { network: string; pool: string; volume: string };
}): Promise<string[]>;
