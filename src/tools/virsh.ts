// virsh: networks, domains, volumes and pools of one libvirt connection.
import { run, type RunOptions } from './run.js';

export class Virsh {
  constructor(
    readonly uri: string,
    private readonly base: RunOptions = {},
  ) {}

  private async virsh(args: string[], o: RunOptions = {}): Promise<string> {
    const { stdout } = await run('virsh', ['-q', '-c', this.uri, ...args], { ...this.base, ...o });
    return stdout;
  }

  private lines(text: string): string[] {
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  async version(): Promise<string> {
    return (await this.virsh(['version', '--daemon'])).trim();
  }

  async networks(): Promise<string[]> {
    return this.lines(await this.virsh(['net-list', '--all', '--name']));
  }

  async networkActive(name: string): Promise<boolean> {
    return this.lines(await this.virsh(['net-list', '--name'])).includes(name);
  }

  async networkXml(name: string, inactive = false): Promise<string> {
    return this.virsh(['net-dumpxml', ...(inactive ? ['--inactive'] : []), name]);
  }

  async defineNetwork(file: string): Promise<void> {
    await this.virsh(['net-define', file]);
  }

  async startNetwork(name: string): Promise<void> {
    await this.virsh(['net-start', name]);
  }

  async autostartNetwork(name: string): Promise<void> {
    await this.virsh(['net-autostart', name]);
  }

  async removeNetwork(name: string): Promise<void> {
    if (await this.networkActive(name)) await this.virsh(['net-destroy', name]);
    await this.virsh(['net-undefine', name]);
  }

  async domains(): Promise<string[]> {
    return this.lines(await this.virsh(['list', '--all', '--name']));
  }

  async domainState(name: string): Promise<string> {
    return (await this.virsh(['domstate', name])).trim();
  }

  async removeDomain(name: string): Promise<void> {
    if ((await this.domainState(name)) !== 'shut off') await this.virsh(['destroy', name], { okCodes: [1] });
    // --nvram is refused for a domain without NVRAM on some libvirt versions: then undefine without it.
    await this.virsh(['undefine', '--nvram', '--remove-all-storage', name]).catch(() => this.virsh(['undefine', '--remove-all-storage', name]));
  }

  async pools(): Promise<string[]> {
    return this.lines(await this.virsh(['pool-list', '--all', '--name']));
  }

  /** Volumes of a pool: name -> path. */
  async volumes(pool: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const line of this.lines(await this.virsh(['vol-list', '--pool', pool]))) {
      const [name, ...rest] = line.split(/\s+/);
      out.set(name, rest.join(' '));
    }
    return out;
  }

  async deleteVolume(pool: string, name: string): Promise<void> {
    await this.virsh(['vol-delete', '--pool', pool, name]);
  }

  /** The backing file of a volume, if it has one. */
  async volumeBacking(pool: string, name: string): Promise<string | undefined> {
    const xml = await this.virsh(['vol-dumpxml', '--pool', pool, name]);
    return /<backingStore>\s*<path>([^<]+)<\/path>/.exec(xml)?.[1];
  }

}

/** A value from libvirt XML: the first attribute `attr` of element `el`. */
export function xmlAttr(xml: string, el: string, attr: string): string | undefined {
  const m = new RegExp(`<${el}\\b[^>]*\\b${attr}=["']([^"']*)["']`).exec(xml);
  return m?.[1];
}
