// qemu-img: facts about disk images.
import { run } from './run.js';

export async function virtualSizeBytes(file: string): Promise<number> {
  const { stdout } = await run('qemu-img', ['info', '--output=json', file]);
  return JSON.parse(stdout)['virtual-size'] as number;
}
