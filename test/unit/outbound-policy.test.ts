import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { AppError } from '../../src/errors.ts';
import {
  addressRefusal,
  checkOutboundUrl,
  classifyAddress,
  DEVELOPMENT_POLICY,
  EMPTY_ALLOWLIST,
  type OutboundPolicy,
  outboundUrlRefusal,
  parseOutboundAllowlist,
} from '../../src/net/outbound-policy.ts';

const PRODUCTION: OutboundPolicy = { production: true, allowlist: EMPTY_ALLOWLIST };
const ALLOWED = 'allowed';

// [URL, verdict in development, verdict in production]: a verdict is the refusing rule, or "allowed".
const URLS: readonly (readonly [string, string, string])[] = [
  // Cloud metadata, however the address is spelt (WHATWG parsing normalises the IPv4 forms first).
  ['http://169.254.169.254/latest/meta-data/', 'cloud-metadata', 'cloud-metadata'],
  ['http://2852039166/', 'cloud-metadata', 'cloud-metadata'],
  ['http://0251.0376.0251.0376/', 'cloud-metadata', 'cloud-metadata'],
  ['http://0xa9fea9fe/', 'cloud-metadata', 'cloud-metadata'],
  ['http://0xa9.0xfe.0xa9.0xfe/', 'cloud-metadata', 'cloud-metadata'],
  ['http://169.254.43518/', 'cloud-metadata', 'cloud-metadata'],
  ['http://169.254.169.254./', 'cloud-metadata', 'cloud-metadata'],
  ['http://%31%36%39.254.169.254/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[::ffff:169.254.169.254]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[::ffff:a9fe:a9fe]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[::169.254.169.254]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[64:ff9b::a9fe:a9fe]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[64:ff9b::169.254.169.254]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[2002:a9fe:a9fe::1]/', 'cloud-metadata', 'cloud-metadata'],
  ['http://[fd00:ec2::254]/latest/meta-data/', 'cloud-metadata', 'cloud-metadata'],
  ['http://100.100.100.200/latest/meta-data/', 'cloud-metadata', 'cloud-metadata'],
  ['http://169.254.170.2/v2/credentials', 'cloud-metadata', 'cloud-metadata'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'cloud-metadata', 'cloud-metadata'],
  ['http://METADATA.GOOGLE.INTERNAL./', 'cloud-metadata', 'cloud-metadata'],
  // Other link-local, unspecified, multicast and broadcast addresses.
  ['http://169.254.1.1/', 'link-local', 'link-local'],
  ['http://[fe80::1]/', 'link-local', 'link-local'],
  ['http://[febf:ffff::1]/', 'link-local', 'link-local'],
  ['http://0.0.0.0:8080/', 'unspecified', 'unspecified'],
  ['http://0/', 'unspecified', 'unspecified'],
  ['http://[::]/', 'unspecified', 'unspecified'],
  ['http://224.0.0.251/', 'multicast', 'multicast'],
  ['http://[ff02::1]/', 'multicast', 'multicast'],
  ['http://255.255.255.255/', 'broadcast', 'broadcast'],
  // Loopback: fine in development (local models, the fakes), refused in production.
  ['http://127.0.0.1:11434', ALLOWED, 'loopback'],
  ['http://127.1/', ALLOWED, 'loopback'],
  ['http://0x7f000001/', ALLOWED, 'loopback'],
  ['http://2130706433/', ALLOWED, 'loopback'],
  ['http://017700000001/', ALLOWED, 'loopback'],
  ['http://127.255.255.254/', ALLOWED, 'loopback'],
  ['http://[::1]:8080/', ALLOWED, 'loopback'],
  ['http://[0:0:0:0:0:0:0:1]/', ALLOWED, 'loopback'],
  ['http://[::ffff:127.0.0.1]/', ALLOWED, 'loopback'],
  ['http://localhost:11434', ALLOWED, 'loopback'],
  ['http://LocalHost./', ALLOWED, 'loopback'],
  ['http://ollama.localhost/', ALLOWED, 'loopback'],
  // Private and shared (CGNAT) ranges.
  ['http://10.0.0.8/v1', ALLOWED, 'private'],
  ['http://172.16.0.1/', ALLOWED, 'private'],
  ['http://172.31.255.255/', ALLOWED, 'private'],
  ['http://192.168.1.20:11434/', ALLOWED, 'private'],
  ['http://0xc0a80001/', ALLOWED, 'private'],
  ['http://[fc00::1]/', ALLOWED, 'private'],
  ['http://[fd12:3456::1]/', ALLOWED, 'private'],
  ['http://[::ffff:10.0.0.1]/', ALLOWED, 'private'],
  ['http://100.64.0.1/', ALLOWED, 'shared'],
  ['http://100.127.255.254/', ALLOWED, 'shared'],
  ['http://198.18.0.1/', ALLOWED, 'reserved'],
  // Public addresses and names.
  ['https://api.openai.com/v1', ALLOWED, ALLOWED],
  ['https://generativelanguage.googleapis.com', ALLOWED, ALLOWED],
  ['http://8.8.8.8/', ALLOWED, ALLOWED],
  ['http://172.32.0.1/', ALLOWED, ALLOWED],
  ['http://100.128.0.1/', ALLOWED, ALLOWED],
  ['http://169.255.0.1/', ALLOWED, ALLOWED],
  ['http://[2001:4860:4860::8888]/', ALLOWED, ALLOWED],
  ['https://169.254.169.254.nip.io/', ALLOWED, ALLOWED],
  // Rules of the URL itself.
  ['https://user:pass@api.openai.com/v1', 'credentials', 'credentials'],
  ['https://sk-secret@api.openai.com/v1', 'credentials', 'credentials'],
  ['ftp://api.openai.com/', 'scheme', 'scheme'],
  ['file:///etc/passwd', 'scheme', 'scheme'],
  ['gopher://127.0.0.1:6379/_INFO', 'scheme', 'scheme'],
  ['not a url', 'invalid-url', 'invalid-url'],
];

// Raw addresses, as a resolver hands them over (and the odd spellings a raw string may still carry).
const ADDRESSES: readonly (readonly [string, string, string])[] = [
  ['169.254.169.254', 'cloud-metadata', 'cloud-metadata'],
  ['2852039166', 'cloud-metadata', 'cloud-metadata'],
  ['0251.0376.0251.0376', 'cloud-metadata', 'cloud-metadata'],
  ['0xa9fea9fe', 'cloud-metadata', 'cloud-metadata'],
  ['0xa9.0xfe.0xa9.0xfe', 'cloud-metadata', 'cloud-metadata'],
  ['169.254.43518', 'cloud-metadata', 'cloud-metadata'],
  ['169.254.169.254.', 'cloud-metadata', 'cloud-metadata'],
  ['::ffff:169.254.169.254', 'cloud-metadata', 'cloud-metadata'],
  ['::ffff:a9fe:a9fe', 'cloud-metadata', 'cloud-metadata'],
  ['[::ffff:a9fe:a9fe]', 'cloud-metadata', 'cloud-metadata'],
  ['::ffff:0:a9fe:a9fe', 'cloud-metadata', 'cloud-metadata'],
  ['64:ff9b::a9fe:a9fe', 'cloud-metadata', 'cloud-metadata'],
  ['64:ff9b:1::a9fe:a9fe', 'cloud-metadata', 'cloud-metadata'],
  ['2002:a9fe:a9fe::', 'cloud-metadata', 'cloud-metadata'],
  ['FD00:EC2::254', 'cloud-metadata', 'cloud-metadata'],
  ['fd00:ec2:0:0:0:0:0:254', 'cloud-metadata', 'cloud-metadata'],
  ['100.100.100.200', 'cloud-metadata', 'cloud-metadata'],
  ['168.63.129.16', 'cloud-metadata', 'cloud-metadata'],
  ['fe80::1%eth0', 'link-local', 'link-local'],
  ['[fe80::a9fe:a9fe%25en0]', 'link-local', 'link-local'],
  ['169.254.0.1', 'link-local', 'link-local'],
  ['0.0.0.0', 'unspecified', 'unspecified'],
  ['0.1.2.3', 'unspecified', 'unspecified'],
  ['::', 'unspecified', 'unspecified'],
  ['::ffff:0.0.0.0', 'unspecified', 'unspecified'],
  ['127.0.0.1', ALLOWED, 'loopback'],
  ['127.0.0.53', ALLOWED, 'loopback'],
  ['::1', ALLOWED, 'loopback'],
  ['::ffff:7f00:1', ALLOWED, 'loopback'],
  ['64:ff9b::7f00:1', ALLOWED, 'loopback'],
  ['10.255.255.255', ALLOWED, 'private'],
  ['192.168.0.1', ALLOWED, 'private'],
  ['fd00::1', ALLOWED, 'private'],
  ['fec0::1', ALLOWED, 'private'],
  ['64:ff9b:1::808:808', ALLOWED, 'private'],
  ['100.64.0.1', ALLOWED, 'shared'],
  ['240.0.0.1', ALLOWED, 'reserved'],
  ['8.8.8.8', ALLOWED, ALLOWED],
  ['64:ff9b::808:808', ALLOWED, ALLOWED],
  ['2606:4700:4700::1111', ALLOWED, ALLOWED],
  ['not-an-address', 'invalid-address', 'invalid-address'],
];

const verdictOfUrl = (url: string, policy: OutboundPolicy) => outboundUrlRefusal(url, policy)?.rule ?? ALLOWED;
const verdictOfAddress = (address: string, policy: OutboundPolicy) => addressRefusal(address, policy)?.rule ?? ALLOWED;

describe('the outbound policy on URLs', () => {
  it.each(URLS)('%s: %s in development, %s in production', (url, development, production) => {
    expect(verdictOfUrl(url, DEVELOPMENT_POLICY)).toBe(development);
    expect(verdictOfUrl(url, PRODUCTION)).toBe(production);
  });

  it('never repeats credentials, and names the address and the rule', () => {
    const withCredentials = outboundUrlRefusal('http://admin:hunter2@169.254.169.254/', PRODUCTION)!;
    expect(withCredentials.rule).toBe('credentials');
    expect(withCredentials.message).not.toMatch(/hunter2|admin/);
    const metadata = outboundUrlRefusal('http://0xa9fea9fe/latest/meta-data/iam', PRODUCTION)!;
    expect(metadata.message).toBe('169.254.169.254 is a cloud metadata address, which is never allowed');
    expect(metadata.message).not.toContain('/latest');
    expect(outboundUrlRefusal('http://[::ffff:a9fe:a9fe]/', PRODUCTION)!.message).toBe('::ffff:a9fe:a9fe (169.254.169.254) is a cloud metadata address, which is never allowed');
    expect(outboundUrlRefusal('http://127.0.0.1:8080/', PRODUCTION)!.message).toBe(
      '127.0.0.1 is a loopback address, which production refuses unless OUTBOUND_ALLOWLIST lists it',
    );
  });
});

describe('the outbound policy on raw addresses (the resolver path)', () => {
  it.each(ADDRESSES)('%s: %s in development, %s in production', (address, development, production) => {
    expect(verdictOfAddress(address, DEVELOPMENT_POLICY)).toBe(development);
    expect(verdictOfAddress(address, PRODUCTION)).toBe(production);
  });

  it('names the host an address was resolved from', () => {
    expect(addressRefusal('169.254.169.254', DEVELOPMENT_POLICY, 'innocent.example')).toEqual({
      rule: 'cloud-metadata',
      message: 'innocent.example resolves to 169.254.169.254, a cloud metadata address, which is never allowed',
    });
  });

  it('tells an address from a host name', () => {
    expect(classifyAddress('api.openai.com')).toBeNull();
    expect(classifyAddress('1.2.3.4.5')).toBeNull();
    expect(classifyAddress('')).toBeNull();
    expect(classifyAddress('::ffff:a9fe:a9fe')).toBe('cloud-metadata');
  });
});

describe('OUTBOUND_ALLOWLIST', () => {
  const policy = (list: string): OutboundPolicy => ({ production: true, allowlist: parseOutboundAllowlist(list) });

  it('lets production reach listed hosts and ranges, and nothing else of the kind', () => {
    const allowlisted = policy('ollama.internal, 10.20.0.0/16, 127.0.0.1, fd00:1::/32');
    expect(verdictOfUrl('http://10.20.3.4:11434/', allowlisted)).toBe(ALLOWED);
    expect(verdictOfUrl('http://[::ffff:10.20.3.4]/', allowlisted)).toBe(ALLOWED);
    expect(verdictOfUrl('http://10.21.0.1/', allowlisted)).toBe('private');
    expect(verdictOfUrl('http://127.0.0.1:8080/', allowlisted)).toBe(ALLOWED);
    expect(verdictOfUrl('http://127.0.0.2/', allowlisted)).toBe('loopback');
    expect(verdictOfUrl('http://[fd00:1::5]/', allowlisted)).toBe(ALLOWED);
    expect(verdictOfUrl('http://[fd00:2::5]/', allowlisted)).toBe('private');
    // localhost is reached through 127.0.0.1, which is listed.
    expect(verdictOfUrl('http://localhost:11434/', allowlisted)).toBe(ALLOWED);
    // A listed name lifts the refusal of what it resolves to; another name does not.
    expect(addressRefusal('192.168.1.9', allowlisted, 'OLLAMA.internal.')).toBeNull();
    expect(addressRefusal('192.168.1.9', allowlisted, 'other.internal')?.rule).toBe('private');
  });

  it('accepts localhost by name', () => {
    expect(verdictOfUrl('http://localhost:11434/', policy('localhost'))).toBe(ALLOWED);
    expect(addressRefusal('127.0.0.1', policy('localhost'), 'localhost')).toBeNull();
    expect(verdictOfUrl('http://127.0.0.1:11434/', policy('localhost'))).toBe('loopback');
  });

  it('never lifts the refusals that hold everywhere', () => {
    const everything = policy('0.0.0.0/0, ::/0, metadata.google.internal, 169.254.169.254');
    expect(verdictOfUrl('http://169.254.169.254/', everything)).toBe('cloud-metadata');
    expect(verdictOfUrl('http://metadata.google.internal/', everything)).toBe('cloud-metadata');
    expect(verdictOfUrl('http://[fe80::1]/', everything)).toBe('link-local');
    expect(addressRefusal('169.254.169.254', everything, 'metadata.google.internal')?.rule).toBe('cloud-metadata');
    expect(verdictOfUrl('http://10.0.0.1/', everything)).toBe(ALLOWED);
  });

  it('refuses entries that are neither names nor CIDRs', () => {
    expect(() => parseOutboundAllowlist('10.0.0.0/33')).toThrow(/prefix length/);
    expect(() => parseOutboundAllowlist('::/129')).toThrow(/prefix length/);
    expect(() => parseOutboundAllowlist('10.0.0.0/x')).toThrow(/prefix length/);
    expect(() => parseOutboundAllowlist('host/8')).toThrow(/neither/);
    expect(() => parseOutboundAllowlist('a host')).toThrow(/neither/);
    expect(parseOutboundAllowlist(' , ')).toEqual({ hosts: [], ranges: [] });
  });
});

describe('checkOutboundUrl', () => {
  it('throws BAD_USER_INPUT naming the field and the rule', () => {
    const error = (() => {
      try {
        checkOutboundUrl('http://2852039166/latest', PRODUCTION, 'config.baseUrl');
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'config.baseUrl is not allowed: 169.254.169.254 is a cloud metadata address, which is never allowed.',
      details: { field: 'config.baseUrl', rule: 'cloud-metadata' },
    });
    expect(() => checkOutboundUrl('https://api.openai.com/v1', PRODUCTION, 'config.baseUrl')).not.toThrow();
  });
});

describe('the outbound policy in the config', () => {
  it('follows NODE_ENV and OUTBOUND_ALLOWLIST', () => {
    expect(loadConfig({}).outbound).toEqual(DEVELOPMENT_POLICY);
    const production = loadConfig({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: 'localhost,10.0.0.0/8' });
    expect(production.outbound.production).toBe(true);
    expect(production.outbound.allowlist.hosts).toEqual(['localhost']);
    expect(verdictOfUrl('http://10.1.1.1/', production.outbound)).toBe(ALLOWED);
    expect(() => loadConfig({ OUTBOUND_ALLOWLIST: '10.0.0.0/99' })).toThrow(/OUTBOUND_ALLOWLIST: "10.0.0.0\/99" has no valid prefix length/);
  });

  it('refuses to start with a GITHUB_GRAPHQL_URL the policy refuses', () => {
    expect(() => loadConfig({ GITHUB_GRAPHQL_URL: 'http://169.254.169.254/graphql' })).toThrow(ConfigError);
    expect(() => loadConfig({ GITHUB_GRAPHQL_URL: 'http://0xa9fea9fe/graphql' })).toThrow(/GITHUB_GRAPHQL_URL: 169\.254\.169\.254 is a cloud metadata address/);
    const withCredentials = (() => {
      try {
        loadConfig({ GITHUB_GRAPHQL_URL: 'https://me:ghp_secret@github.example/api/graphql' });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(withCredentials).toBeInstanceOf(ConfigError);
    expect((withCredentials as Error).message).toMatch(/GITHUB_GRAPHQL_URL: a URL may not carry credentials/);
    expect((withCredentials as Error).message).not.toContain('ghp_secret');
    // Development may use a local fake; production only when allowlisted.
    expect(loadConfig({ GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql' }).githubGraphqlUrl).toBe('http://127.0.0.1:9/graphql');
    expect(() => loadConfig({ NODE_ENV: 'production', GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql' })).toThrow(/GITHUB_GRAPHQL_URL: 127\.0\.0\.1 is a loopback address/);
    expect(loadConfig({ NODE_ENV: 'production', GITHUB_GRAPHQL_URL: 'http://10.0.0.5/api/graphql', OUTBOUND_ALLOWLIST: '10.0.0.5' }).githubGraphqlUrl).toBe(
      'http://10.0.0.5/api/graphql',
    );
  });
});
