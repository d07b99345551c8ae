// Figure 2: `llmStream`, from the moment the fake provider writes its first text chunk to the moment the
// client has the first delta, over WebSocket and over SSE; beside it, the same interval for the `openai`
// SDK reading the fake directly, and through each peer (bench/support/baselines.ts: the Portkey gateway,
// the SDK proxy, the fetch proxy), read with the same SDK. The fake and the clients live in this process,
// so both instants are read from one clock (performance.now()). The gateway's work before it calls the
// provider (routing, keys) is outside this interval; it shows in the "request to first delta" times.
//
// CPU per stream: blocks of streams of 20 deltas of one kind at a time, interleaved; the serving process's
// CPU over the block (the gateway's, or the peer's) and, for the gateway, PostgreSQL's from /proc
// (BenchDatabase.postgresCpuMs), divided by the streams of the block. Judged with the fake's frames back to
// back: with 5 ms between them (also measured and reported) each frame wakes an idle process, and on this
// kind of machine that wake-up costs more than the work per delta and varies by run.
import { createClient } from 'graphql-ws';
import OpenAI from 'openai';
import WebSocket from 'ws';
import type { Bench } from '../support/bench.ts';
import { FAKE_API_KEY, PEER_LABELS, PEER_NAMES, type Peers, startPeers } from '../support/baselines.ts';
import type { ChildHandle } from '../support/child-process.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation, within } from '../support/stats.ts';

const STREAM = 'subscription { llmStream(input: { prompt: "hi" }) { delta done } }';
const DEFAULT_TEXT = 'Hello from the fake provider.';
const TWENTY_DELTAS = Array.from({ length: 20 }, (_, index) => `token${index} `);
const NAMES = ['sdk', ...PEER_NAMES, 'websocket', 'sse'] as const;
type Name = (typeof NAMES)[number];
/** The streams whose server's CPU is measured: the gateway's two transports and the peers. */
const SERVED = ['websocket', 'sse', ...PEER_NAMES] as const;
type Served = (typeof SERVED)[number];

interface Received {
  /** performance.now() at the first non-empty delta. */
  first: number;
  text: string;
}

interface Timing {
  /** The fake's first text chunk to the client's first delta. */
  fromChunk: number;
  /** The client's request to its first delta. */
  fromStart: number;
  text: string;
}

type StreamEvent = { data?: { llmStream?: { delta: string | null; done: boolean } } };

async function readSdkStream(client: OpenAI): Promise<Received> {
  let first = Number.NaN;
  let text = '';
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta?.content;
    if (!delta) continue;
    if (Number.isNaN(first)) first = performance.now();
    text += delta;
  }
  return { first, text };
}

export async function llmStreamFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway, db } = bench;
  const peers: Peers = await startPeers(fake);
  const sdkClient = (baseURL: string, defaultHeaders: Record<string, string> = {}) => new OpenAI({ apiKey: FAKE_API_KEY, baseURL, maxRetries: 0, defaultHeaders });
  const { authorization: _key, ...portkeyRouting } = peers.portkey.headers;
  const clients = {
    sdk: sdkClient(fake.baseUrl),
    portkey: sdkClient(peers.portkey.baseUrl, portkeyRouting),
    sdkProxy: sdkClient(peers.sdkProxy.baseUrl),
    fetchProxy: sdkClient(peers.fetchProxy.baseUrl),
  };
  const ws = createClient({ url: bench.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${bench.admin.token}` } });
  // A few ms between frames, as a real provider has: the first text chunk is a distinct instant.
  fake.server.script({ frameDelayMs: 5 });

  const timed = async (open: () => Promise<Received>): Promise<Timing> => {
    const firstChunk = fake.nextFirstChunk();
    const started = performance.now();
    const received = await open();
    const chunkAt = await within(firstChunk, 10_000, 'the fake to write its first chunk');
    return { fromChunk: received.first - chunkAt, fromStart: received.first - started, text: received.text };
  };

  const streams: Record<Name, () => Promise<Timing>> = {
    sdk: () => timed(() => readSdkStream(clients.sdk)),
    portkey: () => timed(() => readSdkStream(clients.portkey)),
    sdkProxy: () => timed(() => readSdkStream(clients.sdkProxy)),
    fetchProxy: () => timed(() => readSdkStream(clients.fetchProxy)),
    websocket: () =>
      timed(
        () =>
          new Promise<Received>((resolve, reject) => {
            let first = Number.NaN;
            let text = '';
            ws.subscribe<StreamEvent['data']>(
              { query: STREAM },
              {
                next: (result) => {
                  const delta = (result.data as StreamEvent['data'])?.llmStream?.delta;
                  if (!delta) return;
                  if (Number.isNaN(first)) first = performance.now();
                  text += delta;
                },
                error: reject,
                complete: () => resolve({ first, text }),
              },
            );
          }),
      ),
    sse: () =>
      timed(async () => {
        let first = Number.NaN;
        let text = '';
        const response = await fetch(bench.httpUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${bench.admin.token}` },
          body: JSON.stringify({ query: STREAM }),
        });
        const decoder = new TextDecoder();
        let buffered = '';
        for await (const chunk of response.body!) {
          buffered += decoder.decode(chunk, { stream: true });
          let end = buffered.indexOf('\n\n');
          while (end !== -1) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            if (block.startsWith('event: next')) {
              const delta = (JSON.parse(block.slice(block.indexOf('data: ') + 6)) as StreamEvent).data?.llmStream?.delta;
              if (delta) {
                if (Number.isNaN(first)) first = performance.now();
                text += delta;
              }
            }
            end = buffered.indexOf('\n\n');
          }
        }
        return { first, text };
      }),
  };
  const timings: Record<Name, Timing[]> = { sdk: [], portkey: [], sdkProxy: [], fetchProxy: [], websocket: [], sse: [] };
  const expect = (name: Name, timing: Timing, text: string): Timing => {
    if (timing.text !== text) throw new Error(`${name} streamed ${JSON.stringify(timing.text.slice(0, 80))}, not ${JSON.stringify(text.slice(0, 80))}`);
    return timing;
  };
  try {
    // ---- first delta: one stream at a time, interleaved
    for (let i = 0; i < 5; i += 1) for (const name of NAMES) expect(name, await streams[name](), DEFAULT_TEXT);
    const iterations = settings.quick ? 30 : 150;
    const deadline = new Deadline(settings.quick ? 20 : 60);
    await bench.profiled('llm-stream', async () => {
      for (let i = 0; i < iterations && !deadline.passed; i += 1) {
        for (const name of rotation(NAMES, i)) timings[name].push(expect(name, await streams[name](), DEFAULT_TEXT));
      }
    });
    const chunkToDelta = (name: Name) => timings[name].map((timing) => timing.fromChunk);
    const firstDelta = (name: Name) => median(chunkToDelta(name));
    const startToDelta = (name: Name) => median(timings[name].map((timing) => timing.fromStart));
    const peersFirst = PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(firstDelta(name))} ms`).join(', ');

    // ---- CPU per 20-delta stream: blocks of one kind, interleaved, with the frames back to back (the
    // work per delta, which coalescing may cut) and 5 ms apart (each frame then wakes an idle process,
    // whose cost on a shared machine dwarfs the work: reported, not judged)
    const twenty = TWENTY_DELTAS.join('');
    const serverOf = (name: Served): ChildHandle => (name === 'websocket' || name === 'sse' ? gateway : peers[name].child);
    const PACINGS = [0, 5] as const;
    type Pacing = (typeof PACINGS)[number];
    const blank = () => Object.fromEntries(SERVED.map((name) => [name, { ms: 0, postgresMs: 0, streams: 0 }])) as Record<Served, { ms: number; postgresMs: number; streams: number }>;
    const cpu: Record<Pacing, ReturnType<typeof blank>> = { 0: blank(), 5: blank() };
    const block = settings.quick ? 10 : 20;
    await bench.profiled('llm-stream-cpu', async () => {
      for (let round = 0; round < settings.rounds; round += 1) {
        for (const frameDelayMs of rotation(PACINGS, round)) {
          fake.server.script({ frameDelayMs, deltas: TWENTY_DELTAS, text: twenty });
          for (const name of SERVED) expect(name, await streams[name](), twenty);
          for (const name of rotation(SERVED, round)) {
            const server = serverOf(name);
            const postgresBefore = await db.postgresCpuMs();
            const before = await server.cpu();
            for (let i = 0; i < block; i += 1) expect(name, await streams[name](), twenty);
            cpu[frameDelayMs][name].ms += cpuMs(before, await server.cpu());
            cpu[frameDelayMs][name].postgresMs += (await db.postgresCpuMs()) - postgresBefore;
            cpu[frameDelayMs][name].streams += block;
          }
        }
      }
    });
    const perStream = (name: Served, pacing: Pacing = 0) => cpu[pacing][name].ms / cpu[pacing][name].streams;
    const postgresPerStream = (name: Served, pacing: Pacing = 0) => cpu[pacing][name].postgresMs / cpu[pacing][name].streams;
    // While a peer streams, the gateway is idle: PostgreSQL's CPU then is its background (the job queue).
    const idleStreams = PEER_NAMES.reduce((sum, name) => sum + cpu[0][name].streams, 0);
    const postgresIdlePerStream = PEER_NAMES.reduce((sum, name) => sum + cpu[0][name].postgresMs, 0) / idleStreams;
    const portkeyCpu = perStream('portkey');
    const peersCpu = (pacing: Pacing) => PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(perStream(name, pacing))} ms`).join(', ');

    for (const [name, label] of [['websocket', 'WebSocket'], ['sse', 'SSE']] as const) {
      const values = chunkToDelta(name);
      const p50 = median(values);
      bench.report.add({
        id: `stream.first-delta.${name}`,
        name: `llmStream, fake's first chunk to the client's first delta, ${label}, p50`,
        measured: p50,
        unit: 'ms',
        value:
          `${fmt(p50)} ms (p90 ${fmt(percentile(values, 90))} ms; the SDK reading the fake directly: ${fmt(firstDelta('sdk'))} ms; through ${peersFirst}); ` +
          `request to first delta ${fmt(startToDelta(name))} ms vs ${fmt(startToDelta('sdk'))} ms direct`,
        goal: '<= 1.5 ms',
        pass: p50 <= 1.5,
        details: {
          streams: values.length,
          p50,
          p90: percentile(values, 90),
          sdkP50: firstDelta('sdk'),
          peersP50: Object.fromEntries(PEER_NAMES.map((peer) => [peer, firstDelta(peer)])),
          requestToFirstDeltaP50: Object.fromEntries(NAMES.map((each) => [each, startToDelta(each)])),
        },
      });
      const total = perStream(name) + postgresPerStream(name);
      bench.report.add({
        id: `stream.cpu.${name}`,
        name: `llmStream CPU per 20-delta stream (gateway + PostgreSQL), ${label}, vs the Portkey gateway`,
        measured: total,
        unit: 'ms',
        value:
          `${fmt(perStream(name))} + ${fmt(postgresPerStream(name))} ms (${fmt(total / portkeyCpu)} x Portkey's; ${peersCpu(0)}; PostgreSQL while a peer streamed: ` +
          `${fmt(postgresIdlePerStream)} ms per stream); frames 5 ms apart: ${fmt(perStream(name, 5))} + ${fmt(postgresPerStream(name, 5))} ms, ${peersCpu(5)}`,
        goal: "<= Portkey's",
        pass: total <= portkeyCpu,
        details: {
          deltasPerStream: TWENTY_DELTAS.length,
          backToBack: cpu[0],
          framesFiveMsApart: cpu[5],
          gatewayCpuMsPerStream: perStream(name),
          postgresCpuMsPerStream: postgresPerStream(name),
          portkeyCpuMsPerStream: portkeyCpu,
          postgresIdleCpuMsPerStream: postgresIdlePerStream,
          postgresCpuScope: db.postgresCpuScope,
        },
      });
    }
  } finally {
    await ws.dispose();
    fake.server.reset();
    await peers.stop();
  }
}
