// Failures of external tools become one readable error: the tool, its command line, its exit code, its last lines.
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../../src/tools/run.js';
import { ToolError, ToolMissingError } from '../../src/errors.js';
import { tempDir } from '../support.js';

test('a failing tool names the command line, the exit code and the tail of its output', async () => {
  const err = await run('bash', ['-c', 'for i in $(seq 1 30); do echo "line $i"; done; echo boom >&2; exit 3'], {
    tailLines: 5,
  }).catch((e) => e);
  expect(err).toBeInstanceOf(ToolError);
  expect(err.exitCode).toBe(3);
  expect(err.message.split('\n')[0]).toBe(
    `bash failed: \`bash -c 'for i in $(seq 1 30); do echo "line $i"; done; echo boom >&2; exit 3'\` exited with code 3`,
  );
  expect(err.message).toContain('line 30');
  expect(err.message).toContain('boom');
  expect(err.message).not.toContain('line 25');
});

test('a missing tool says it is not installed', async () => {
  await expect(run('labforge-no-such-tool', ['x'])).rejects.toThrow(ToolMissingError);
  await expect(run('labforge-no-such-tool', ['x'])).rejects.toThrow(/labforge-no-such-tool is not installed/);
});

test('output goes to the log file without terminal control sequences', async () => {
  const log = path.join(tempDir(), 'run.log');
  const lines: string[] = [];
  await run('bash', ['-c', 'printf "a\\n\\033[Kb\\nProgress: 42%%\\n"'], { log, onLine: (l) => lines.push(l) });
  expect(lines).toEqual(['a', 'b']);
  expect(fs.readFileSync(log, 'utf8')).toMatch(/\$ bash -c .*\na\nb\n$/);
});

test('okCodes are not failures', async () => {
  await expect(run('bash', ['-c', 'exit 1'], { okCodes: [1] })).resolves.toMatchObject({ exitCode: 1 });
});
