// The fetch every provider SDK and the GitHub client connect through. It enforces the outbound policy
// (outbound-policy.ts) where it cannot be dodged: in the connector of an undici Agent, after DNS, so a
// name that resolves to a refused address is caught however it was spelt, and the connection goes to the
// very address that was checked (no second resolution a rebinding DNS server could answer differently).
// Redirects are never followed: a 3xx answer is an error, so a provider cannot bounce a call elsewhere.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { addressRefusal, type OutboundPolicy, outboundPolicy, type OutboundRefusal, type OutboundRule, outboundUrlRefusal, parseAddress } from './outbound-policy.ts';
import { NO_TRACE_HEADERS, outboundTraceHeaders } from '../observability/trace-context.ts';

/** A connection the outbound policy does not allow; the message names the host and the rule, nothing else. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly host: string;
  readonly rule: OutboundRule;

  constructor(host: string, refusal: OutboundRefusal) {
    const about = ['scheme', 'credentials', 'invalid-url'].includes(refusal.rule) ? 'the URL' : 'the address';
    super(`${about} is not allowed: ${refusal.message}`);
    this.host = host;
    this.rule = refusal.rule;
  }
}

/** A 3xx answer: its Location is never followed (nor repeated in the message). */
export class OutboundRedirectError extends Error {
  override readonly name = 'OutboundRedirectError';
  readonly status: number;

  constructor(status: number) {
    super(`the provider redirected; redirects are not followed (HTTP ${status})`);
    this.status = status;
  }
}

/** The policy's refusal inside whatever an SDK wrapped it in (its own connection error, octokit's RequestError). */
export function outboundErrorOf(error: unknown): OutboundRefusedError | OutboundRedirectError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    if (current instanceof OutboundRefusedError || current instanceof OutboundRedirectError) return current;
    current = current.cause;
  }
  return null;
}

/** How a host name becomes addresses (tests inject one; the default asks the system resolver, as Node does). */
export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;

const systemResolver: HostResolver = (hostname, family) => dnsLookup(hostname, { all: true, family });

function familyOf(value: unknown): 0 | 4 | 6 {
  if (value === 4 || value === 'IPv4') return 4;
  if (value === 6 || value === 'IPv6') return 6;
  return 0;
}

/** net.connect's `lookup`: resolves, refuses the name if any of its addresses is refused, else hands all of them over. */
function guardedLookup(policy: OutboundPolicy, resolve: HostResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, familyOf(options.family)).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 0);
          return;
        }
        for (const { address } of addresses) {
          const refusal = addressRefusal(address, policy, hostname);
          if (refusal) {
            callback(new OutboundRefusedError(hostname, refusal), '', 0);
            return;
          }
        }
        if (options.all) callback(null, [...addresses]);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** Every connection the Agent opens passes here: an address literal is judged as is (no lookup happens for one). */
function guardedConnector(policy: OutboundPolicy, resolve: HostResolver): buildConnector.connector {
  // allowH2: false keeps HTTP/1.1, as Node's own fetch speaks to the providers.
  const connect = buildConnector({ allowH2: false, lookup: guardedLookup(policy, resolve) });
  return (options, callback) => {
    if (parseAddress(options.hostname)) {
      const refusal = addressRefusal(options.hostname, policy);
      if (refusal) {
        callback(new OutboundRefusedError(options.hostname, refusal), null);
        return;
      }
    }
    connect(options, callback);
  };
}

type FetchInput = Parameters<typeof fetch>[0];
type FetchInit = Parameters<typeof fetch>[1];

/** The request's headers with the trace context added (when tracing is on and the caller set none). */
function withTraceHeaders(input: FetchInput, init: FetchInit): FetchInit {
  const trace = outboundTraceHeaders();
  if (trace === NO_TRACE_HEADERS) return init;
  // init.headers, when given, replace a Request's own (fetch's rule): start from whichever applies.
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  for (const [name, value] of Object.entries(trace)) if (!headers.has(name)) headers.set(name, value);
  return { ...init, headers };
}

/** How many URLs' verdicts one guarded fetch keeps (a bound, not a tuning knob). */
const JUDGED_URLS = 1_000;

export interface GuardedFetch {
  readonly fetch: typeof fetch;
  /** Closes the Agent's connections once the requests in flight are done. */
  close(): Promise<void>;
}

export function createGuardedFetch(policy: OutboundPolicy, options: { resolve?: HostResolver } = {}): GuardedFetch {
  const agent = new Agent({ connect: guardedConnector(policy, options.resolve ?? systemResolver) });
  // A provider's few endpoint URLs come back on every call: each is judged once (the connector still judges
  // every connection's address after DNS).
  const judged = new Map<string, OutboundRefusal | null>();
  const refusalOf = (url: string): OutboundRefusal | null => {
    const known = judged.get(url);
    if (known !== undefined) return known;
    const refusal = outboundUrlRefusal(url, policy);
    if (judged.size >= JUDGED_URLS) judged.clear();
    judged.set(url, refusal);
    return refusal;
  };
  const guarded = async (input: FetchInput, init?: FetchInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    // Scheme and credentials first: fetch would serve data: URLs without any connection to check.
    const refusal = refusalOf(url);
    if (refusal) throw new OutboundRefusedError(URL.canParse(url) ? new URL(url).hostname : '', refusal);
    let response: Response;
    try {
      // Node's own fetch, through our Agent (undici of the major Node bundles): its Response is the one
      // the SDKs' instanceof checks expect, and nothing is copied on the way.
      response = await fetch(input, { ...withTraceHeaders(input, init), redirect: 'manual', dispatcher: agent } as RequestInit);
    } catch (error) {
      // A refused connection comes back as TypeError('fetch failed') with the refusal as its cause.
      throw outboundErrorOf(error) ?? error;
    }
    if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
      await response.body?.cancel().catch(() => undefined);
      throw new OutboundRedirectError(response.status);
    }
    return response;
  };
  return { fetch: guarded as typeof fetch, close: () => agent.close() };
}

let current: { policy: OutboundPolicy; guarded: GuardedFetch } | null = null;

/**
 * The fetch handed to every SDK client and the GitHub client: guarded by this process's policy
 * (setOutboundPolicy), read at each call, so clients kept in a pool follow a policy set after them.
 */
export const outboundFetch: typeof fetch = (input, init) => {
  const policy = outboundPolicy();
  if (current?.policy !== policy) {
    const previous = current;
    current = { policy, guarded: createGuardedFetch(policy) };
    void previous?.guarded.close().catch(() => undefined);
  }
  return current.guarded.fetch(input, init);
};
