// host.uri: which libvirt labforge drives, and, for a remote one, how it is reached. The one place that reads the
// URI: the lab file's check (cross-checks.ts), the lab model's `host.remote`, and from there the Vagrantfile,
// ssh_config's ProxyJump and the doctor.
//
// Accepted: a local URI without a host (qemu:///system, qemu:///session), or libvirt's ssh transport to a system
// daemon, `qemu+ssh://[user@]host[:port]/system`, with no parameters: the host is reached with the user's own ssh
// settings (~/.ssh/config, known_hosts, keys or agent), the same way by libvirt, by vagrant-libvirt and by labforge's
// ssh to the nodes (ProxyJump), so the three cannot disagree on which machine they talk to.

/** A libvirt host reached over ssh. */
export interface RemoteHost {
  user?: string;
  host: string;
  port?: number;
  /** ssh's spelling of the same destination: `[user@]host[:port]` (ProxyJump's syntax). */
  jump: string;
}

const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const SSH_URI = /^qemu\+ssh:\/\/(?:([^@/?#]*)@)?([^@:/?#]*)(?::(\d+))?(\/[^?#]*)?(\?[^#]*)?(#.*)?$/;

/** Why `uri` is not one labforge can drive, as the end of a sentence naming the field; undefined when it is. */
export function hostUriProblem(uri: string): string | undefined {
  try {
    parseHostUri(uri);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The remote host `uri` names, or undefined for a local daemon. Throws an Error (a sentence) for any other URI. */
export function parseHostUri(uri: string): RemoteHost | undefined {
  const shown = JSON.stringify(uri);
  if (/^qemu:\/\/\/(system|session)$/.test(uri)) return undefined;
  const scheme = /^([^:/]*):/.exec(uri)?.[1];
  if (scheme?.endsWith('+ext'))
    throw new Error(
      `${shown} uses the transport ${JSON.stringify(scheme)}, which labforge does not allow (it can run programs): ` +
        'use qemu:///system, or qemu+ssh://[user@]host[:port]/system for a remote host',
    );
  if (!uri.startsWith('qemu+ssh://'))
    throw new Error(
      `${shown} is not a libvirt URI labforge drives: use qemu:///system, or qemu+ssh://[user@]host[:port]/system for a remote host`,
    );
  const m = SSH_URI.exec(uri);
  if (!m) throw new Error(`${shown} is not a qemu+ssh URI like qemu+ssh://user@host/system`);
  const [, user, host, port, pathPart, query, fragment] = m;
  if (query !== undefined || fragment !== undefined)
    throw new Error(
      `${shown} carries parameters; labforge takes none (keys, known hosts and ssh options go in ~/.ssh/config)`,
    );
  if (pathPart !== '/system')
    throw new Error(`${shown} must end in /system: the lab's networks need the remote host's system daemon`);
  if (user !== undefined && !USER.test(user))
    throw new Error(`${shown}: the user ${JSON.stringify(user)} is not a user name (letters, digits, _ . -)`);
  if (!HOSTNAME.test(host) && !IPV4.test(host))
    throw new Error(`${shown}: ${JSON.stringify(host)} is not a host name or IPv4 address`);
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && (portNumber < 1 || portNumber > 65535 || port !== String(portNumber)))
    throw new Error(`${shown}: port ${port} is not 1 to 65535`);
  const jump = `${user ? `${user}@` : ''}${host}${portNumber ? `:${portNumber}` : ''}`;
  return { user, host, port: portNumber, jump };
}

/** How a log or a message names where the lab runs. */
export function hostLabel(uri: string): string {
  const remote = parseHostUri(uri);
  return remote ? `host ${remote.host}` : 'this host';
}
