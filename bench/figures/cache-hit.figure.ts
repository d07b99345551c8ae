// Figure: what a response-cache hit costs. One connection, in rotating order: (a) the fake OpenAI server
// with the `openai` SDK (maxRetries 0), (b) `callLlm` with `cache: true` on a prompt already answered
// (no upstream request: the lookup, the cached usage row, the GraphQL round trip). Added latency:
// p50(cache hit) - p50(direct SDK call); below zero means the hit is faster than asking the provider.
import OpenAI from 'openai';
import type { Bench } from '../support/bench.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

const CACHED = JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi (cached)", cache: true }) { text cost cached } }' });

export async function cacheHitFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway } = bench;
  const openai = new OpenAI({ apiKey: 'sk-bench-0000', baseURL: fake.baseUrl, maxRetries: 0 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${bench.admin.token}` };
  const calls = {
    direct: () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    hit: async () => {
      const body = (await (await fetch(bench.httpUrl, { method: 'POST', headers, body: CACHED })).json()) as { data?: { callLlm?: { cached: boolean } }; errors?: unknown };
      if (!body.data?.callLlm) throw new Error(`callLlm failed: ${JSON.stringify(body.errors)}`);
      return body.data.callLlm.cached;
    },
  };
  type Name = keyof typeof calls;
  const names = Object.keys(calls) as Name[];
  await calls.hit();
  if (!(await calls.hit())) throw new Error('the second identical call with cache: true was not a cache hit');
  for (let i = 0; i < 30; i += 1) for (const name of names) await calls[name]();

  const times: Record<Name, number[]> = { direct: [], hit: [] };
  const upstreamBefore = fake.server.requests.length;
  const iterations = settings.quick ? 200 : 600;
  const deadline = new Deadline(settings.quick ? 20 : 60);
  const cpuBefore = await gateway.cpu();
  await bench.profiled('cache-hit-1-connection', async () => {
    for (let i = 0; i < iterations && !deadline.passed; i += 1) {
      for (const name of rotation(names, i)) {
        const started = performance.now();
        await calls[name]();
        times[name].push(performance.now() - started);
      }
    }
  });
  const cpuPerHit = cpuMs(cpuBefore, await gateway.cpu()) / times.hit.length;
  // Every direct call reached the fake; no cache hit did.
  const upstreamFromHits = fake.server.requests.length - upstreamBefore - times.direct.length;
  fake.server.reset();
  const p50 = { direct: median(times.direct), hit: median(times.hit) };
  const added = p50.hit - p50.direct;
  bench.report.add({
    id: 'cache.hit-added-latency.c1',
    name: 'callLlm served from the response cache, added latency over a direct SDK call, p50, 1 connection',
    measured: added,
    unit: 'ms',
    value: `${fmt(added)} ms (hit ${fmt(p50.hit)} ms, direct SDK ${fmt(p50.direct)} ms); gateway CPU ${fmt(cpuPerHit)} ms per hit; ${upstreamFromHits} upstream requests from hits`,
    goal: '< 1 ms',
    pass: added < 1 && upstreamFromHits === 0,
    details: { hits: times.hit.length, p50, p90: { direct: percentile(times.direct, 90), hit: percentile(times.hit, 90) }, gatewayCpuMsPerHit: cpuPerHit, upstreamFromHits },
  });
}
