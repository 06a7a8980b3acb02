// ip (iproute2): what the host routes, to tell whether a lab subnet is already in use.
import { run } from './run.js';

export interface Route {
  dst: string;
  dev?: string;
}

export async function routes(): Promise<Route[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  return (JSON.parse(stdout || '[]') as { dst: string; dev?: string; type?: string }[])
    .filter((r) => !r.type || r.type === 'unicast')
    .map((r) => ({ dst: r.dst, dev: r.dev }));
}
