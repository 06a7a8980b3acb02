// virsh: networks, domains, volumes and pools of one libvirt connection.
import { commandLine, LibvirtAbsentError, ToolError } from '../errors.js';
import { answered, LIBVIRT_ABSENT, LIBVIRT_BACK_S, LIBVIRT_LOST, libvirtLost, VIRSH_READS } from './libvirt-lost.js';
export { LIBVIRT_LOST, LibvirtLostError, libvirtLost } from './libvirt-lost.js';
import { run, runAttached, type RunOptions } from './run.js';
import {
  parseDomainList,
  parseDomblklist,
  parseDomiflist,
  parseVolList,
  parseVolumeBacking,
  parseNodeFacts,
  parsePoolAvailable,
  parsePoolTargetPath,
  type NodeFacts,
  volumeDiskPool,
  type BlockDevice,
} from './virsh-output.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Virsh {
  constructor(
    readonly uri: string,
    private readonly base: RunOptions = {},
  ) {}

  /** One virsh call; a read is asked again while libvirt restarts (for subclasses: nodes/leases.ts). */
  protected async virsh(args: string[], o: RunOptions = {}, quiet = true): Promise<string> {
    const argv = [...(quiet ? ['-q'] : []), '-c', this.uri, ...args];
    const until = Date.now() + LIBVIRT_BACK_S * 1000;
    for (;;) {
      try {
        const { stdout } = await run('virsh', argv, { ...this.base, ...o });
        answered.add(this.uri);
        return stdout;
      } catch (e) {
        if (!(e instanceof ToolError)) throw e;
        // Only a libvirt that answered before in this process went away; one that never did is reported at once.
        if (!answered.has(this.uri)) throw LIBVIRT_ABSENT.test(e.message) ? new LibvirtAbsentError(this.uri, e) : e;
        if (!LIBVIRT_LOST.test(e.message)) throw e;
        if (!VIRSH_READS.has(args[0])) throw libvirtLost(this.uri, `\`${commandLine(['virsh', ...argv])}\``, e.message);
        if (Date.now() > until)
          throw libvirtLost(
            this.uri,
            `\`${commandLine(['virsh', ...argv])}\` (asked for ${LIBVIRT_BACK_S} s)`,
            e.message,
          );
        await pause(1000);
      }
    }
  }

  /** Waits (up to LIBVIRT_BACK_S) until libvirt answers again. */
  async waitForLibvirt(): Promise<void> {
    await this.virsh(['list', '--all', '--name']);
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

  /** The daemon's host: CPUs and memory (on a remote host, that host's). */
  async nodeFacts(): Promise<NodeFacts> {
    const [info, mem] = await Promise.all([this.virsh(['nodeinfo']), this.virsh(['nodememstats'])]);
    return parseNodeFacts(info, mem);
  }

  /** Whether the daemon's QEMU can run KVM guests there (`domcapabilities --virttype kvm` answers). */
  async kvmSupported(): Promise<boolean> {
    const r = await run('virsh', ['-q', '-c', this.uri, 'domcapabilities', '--virttype', 'kvm'], {
      ...this.base,
      anyExitCode: true,
    });
    if (r.exitCode === 0) return true;
    if (/KVM is not supported|not supported|unsupported/i.test(`${r.stderr}`)) return false;
    throw new Error(`virsh -c ${this.uri} domcapabilities --virttype kvm: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }

  /** Free bytes in a pool, or undefined when there is no such pool (yet). `refresh`: libvirt looks at the pool's
   *  storage again first (pool-info otherwise gives what it saw at the last refresh or volume change). */
  async poolAvailableBytes(pool: string, refresh = false): Promise<number | undefined> {
    if (!(await this.pools()).includes(pool)) return undefined;
    if (refresh && (await this.activePools()).includes(pool)) await this.virsh(['pool-refresh', pool]);
    return parsePoolAvailable(await this.virsh(['pool-info', '--bytes', pool]));
  }

  /** The folder (target path) of a pool, or undefined when there is no such pool. */
  async poolTargetPath(pool: string): Promise<string | undefined> {
    if (!(await this.pools()).includes(pool)) return undefined;
    return parsePoolTargetPath(await this.virsh(['pool-dumpxml', pool]));
  }

  async networks(): Promise<string[]> {
    return this.lines(await this.virsh(['net-list', '--all', '--name']));
  }

  /** Names of the active networks. */
  async activeNetworks(): Promise<string[]> {
    return this.lines(await this.virsh(['net-list', '--name']));
  }

  async networkActive(name: string): Promise<boolean> {
    return (await this.activeNetworks()).includes(name);
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

  /** Every domain's state in one call: name -> libvirt's state text ("running", "shut off", "paused", ...). */
  async domainStates(): Promise<Map<string, string>> {
    return parseDomainList(await this.virsh(['list', '--all']));
  }

  async domainState(name: string): Promise<string> {
    return (await this.virsh(['domstate', name])).trim();
  }

  /** UUIDs of all domains, running or not. */
  async domainUuids(): Promise<string[]> {
    return this.lines(await this.virsh(['list', '--all', '--uuid']));
  }

  /** The name of the domain with this UUID. */
  async domainName(uuid: string): Promise<string> {
    return (await this.virsh(['domname', uuid])).trim();
  }

  /** The disks of a domain (`domblklist --details`), each resolved to a file path where it has one. */
  async domainDisks(domain: string): Promise<BlockDevice[]> {
    const disks = parseDomblklist(await this.virsh(['domblklist', '--details', domain]));
    if (!disks.some((d) => d.type === 'volume')) return disks;
    // A disk of type "volume" names its volume but not its pool: that is in the domain XML.
    const xml = await this.virsh(['dumpxml', '--inactive', domain]);
    return disks.map((d) => (d.type === 'volume' ? { ...d, pool: volumeDiskPool(xml, d.target) } : d));
  }

  /** Names of the libvirt networks a domain has an interface on. */
  async domainNetworks(domain: string): Promise<string[]> {
    return parseDomiflist(await this.virsh(['domiflist', domain]))
      .filter((i) => i.type === 'network')
      .map((i) => i.source);
  }

  /** Asks a domain to shut down (ACPI power button); it may ignore it. */
  async shutdown(domain: string): Promise<void> {
    await this.virsh(['shutdown', domain], { okCodes: [1] });
  }

  /** Pulls a domain's plug. */
  async forceOff(domain: string): Promise<void> {
    await this.virsh(['destroy', domain], { okCodes: [1] });
  }

  /** Stops (if running) and undefines a domain, its snapshot/checkpoint metadata and managed save (not its storage). */
  async removeDomain(domain: string): Promise<void> {
    if ((await this.domainState(domain)) !== 'shut off') await this.virsh(['destroy', domain], { okCodes: [1] });
    // --nvram is refused without NVRAM by some libvirt, --checkpoints-metadata unknown before 5.6: each try drops one.
    const attempts = [
      ['--snapshots-metadata', '--checkpoints-metadata', '--managed-save', '--nvram'],
      ['--snapshots-metadata', '--checkpoints-metadata', '--managed-save'],
      ['--snapshots-metadata', '--managed-save'],
    ];
    for (const [i, flags] of attempts.entries()) {
      try {
        await this.virsh(['undefine', ...flags, domain]);
        return;
      } catch (err) {
        if (i === attempts.length - 1) throw err;
      }
    }
  }

  /** Pauses a domain's CPUs (its memory stays as it is): the lab stands still for a consistent snapshot. */
  async suspend(domain: string): Promise<void> {
    await this.virsh(['suspend', domain]);
  }

  async resume(domain: string): Promise<void> {
    await this.virsh(['resume', domain]);
  }

  /** The domain's XML (live, or the persistent definition with `inactive`). */
  async domainXml(domain: string, inactive = false): Promise<string> {
    return this.virsh(['dumpxml', ...(inactive ? ['--inactive'] : []), domain]);
  }

  /** Names of a domain's snapshots. */
  async snapshots(domain: string): Promise<string[]> {
    return this.lines(await this.virsh(['snapshot-list', domain, '--name']));
  }

  /** An internal snapshot of every disk (qcow2) and, for a running or paused domain, of its memory and device state:
   *  `snapshot-create-as --atomic` (all or nothing). virsh writes the XML, so name and description reach it escaped. */
  async snapshotCreate(domain: string, name: string, description: string): Promise<void> {
    await this.virsh(['snapshot-create-as', domain, name, '--description', description, '--atomic']);
  }

  /** Reverts a domain to a snapshot; `--paused` leaves its CPUs stopped (a snapshot with memory), so several
   *  domains can be resumed at one moment. */
  async snapshotRevert(domain: string, name: string, after: 'paused' | 'running' | 'as-saved'): Promise<void> {
    await this.virsh(['snapshot-revert', domain, name, ...(after === 'as-saved' ? [] : [`--${after}`])]);
  }

  async snapshotDelete(domain: string, name: string): Promise<void> {
    await this.virsh(['snapshot-delete', domain, name]);
  }

  /** A QMP command (an HMP line with `hmp`) to the domain's QEMU through libvirt, which marks the domain tainted. */
  async qemuMonitor(domain: string, command: string, hmp = false): Promise<string> {
    return this.virsh(['qemu-monitor-command', domain, ...(hmp ? ['--hmp'] : []), command]);
  }

  /** `virsh console DOMAIN --devname DEV` on the user's terminal (an interactive session); returns virsh's exit
   *  code. */
  console(domain: string, devname: string): number {
    return runAttached('virsh', ['-c', this.uri, 'console', domain, '--devname', devname]);
  }

  async pools(): Promise<string[]> {
    return this.lines(await this.virsh(['pool-list', '--all', '--name']));
  }

  async poolUuid(name: string): Promise<string> {
    return (await this.virsh(['pool-uuid', name])).trim();
  }

  /** Defines, builds (makes its folder), starts and autostarts a directory pool. */
  async createDirPool(name: string, dir: string): Promise<void> {
    await this.virsh(['pool-define-as', name, 'dir', '--target', dir]);
    await this.virsh(['pool-build', name]);
    await this.virsh(['pool-start', name]);
    await this.virsh(['pool-autostart', name]);
  }

  async startPool(name: string): Promise<void> {
    await this.virsh(['pool-start', name]);
  }

  /** Stops (if active) and undefines a pool; its folder and files stay. */
  async removePool(name: string): Promise<void> {
    if ((await this.activePools()).includes(name)) await this.virsh(['pool-destroy', name]);
    await this.virsh(['pool-undefine', name]);
  }

  /** Names of the active pools. */
  async activePools(): Promise<string[]> {
    return this.lines(await this.virsh(['pool-list', '--name']));
  }

  /** Volumes of a pool: name -> path. */
  async volumes(pool: string): Promise<Map<string, string>> {
    // Not quiet: the header says where the path column starts. C.UTF-8 keeps the header untranslated and names as
    // they are.
    const text = await this.virsh(['vol-list', '--pool', pool], { env: { LC_ALL: 'C.UTF-8' } }, false);
    return new Map(parseVolList(text).map((v) => [v.name, v.path]));
  }

  async networkUuid(name: string): Promise<string> {
    return (await this.virsh(['net-uuid', name])).trim();
  }

  async deleteVolume(pool: string, name: string): Promise<void> {
    await this.virsh(['vol-delete', '--pool', pool, name]);
  }

  /** The backing file of a volume, if it has one. */
  async volumeBacking(pool: string, name: string): Promise<string | undefined> {
    return parseVolumeBacking(await this.virsh(['vol-dumpxml', '--pool', pool, name]));
  }
}
