// Figure 4: read throughput of everyday queries, as a ratio to a bare graphql-yoga server (its own
// process, same yoga version) answering `{ __typename }`, under the same autocannon load (10 connections),
// in interleaved rounds. The reader is a member who owns exactly 50 projects made from a template.
import { join } from 'node:path';
import { type Bench, ROOT } from '../support/bench.ts';
import { startChild } from '../support/child-process.ts';
import { failureRate, load, type LoadResult, type LoadTarget } from '../support/load.ts';
import { fmt, median, rotation } from '../support/stats.ts';

const CONNECTIONS = 10;
// The two goals: `{ providers { id } }` (>= 0.8 x) and a page of 50 projects (>= 0.3 x); the
// providers with their whole model catalogue (195 models) is reported beside them.
const PROVIDER_IDS = '{ providers { id } }';
const PROVIDERS = '{ providers { id models { id } } }';
const PROJECTS = '{ projects(first: 50) { edges { node { id name specifications { key value } } } } }';

export async function readThroughputFigure(bench: Bench): Promise<void> {
  const { settings } = bench;
  const token = bench.reader.token;
  for (let i = 0; i < 50; i += 1) {
    await bench.graphql('mutation($name: String!) { createProject(input: { name: $name, templateId: "rest-api" }) { id } }', { name: `Read bench ${i}` }, token);
  }
  const page = await bench.graphql<{ projects: { edges: { node: { specifications: unknown[] } }[] } }>(PROJECTS, {}, token);
  const specifications = page.projects.edges.reduce((sum, edge) => sum + edge.node.specifications.length, 0);
  const providers = await bench.graphql<{ providers: unknown[] }>(PROVIDERS, {}, token);

  const bare = await startChild('bare yoga', join(ROOT, 'bench/children/bare-yoga.child.ts'), { env: {} });
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const bareUrl = `http://127.0.0.1:${Number(bare.info.port)}/graphql`;
    const targets: Record<'bare' | 'bareProjects' | 'providerIds' | 'providers' | 'projects', LoadTarget> = {
      bare: { url: bareUrl, body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': 'application/json' }, server: bare },
      bareProjects: { url: bareUrl, body: JSON.stringify({ query: PROJECTS }), headers: { 'content-type': 'application/json' }, server: bare },
      providerIds: { url: bench.httpUrl, body: JSON.stringify({ query: PROVIDER_IDS }), headers, server: bench.gateway },
      providers: { url: bench.httpUrl, body: JSON.stringify({ query: PROVIDERS }), headers, server: bench.gateway },
      projects: { url: bench.httpUrl, body: JSON.stringify({ query: PROJECTS }), headers, server: bench.gateway },
    };
    type Name = keyof typeof targets;
    const names = Object.keys(targets) as Name[];
    for (const name of names) await load(targets[name], CONNECTIONS, 1);
    const runs: Record<Name, LoadResult[]> = { bare: [], bareProjects: [], providerIds: [], providers: [], projects: [] };
    for (let round = 0; round < settings.rounds; round += 1) {
      for (const name of rotation(names, round)) {
        const measure = () => load(targets[name], CONNECTIONS, settings.seconds);
        runs[name].push(name === 'bare' || name === 'bareProjects' ? await measure() : await bench.profiled(`reads-${name}-round-${round + 1}`, measure));
      }
    }
    const rps = (name: Name) => median(runs[name].map((run) => run.requestsPerSecond));
    const cpu = (name: Name) => median(runs[name].map((run) => run.cpuMsPerRequest));
    for (const [name, label, size, goal] of [
      ['providerIds', PROVIDER_IDS, `${providers.providers.length} providers`, 0.8],
      ['providers', PROVIDERS, `${providers.providers.length} providers`, null],
      ['projects', 'a page of 50 projects with their specifications', `${specifications} specifications`, 0.3],
      ['bareProjects', 'the same page answered by bare yoga from memory (no data access, no auth, no plugins: a floor)', '300 specifications', null],
    ] as const) {
      const ratios = runs[name].map((run, index) => run.requestsPerSecond / runs.bare[index]!.requestsPerSecond);
      const ratio = median(ratios);
      const failures = Math.max(...runs[name].map(failureRate));
      bench.report.add({
        id: `reads.${name}`,
        name: `read throughput, ${label}, ${CONNECTIONS} connections, vs bare yoga { __typename }`,
        measured: ratio,
        unit: 'x',
        value:
          `${fmt(ratio, 3)} x (${fmt(rps(name), 0)} vs ${fmt(rps('bare'), 0)} req/s; CPU per request ${fmt(cpu(name), 3)} ms vs ${fmt(cpu('bare'), 3)} ms; ${size})` +
          (failures > 0 ? `; ${fmt(100 * failures, 1)}% failed` : ''),
        goal: goal === null ? 'ratio reported' : `>= ${goal}`,
        pass: goal === null ? null : ratio >= goal,
        details: { connections: CONNECTIONS, seconds: settings.seconds, rounds: settings.rounds, ratios, runs: runs[name], bare: runs.bare },
      });
    }
  } finally {
    await bare.stop();
  }
}
