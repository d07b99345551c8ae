// Figure 2: `llmStream`, from the moment the fake provider writes its first text chunk to the moment the
// client has the first delta, over WebSocket and over SSE; beside it, the same interval for the `openai`
// SDK reading the fake directly. The fake and the clients live in this process, so both instants are
// read from one clock (performance.now()). The gateway's work before it calls the provider (routing,
// keys) is outside this interval; it shows in the "subscribe to first delta" times reported with it.
import { createClient } from 'graphql-ws';
import OpenAI from 'openai';
import WebSocket from 'ws';
import type { Bench } from '../support/bench.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation, within } from '../support/stats.ts';

const STREAM = 'subscription { llmStream(input: { prompt: "hi" }) { delta done } }';

interface Timing {
  /** The fake's first text chunk to the client's first delta. */
  fromChunk: number;
  /** The client's request to its first delta. */
  fromStart: number;
}

type StreamEvent = { data?: { llmStream?: { delta: string | null; done: boolean } } };

export async function llmStreamFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway } = bench;
  const openai = new OpenAI({ apiKey: 'sk-bench-0000', baseURL: fake.baseUrl, maxRetries: 0 });
  const ws = createClient({ url: bench.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${bench.admin.token}` } });
  // A few ms between frames, as a real provider has: the first text chunk is a distinct instant.
  fake.server.script({ frameDelayMs: 5 });

  const timed = async (open: () => Promise<number>): Promise<Timing> => {
    const firstChunk = fake.nextFirstChunk();
    const started = performance.now();
    const firstDelta = await open();
    const chunkAt = await within(firstChunk, 10_000, 'the fake to write its first chunk');
    return { fromChunk: firstDelta - chunkAt, fromStart: firstDelta - started };
  };

  const streams = {
    sdk: () =>
      timed(async () => {
        let first = Number.NaN;
        const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
        for await (const chunk of stream) if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now();
        return first;
      }),
    websocket: () =>
      timed(
        () =>
          new Promise<number>((resolve, reject) => {
            let first = Number.NaN;
            ws.subscribe<StreamEvent['data']>(
              { query: STREAM },
              {
                next: (result) => {
                  if (Number.isNaN(first) && (result.data as StreamEvent['data'])?.llmStream?.delta) first = performance.now();
                },
                error: reject,
                complete: () => resolve(first),
              },
            );
          }),
      ),
    sse: () =>
      timed(async () => {
        let first = Number.NaN;
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
            if (Number.isNaN(first) && block.startsWith('event: next')) {
              const event = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as StreamEvent;
              if (event.data?.llmStream?.delta) first = performance.now();
            }
            end = buffered.indexOf('\n\n');
          }
        }
        return first;
      }),
  };
  type Name = keyof typeof streams;
  const names = Object.keys(streams) as Name[];
  const timings: Record<Name, Timing[]> = { sdk: [], websocket: [], sse: [] };
  try {
    for (let i = 0; i < 5; i += 1) for (const name of names) await streams[name]();
    const iterations = settings.quick ? 30 : 150;
    const deadline = new Deadline(settings.quick ? 15 : 45);
    const cpuBefore = await gateway.cpu();
    await bench.profiled('llm-stream', async () => {
      for (let i = 0; i < iterations && !deadline.passed; i += 1) {
        for (const name of rotation(names, i)) timings[name].push(await streams[name]());
      }
    });
    const cpuPerStream = cpuMs(cpuBefore, await gateway.cpu()) / (timings.websocket.length + timings.sse.length);
    const chunkToDelta = (name: Name) => timings[name].map((timing) => timing.fromChunk);
    const startToDelta = (name: Name) => median(timings[name].map((timing) => timing.fromStart));
    for (const [name, label] of [['websocket', 'WebSocket'], ['sse', 'SSE']] as const) {
      const values = chunkToDelta(name);
      const p50 = median(values);
      bench.report.add({
        id: `stream.first-delta.${name}`,
        name: `llmStream, fake's first chunk to the client's first delta, ${label}, p50`,
        measured: p50,
        unit: 'ms',
        value:
          `${fmt(p50)} ms (p90 ${fmt(percentile(values, 90))} ms; the SDK reading the fake directly: ${fmt(median(chunkToDelta('sdk')))} ms); ` +
          `request to first delta ${fmt(startToDelta(name))} ms vs ${fmt(startToDelta('sdk'))} ms direct`,
        goal: '<= 2 ms',
        pass: p50 <= 2,
        details: {
          streams: values.length,
          p50,
          p90: percentile(values, 90),
          sdkP50: median(chunkToDelta('sdk')),
          requestToFirstDeltaP50: { gateway: startToDelta(name), sdk: startToDelta('sdk') },
          gatewayCpuMsPerStream: cpuPerStream,
        },
      });
    }
  } finally {
    await ws.dispose();
    fake.server.reset();
  }
}
