// Where the gateway may open connections (provider APIs, the Copilot token exchange, GitHub). One place
// classifies addresses and URLs: saving a configuration (checkOutboundUrl), the start (GITHUB_GRAPHQL_URL,
// config.ts) and every connection after DNS (guarded-fetch.ts) ask it, so the three cannot disagree.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { badInput } from '../errors.ts';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What an address is, as far as the policy cares. */
export type AddressClass =
  | 'cloud-metadata'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'reserved'
  | 'public';

/** Why a URL or address is refused: its address class, or a rule of the URL itself. */
export type OutboundRule = Exclude<AddressClass, 'public'> | 'scheme' | 'credentials' | 'invalid-url' | 'invalid-address';

export interface OutboundRefusal {
  rule: OutboundRule;
  /** For a person, without the URL: names the host or address and the rule. */
  message: string;
}

export interface OutboundAllowlist {
  /** Host names, lower case, without a trailing dot. */
  readonly hosts: readonly string[];
  readonly ranges: readonly (readonly [Address, number])[];
}

export interface OutboundPolicy {
  /** In production, loopback, private, shared (CGNAT) and reserved addresses are refused unless allowlisted. */
  readonly production: boolean;
  /** OUTBOUND_ALLOWLIST. It never lifts the classes refused everywhere (metadata, link-local, ...). */
  readonly allowlist: OutboundAllowlist;
}

export const EMPTY_ALLOWLIST: OutboundAllowlist = { hosts: [], ranges: [] };

/** Outside production: loopback and private networks are fine (local models, the test fakes). */
export const DEVELOPMENT_POLICY: OutboundPolicy = { production: false, allowlist: EMPTY_ALLOWLIST };

// Refused in every environment: nothing an LLM provider or GitHub lives at, and the classic targets of
// request forgery (instance credentials behind the metadata services).
const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(['cloud-metadata', 'link-local', 'unspecified', 'multicast', 'broadcast']);

const DESCRIPTION: Readonly<Record<AddressClass, string>> = {
  'cloud-metadata': 'a cloud metadata address',
  'link-local': 'a link-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  loopback: 'a loopback address',
  private: 'a private network address',
  shared: 'a carrier-grade NAT (shared) address',
  reserved: 'a reserved address',
  public: 'a public address',
};

// Metadata services outside 169.254.0.0/16 (which is refused as link-local anyway): Alibaba Cloud, AWS's
// IPv6 endpoint, Azure's WireServer (a public-looking address that only the host platform answers), and
// the ones inside it that deserve their own name in a message: AWS/GCP/Azure/OCI and ECS task metadata.
const METADATA_ADDRESSES: ReadonlySet<string> = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '168.63.129.16', 'fd00:ec2::254']);
const METADATA_NAMES: ReadonlySet<string> = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);
const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

function normaliseHostName(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Parses an address in any spelling a URL or a resolver may hand over: dotted, decimal, octal, hex and
 * short IPv4 forms, a trailing dot, IPv6 with brackets or a zone id (`%eth0`, `%25eth0`). Null: not an address.
 */
export function parseAddress(raw: string): Address | null {
  let text = raw.trim().toLowerCase();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (text.includes(':')) return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : null;
  if (text.endsWith('.')) text = text.slice(0, -1);
  return text !== '' && ipaddr.IPv4.isValid(text) ? ipaddr.IPv4.parse(text) : null;
}

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The IPv4 address an IPv6 address carries, where it reaches that host: IPv4-mapped, IPv4-translated,
 * the deprecated IPv4-compatible form, NAT64 (well-known and local-use prefixes) and 6to4.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = address.parts;
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  const [, , , , , , high = 0, low = 0] = p;
  if (zeros(0, 5) && p[5] === 0xffff) return ipv4Of(high, low);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return ipv4Of(high, low);
  if (zeros(0, 6) && !(high === 0 && low <= 1)) return ipv4Of(high, low);
  if (p[0] === 0x64 && p[1] === 0xff9b && (zeros(2, 6) || p[2] === 1)) return ipv4Of(high, low);
  if (p[0] === 0x2002) return ipv4Of(p[1] ?? 0, p[2] ?? 0);
  return null;
}

// range() is compared as a string: ipaddr.js's declarations leave out names it returns (deprecatedSiteLocal).
function classifyIPv4(address: ipaddr.IPv4): AddressClass {
  if (METADATA_ADDRESSES.has(address.toString())) return 'cloud-metadata';
  switch (address.range() as string) {
    case 'unspecified':
      return 'unspecified';
    case 'broadcast':
      return 'broadcast';
    case 'multicast':
      return 'multicast';
    case 'linkLocal':
      return 'link-local';
    case 'loopback':
      return 'loopback';
    case 'private':
      return 'private';
    case 'carrierGradeNat':
      return 'shared';
    case 'unicast':
      return 'public';
    default:
      return 'reserved';
  }
}

function classifyIPv6(address: ipaddr.IPv6): AddressClass {
  if (METADATA_ADDRESSES.has(address.toString())) return 'cloud-metadata';
  const embedded = embeddedIPv4(address);
  if (embedded) {
    const carried = classifyIPv4(embedded);
    // A local-use NAT64 prefix (64:ff9b:1::/48) is the operator's own network whatever it carries.
    return carried === 'public' && address.parts[2] === 1 ? 'private' : carried;
  }
  switch (address.range() as string) {
    case 'unspecified':
      return 'unspecified';
    case 'linkLocal':
      return 'link-local';
    case 'multicast':
      return 'multicast';
    case 'loopback':
      return 'loopback';
    case 'uniqueLocal':
    case 'deprecatedSiteLocal':
      return 'private';
    case 'unicast':
      return 'public';
    default:
      return 'reserved';
  }
}

function classOf(address: Address): AddressClass {
  return address.kind() === 'ipv4' ? classifyIPv4(address as ipaddr.IPv4) : classifyIPv6(address as ipaddr.IPv6);
}

/** The class of an address in any spelling (see parseAddress); null when `raw` is not an address. */
export function classifyAddress(raw: string): AddressClass | null {
  const address = parseAddress(raw);
  return address ? classOf(address) : null;
}

function inRange(address: Address, [range, bits]: readonly [Address, number]): boolean {
  if (address.kind() === range.kind()) return address.match(range, bits);
  // ::ffff:10.0.0.1 is 10.0.0.1: an IPv4 entry covers the mapped spellings of its addresses.
  if (address.kind() === 'ipv6' && range.kind() === 'ipv4') {
    const embedded = embeddedIPv4(address as ipaddr.IPv6);
    return embedded !== null && embedded.match(range, bits);
  }
  return false;
}

function allowlisted(policy: OutboundPolicy, address: Address | null, host: string | null): boolean {
  if (host !== null && policy.allowlist.hosts.includes(normaliseHostName(host))) return true;
  return address !== null && policy.allowlist.ranges.some((range) => inRange(address, range));
}

function refusalOf(cls: AddressClass, subject: string): OutboundRefusal | null {
  if (ALWAYS_REFUSED.has(cls)) return { rule: cls as OutboundRule, message: `${subject} ${DESCRIPTION[cls]}, which is never allowed` };
  return null;
}

function productionRefusal(cls: AddressClass, subject: string): OutboundRefusal {
  return { rule: cls as OutboundRule, message: `${subject} ${DESCRIPTION[cls]}, which production refuses unless OUTBOUND_ALLOWLIST lists it` };
}

/** The address as a message shows it: as given, with the IPv4 address it stands for when that differs. */
function shownAddress(raw: string, address: Address): string {
  const embedded = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : null;
  const canonical = (embedded ?? address).toString();
  return canonical === raw.toLowerCase() ? raw : `${raw} (${canonical})`;
}

/**
 * The verdict on one address a connection would go to. `host` is the name it was resolved from (an
 * allowlisted name lifts the production refusals; nothing lifts the classes refused everywhere).
 * A string that is not an address is refused: the resolver path must never hand one over.
 */
export function addressRefusal(raw: string, policy: OutboundPolicy, host?: string): OutboundRefusal | null {
  const address = parseAddress(raw);
  const resolvedFrom = host !== undefined && parseAddress(host) === null ? host : null;
  if (!address) return { rule: 'invalid-address', message: `${resolvedFrom ?? raw} did not resolve to an IP address` };
  const subject = resolvedFrom === null ? `${shownAddress(raw, address)} is` : `${resolvedFrom} resolves to ${shownAddress(raw, address)},`;
  const cls = classOf(address);
  const always = refusalOf(cls, subject);
  if (always) return always;
  if (cls === 'public' || !policy.production || allowlisted(policy, address, resolvedFrom)) return null;
  return productionRefusal(cls, subject);
}

/** Host names that are special without any DNS: metadata services, and the loopback names (RFC 6761). */
function hostNameRefusal(host: string, policy: OutboundPolicy): OutboundRefusal | null {
  const name = normaliseHostName(host);
  if (METADATA_NAMES.has(name)) return refusalOf('cloud-metadata', `${name} names`);
  const loopback = LOOPBACK_NAMES.has(name) || name.endsWith('.localhost');
  if (!loopback || !policy.production) return null;
  const loopbackAllowed = allowlisted(policy, null, name) || ['127.0.0.1', '::1'].some((address) => allowlisted(policy, parseAddress(address), null));
  return loopbackAllowed ? null : productionRefusal('loopback', `${name} names`);
}

/**
 * The verdict on a URL before any connection: http or https only, no credentials in it, and a host that
 * is not a refused address or name. Host names are checked again, after DNS, when connecting.
 */
export function outboundUrlRefusal(url: string, policy: OutboundPolicy): OutboundRefusal | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { rule: 'invalid-url', message: 'it is not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { rule: 'scheme', message: 'only http and https URLs are allowed' };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { rule: 'credentials', message: 'a URL may not carry credentials (user:password@); give the key as the apiKey instead' };
  }
  // WHATWG parsing has already turned every IPv4 spelling (2852039166, 0xa9fea9fe, 0251.0376.0251.0376,
  // 169.254.43518, a trailing dot) into the dotted form, and IPv6 into its canonical form in brackets.
  const host = parsed.hostname;
  return parseAddress(host) ? addressRefusal(host.replace(/^\[|\]$/g, ''), policy) : hostNameRefusal(host, policy);
}

/** Refuses a URL the policy does not allow with BAD_USER_INPUT naming the field and the rule, never echoing the URL. */
export function checkOutboundUrl(url: string, policy: OutboundPolicy, field = 'url'): void {
  const refusal = outboundUrlRefusal(url, policy);
  if (refusal) throw badInput(`${field} is not allowed: ${refusal.message}.`, { field, rule: refusal.rule });
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/;

/** OUTBOUND_ALLOWLIST: host names and CIDRs (a bare address is its own /32 or /128), separated by commas. */
export function parseOutboundAllowlist(text: string): OutboundAllowlist {
  const hosts: string[] = [];
  const ranges: (readonly [Address, number])[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [rawAddress = '', bits, extra] = entry.split('/');
    const address = parseAddress(rawAddress);
    if (address && extra === undefined) {
      const max = address.kind() === 'ipv4' ? 32 : 128;
      const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
      if (!(prefix <= max)) throw new Error(`"${entry}" has no valid prefix length (0 to ${max})`);
      ranges.push([address, prefix]);
    } else if (bits === undefined && HOST_NAME.test(normaliseHostName(entry))) {
      hosts.push(normaliseHostName(entry));
    } else {
      throw new Error(`"${entry}" is neither a host name nor an address or CIDR`);
    }
  }
  return { hosts, ranges };
}

export const outboundAllowlistSchema = z.string().transform((text, context) => {
  try {
    return parseOutboundAllowlist(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

// The policy connections of this process follow (guarded-fetch.ts). The runtime sets it from the config at
// start; until then, and in processes that never set it (unit tests, scripts), the development policy.
let processPolicy: OutboundPolicy = DEVELOPMENT_POLICY;

export function setOutboundPolicy(policy: OutboundPolicy): void {
  processPolicy = policy;
}

export function outboundPolicy(): OutboundPolicy {
  return processPolicy;
}
