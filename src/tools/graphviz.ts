// Graphviz: DOT text to SVG.
import { run } from './run.js';

export async function svg(dotText: string): Promise<string> {
  const { stdout } = await run('dot', ['-Tsvg'], { input: dotText, timeoutMs: 60000 });
  return stdout;
}
