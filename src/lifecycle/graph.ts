// labforge graph: the lab's topology as Mermaid (for Markdown) or DOT text, or as SVG drawn by Graphviz.
import type { Lab } from '../lab/model.js';
import { renderDot, renderMermaid } from '../render/graph.js';
import * as graphviz from '../tools/graphviz.js';

export type GraphFormat = 'mermaid' | 'dot' | 'svg';

export async function drawGraph(lab: Lab, format: GraphFormat): Promise<string> {
  if (format === 'mermaid') return renderMermaid(lab);
  if (format === 'dot') return renderDot(lab);
  return graphviz.svg(renderDot(lab));
}
