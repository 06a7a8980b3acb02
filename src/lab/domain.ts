// Whether the lab's domain is one no one else can own: the names a lab puts in the workstation's /etc/hosts
// (hosts --install) must not shadow real hosts. Reserved for documentation and testing (RFC 2606, RFC 6761:
// example.com/.net/.org, .test, .example, .invalid, .localhost), for private use (.internal, ICANN 2024; .home.arpa,
// RFC 8375; .local, RFC 6762; .alt, RFC 9476) and the private top-level names RFC 6762 lists as in common use
// (.intranet, .private, .corp, .home, .lan), and .localdomain.

/** The reserved and private names: a domain that is one of them, or under one, is the lab's to use. */
export const PRIVATE_DOMAINS = [
  'example.com',
  'example.net',
  'example.org',
  'test',
  'example',
  'invalid',
  'localhost',
  'internal',
  'home.arpa',
  'local',
  'alt',
  'intranet',
  'private',
  'corp',
  'home',
  'lan',
  'localdomain',
] as const;

/** Whether `domain` is reserved or private (it or a parent is in PRIVATE_DOMAINS). */
export function isPrivateDomain(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return PRIVATE_DOMAINS.some((p) => d === p || d.endsWith(`.${p}`));
}

/** The flag hosts --install needs for a public domain. */
export const PUBLIC_DOMAIN_FLAG = '--public-domain';

/** The warning for a public domain, or undefined. */
export function publicDomainWarning(domain: string): string | undefined {
  if (isPrivateDomain(domain)) return undefined;
  return (
    `${JSON.stringify(domain)} is not a reserved or private domain: the lab's names under it would shadow real hosts ` +
    `(hosts --install puts them in /etc/hosts only with ${PUBLIC_DOMAIN_FLAG}); use example.com or a name under ` +
    '.test, .internal, .lan or .home.arpa'
  );
}
