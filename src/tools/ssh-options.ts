// The ssh client options of every login to a lab's node, in one list: the ssh adapter (ssh.ts) passes them on the
// command line, and the rendered ssh_config (render/hosts.ts) writes them, so `ssh -F <out>/ssh_config NODE` logs in
// the way labforge does.

/** Who logs in, with which key, and where the nodes' host keys are kept. */
export interface NodeLogin {
  user: string;
  key: string;
  knownHosts: string;
  /** The libvirt host the nodes' network lives on, when it is not this machine (`[user@]host[:port]`): every login
   *  goes through it (ProxyJump), with the user's own ssh settings for the host itself. */
  jump?: string;
}

/** The options as `[option, value]` pairs, in ssh_config's spelling and order. */
export function nodeSshOptions(login: NodeLogin): [string, string][] {
  return [
    ['User', login.user],
    ['IdentityFile', login.key],
    ['IdentitiesOnly', 'yes'],
    // Nodes are re-created with new host keys; keep their keys out of ~/.ssh/known_hosts.
    ['UserKnownHostsFile', login.knownHosts],
    ['StrictHostKeyChecking', 'accept-new'],
    ['LogLevel', 'ERROR'],
    ...(login.jump ? [['ProxyJump', login.jump] as [string, string]] : []),
  ];
}
