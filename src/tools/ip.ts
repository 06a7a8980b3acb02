// ip (iproute2): what the host routes, to tell whether a lab subnet is already in use.
import { run } from './run.js';

export interface Route {
  dst: string;
  dev?: string;
}

/** The unicast routes of every table, from `ip -j -4 route show table all` (local and broadcast entries left out). */
export function parseRoutes(json: string): Route[] {
  return (JSON.parse(json || '[]') as { dst: string; dev?: string; type?: string }[])
    .filter((r) => !r.type || r.type === 'unicast')
    .map((r) => ({ dst: r.dst, dev: r.dev }));
}

export async function routes(): Promise<Route[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  return parseRoutes(stdout);
}
