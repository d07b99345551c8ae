// The peers the gateway is measured beside, in the same rounds and against the same fake OpenAI server:
// the Portkey gateway (open source, pinned in devDependencies; it records nothing), a bare node:http +
// `openai` SDK proxy and a bare node:http + fetch proxy. Each runs in a process of its own, so each one's
// process.cpuUsage() is its CPU per call.
import { join } from 'node:path';
import { ROOT } from './bench.ts';
import { type ChildHandle, startChild } from './child-process.ts';
import { freePort } from '../../test/support/ports.ts';
import type { LoadTarget } from './load.ts';
import type { TimedOpenAiFake } from './timed-openai.fake.ts';

export const JSON_HEADERS = { 'content-type': 'application/json' };

export interface Peer {
  child: ChildHandle;
  /** Where an `openai` SDK client points (with /v1). */
  baseUrl: string;
  /** POST here for one chat completion. */
  chatUrl: string;
  /** The headers every request to it carries (for Portkey: which provider, where, and the provider's key). */
  headers: Record<string, string>;
  /** The body of one call: the SDK's request body for Portkey; the proxies build their own request. */
  callBody: string;
}

export interface Peers {
  portkey: Peer;
  sdkProxy: Peer;
  fetchProxy: Peer;
  stop(): Promise<void>;
}

export const PEER_NAMES = ['portkey', 'sdkProxy', 'fetchProxy'] as const;
export const PEER_LABELS: Record<(typeof PEER_NAMES)[number], string> = { portkey: 'Portkey', sdkProxy: 'SDK proxy', fetchProxy: 'fetch proxy' };

/** The request body the `openai` SDK sends for the bench's one-message call. */
export const SDK_BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4o-mini' });
export const FAKE_API_KEY = 'sk-bench-0000';

/** One call to a peer (its answer's text). */
export function callPeer(peer: Peer): Promise<string> {
  return fetch(peer.chatUrl, { method: 'POST', headers: peer.headers, body: peer.callBody }).then((response) => response.text());
}

/** Load on a peer's call, its CPU charged to the peer's process. */
export function peerTarget(peer: Peer): LoadTarget {
  return { url: peer.chatUrl, body: peer.callBody, headers: peer.headers, server: peer.child };
}

function proxyPeer(child: ChildHandle): Peer {
  const base = `http://127.0.0.1:${Number(child.info.port)}`;
  return { child, baseUrl: `${base}/v1`, chatUrl: `${base}/v1/chat/completions`, headers: JSON_HEADERS, callBody: '{}' };
}

/** Starts the three peers and checks that each one answers a call with the fake's text. */
export async function startPeers(fake: TimedOpenAiFake): Promise<Peers> {
  const portkeyPort = await freePort();
  const started = await Promise.allSettled([
    startChild('portkey', join(ROOT, 'bench/children/portkey.child.ts'), { env: { PORTKEY_PORT: String(portkeyPort), NODE_ENV: 'production' } }),
    startChild('sdk proxy', join(ROOT, 'bench/children/sdk-proxy.child.ts'), { env: { FAKE_OPENAI_URL: fake.baseUrl } }),
    startChild('fetch proxy', join(ROOT, 'bench/children/fetch-proxy.child.ts'), { env: { FAKE_OPENAI_URL: fake.baseUrl } }),
  ]);
  const children = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const stop = async () => {
    await Promise.all(children.map((child) => child.stop()));
  };
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [portkey, sdkProxy, fetchProxy] = children as [ChildHandle, ChildHandle, ChildHandle];
  const portkeyBase = `http://127.0.0.1:${Number(portkey.info.port)}/v1`;
  const peers: Peers = {
    portkey: {
      child: portkey,
      baseUrl: portkeyBase,
      chatUrl: `${portkeyBase}/chat/completions`,
      // Portkey forwards to x-portkey-custom-host (+ /chat/completions) with the caller's Authorization.
      headers: { ...JSON_HEADERS, authorization: `Bearer ${FAKE_API_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl },
      callBody: SDK_BODY,
    },
    sdkProxy: proxyPeer(sdkProxy),
    fetchProxy: proxyPeer(fetchProxy),
    stop,
  };
  try {
    for (const name of PEER_NAMES) {
      const peer = peers[name];
      const response = await fetch(peer.chatUrl, { method: 'POST', headers: peer.headers, body: peer.callBody });
      const text = await response.text();
      if (!response.ok || !text.includes('Hello from the fake provider.')) throw new Error(`${PEER_LABELS[name]} does not answer a call (${response.status}): ${text.slice(0, 300)}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  fake.server.reset();
  return peers;
}
