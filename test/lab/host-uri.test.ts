// host.uri: the local URIs and libvirt's ssh transport to a system daemon, nothing else; every accepted remote is
// made only of characters that are inert in ssh_config, a shell ProxyCommand and Ruby.
import fc from 'fast-check';
import { loadLabText } from '../../src/lab/load.js';
import { parseHostUri } from '../../src/lab/host-uri.js';

const one = 'nodes:\n  - { name: n1, ip: 10.240.0.11 }\nvips: []\n';
const load = (uri: string) => loadLabText(`host: { uri: ${JSON.stringify(uri)} }\n${one}`, '/tmp/uri/lab.yaml');

describe('host.uri', () => {
  test.each([
    ['qemu:///system', undefined],
    ['qemu:///session', undefined],
    ['qemu+ssh://lab.example.com/system', { host: 'lab.example.com', jump: 'lab.example.com' }],
    ['qemu+ssh://root@10.77.0.11/system', { user: 'root', host: '10.77.0.11', jump: 'root@10.77.0.11' }],
    [
      'qemu+ssh://ci_user@build-3:2222/system',
      { user: 'ci_user', host: 'build-3', port: 2222, jump: 'ci_user@build-3:2222' },
    ],
  ])('%s is accepted', (uri, remote) => {
    expect(parseHostUri(uri)).toEqual(remote && { user: undefined, port: undefined, ...remote });
    expect(load(uri).lab.host.remote).toEqual(parseHostUri(uri));
  });

  test.each([
    ['qemu+tcp://h/system', /qemu\+ssh:\/\/\[user@\]host\[:port\]\/system/],
    ['qemu+ssh://h/session', /must end in \/system/],
    ['qemu+ssh://h/system?keyfile=/tmp/k', /carries parameters; labforge takes none/],
    ['qemu+ssh://h/system?command=touch%20x', /carries parameters/],
    ['qemu+ssh://h/system#x', /carries parameters/],
    ['qemu+ssh://-oProxyCommand=x/system', /is not a host name/],
    ['qemu+ssh://a$(id)@h/system', /is not a user name/],
    ['qemu+ssh://h:0/system', /port 0 is not 1 to 65535/],
    ['qemu+ssh://h:070/system', /port 070/],
    ['qemu+ssh:///system', /is not a host name/],
    ['xen:///system', /is not a libvirt URI labforge drives/],
  ])('%s is refused, naming the field and the value', (uri, why) => {
    let message = '';
    try {
      load(uri);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/host\.uri/);
    expect(message).toContain(uri);
    expect(message).toMatch(why);
  });

  test('whatever string it is given, an accepted remote is made of inert characters only', () => {
    const piece = fc.string({ unit: fc.constantFrom(...'aZ09-._@:/?#%$`\'" ;&|\n\\{}()*!~'.split('')), maxLength: 12 });
    fc.assert(
      fc.property(piece, piece, piece, (u, h, rest) => {
        for (const uri of [`qemu+ssh://${u}@${h}${rest}`, `qemu+ssh://${h}/system`, `qemu+ssh://${u}@${h}/system`]) {
          let r;
          try {
            r = parseHostUri(uri);
          } catch {
            continue;
          }
          if (r) expect(r.jump).toMatch(/^([A-Za-z_][\w.-]*@)?[A-Za-z0-9.-]+(:\d+)?$/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
