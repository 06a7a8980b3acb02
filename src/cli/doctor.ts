// labforge doctor: can this host run the lab? Each check ok, warn or fail with the fix; exit code 3 on a failure.
import type { Command } from 'commander';
import { EXIT } from '../errors.js';
import { reportCommand } from './output.js';

export function doctorCommand(program: Command): void {
  reportCommand(
    program,
    'doctor',
    'check that this host can run the lab; each check says ok, warn or fail with the fix',
    {
      get: async (openLab) => (await import('../lifecycle/host/doctor.js')).doctor((await openLab()).lab),
      format: async (checks) => (await import('../lifecycle/host/doctor.js')).formatChecks(checks),
      failed: (checks) => checks.some((c) => c.status === 'fail'),
      failedStatus: EXIT.host,
    },
  );
}
