// host.uri: the libvirt connection labforge hands virsh and vagrant-libvirt. libvirt's URIs can name transports
// that run programs (qemu+ext://...?command=, qemu+ssh://...?command= or ?netcat=) and options that change what
// ssh does, so only an allow-list is taken: the local system and session daemons, and the system daemon over ssh
// with a checked user, host and port, no query and no fragment.

const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
/** A DNS name (labels of letters, digits and inner hyphens) or an IPv4 address: never starting with `-`. */
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

export const LOCAL_URIS = ['qemu:///system', 'qemu:///session'] as const;

/** Why `uri` is not one labforge takes (the message of a host.uri error), or undefined when it is. */
export function hostUriProblem(uri: string): string | undefined {
  const accepted = 'use qemu:///system, qemu:///session or qemu+ssh://USER@HOST[:PORT]/system';
  if ((LOCAL_URIS as readonly string[]).includes(uri)) return undefined;
  const m = /^qemu\+ssh:\/\/(?:([^@/?#]*)@)?([^/?#:]+|\[[^\]/?#]*\])(?::([^/?#]*))?(\/[^?#]*)?([?#].*)?$/.exec(uri);
  if (!m) {
    const scheme = /^([^:/]*):/.exec(uri)?.[1];
    return scheme && scheme !== 'qemu' && scheme !== 'qemu+ssh'
      ? `${JSON.stringify(uri)} uses the transport ${JSON.stringify(scheme)}, which labforge does not allow (it can run programs); ${accepted}`
      : `${JSON.stringify(uri)} is not a libvirt URI labforge takes; ${accepted}`;
  }
  const [, user, host, port, pathPart, rest] = m;
  if (rest !== undefined)
    return `${JSON.stringify(uri)} has query parameters or a fragment (${JSON.stringify(rest)}), which can make libvirt run programs; ${accepted}`;
  if (user !== undefined && !USER.test(user))
    return `${JSON.stringify(uri)}: the user ${JSON.stringify(user)} is not a user name; ${accepted}`;
  if (!HOST.test(host) && !IPV6.test(host))
    return `${JSON.stringify(uri)}: the host ${JSON.stringify(host)} is not a host name or address; ${accepted}`;
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535))
    return `${JSON.stringify(uri)}: the port ${JSON.stringify(port)} is not a number from 1 to 65535; ${accepted}`;
  if (pathPart !== '/system')
    return `${JSON.stringify(uri)}: over ssh only the system daemon (/system) is taken; ${accepted}`;
  return undefined;
}
