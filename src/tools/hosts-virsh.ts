// The domains of several libvirt connections as one: each domain call goes to the connection that has the domain (by
// UUID or name), lists are the union of every connection's. One Virsh per URI does the work; this only routes. The
// connections' networks, pools and volumes are each host's own: those calls are refused here (ask that host's
// Virsh), so nothing host-specific is ever asked of the wrong host by accident.
import type { RunOptions } from './run.js';
import { Virsh } from './virsh.js';

export class HostsVirsh extends Virsh {
  /** One Virsh per URI, in the order given (the first is `uri`). */
  readonly hosts: Virsh[];
  /** Domain UUID or name -> the Virsh of the connection that has it (learned from the lists). */
  private readonly where = new Map<string, Virsh>();

  constructor(uris: string[], base: RunOptions = {}) {
    if (uris.length === 0) throw new Error('HostsVirsh needs at least one libvirt URI');
    super(uris[0], base);
    this.hosts = uris.map((uri) => new Virsh(uri, base));
  }

  /** Learns which connection has which domain (every connection's UUIDs and names, in parallel). */
  private async learn(): Promise<void> {
    const byName = new Map<string, Virsh>();
    const twice = new Set<string>();
    await Promise.all(
      this.hosts.map(async (h) => {
        const [uuids, names] = await Promise.all([h.domainUuids(), h.domains()]);
        for (const u of uuids) this.where.set(u, h);
        for (const n of names) {
          if (byName.has(n) && byName.get(n) !== h) twice.add(n);
          byName.set(n, h);
        }
      }),
    );
    // A name on two hosts is ambiguous: such a domain is only reached by its UUID.
    for (const [n, h] of byName) if (!twice.has(n)) this.where.set(n, h);
    for (const n of twice) this.where.delete(n);
  }

  /** The Virsh of the connection that has `domain` (a UUID or a name). */
  async hostOf(domain: string): Promise<Virsh> {
    if (!this.where.has(domain)) await this.learn();
    const h = this.where.get(domain);
    if (!h) throw new Error(`no domain ${domain} on ${this.hosts.map((x) => x.uri).join(', ')}`);
    return h;
  }

  private async union<T>(ask: (h: Virsh) => Promise<T[]>): Promise<T[]> {
    return (await Promise.all(this.hosts.map(ask))).flat();
  }

  override async waitForLibvirt(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.waitForLibvirt()));
  }
  override async domains(): Promise<string[]> {
    return this.union((h) => h.domains());
  }
  override async domainUuids(): Promise<string[]> {
    const all = await Promise.all(
      this.hosts.map(async (h) => {
        const uuids = await h.domainUuids();
        for (const u of uuids) this.where.set(u, h);
        return uuids;
      }),
    );
    return all.flat();
  }
  override async domainStates(): Promise<Map<string, string>> {
    const maps = await Promise.all(this.hosts.map((h) => h.domainStates()));
    return new Map(maps.flatMap((m) => [...m]));
  }
  override async domainState(name: string) {
    return (await this.hostOf(name)).domainState(name);
  }
  override async domainName(uuid: string) {
    return (await this.hostOf(uuid)).domainName(uuid);
  }
  override async domainDisks(domain: string) {
    return (await this.hostOf(domain)).domainDisks(domain);
  }
  override async domainNetworks(domain: string) {
    return (await this.hostOf(domain)).domainNetworks(domain);
  }
  override async shutdown(domain: string) {
    return (await this.hostOf(domain)).shutdown(domain);
  }
  override async forceOff(domain: string) {
    return (await this.hostOf(domain)).forceOff(domain);
  }
  override async removeDomain(domain: string) {
    return (await this.hostOf(domain)).removeDomain(domain);
  }
  override async suspend(domain: string) {
    return (await this.hostOf(domain)).suspend(domain);
  }
  override async resume(domain: string) {
    return (await this.hostOf(domain)).resume(domain);
  }
  override async domainXml(domain: string, inactive = false) {
    return (await this.hostOf(domain)).domainXml(domain, inactive);
  }
  override async snapshots(domain: string) {
    return (await this.hostOf(domain)).snapshots(domain);
  }
  override async snapshotCreate(domain: string, name: string, description: string) {
    return (await this.hostOf(domain)).snapshotCreate(domain, name, description);
  }
  override async snapshotRevert(domain: string, name: string, after: 'paused' | 'running' | 'as-saved') {
    return (await this.hostOf(domain)).snapshotRevert(domain, name, after);
  }
  override async snapshotDelete(domain: string, name: string) {
    return (await this.hostOf(domain)).snapshotDelete(domain, name);
  }
  override async qemuMonitor(domain: string, command: string, hmp = false) {
    return (await this.hostOf(domain)).qemuMonitor(domain, command, hmp);
  }
  /** Only for a domain the lists have shown (it cannot wait to ask). */
  override console(domain: string, devname: string): number {
    const h = this.where.get(domain);
    if (!h) throw new Error(`no domain ${domain} known on ${this.hosts.map((x) => x.uri).join(', ')}`);
    return h.console(domain, devname);
  }

  // Each host's own: refused here.
  private perHost(what: string): never {
    throw new Error(`${what} is each libvirt host's own: ask that host's Virsh (HostsVirsh.hosts), not all of them`);
  }
  override async networks(): Promise<string[]> {
    return this.perHost('networks');
  }
  override async activeNetworks(): Promise<string[]> {
    return this.perHost('networks');
  }
  override async pools(): Promise<string[]> {
    return this.perHost('pools');
  }
  override async activePools(): Promise<string[]> {
    return this.perHost('pools');
  }
  override async volumes(): Promise<Map<string, string>> {
    return this.perHost('volumes');
  }
  override async poolAvailableBytes(): Promise<number | undefined> {
    return this.perHost('pools');
  }
  override async poolTargetPath(): Promise<string | undefined> {
    return this.perHost('pools');
  }
}
