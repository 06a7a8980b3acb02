// Graphviz: DOT text to SVG.
import { GRAPHVIZ_S } from '../time-limits.js';
import { run } from './run.js';

export async function svg(dotText: string): Promise<string> {
  const { stdout } = await run('dot', ['-Tsvg'], { input: dotText, timeoutMs: GRAPHVIZ_S * 1000 });
  return stdout;
}
