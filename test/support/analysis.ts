import type { TestApp as FullTestApp } from './app.ts';
import { waitFor } from './process.ts';

/** What these helpers use of a gateway: its GraphQL client (a TestApp, or a GatewayProcess of gateway-process.ts). */
type TestApp = Pick<FullTestApp, 'graphql'>;

export type RunView = {
  id: string;
  status: string;
  stage: string;
  progress: number;
  provider: string | null;
  model: string | null;
  error: string | null;
  attempts: number;
  result: Record<string, unknown> | null;
  events: { seq: number; stage: string; message: string; status: string; delta: string | null; progress: number }[];
};
export const RUN = 'id status stage progress provider model error attempts result events { seq stage message status delta progress }';

export const AI_ANSWER = JSON.stringify([
  { type: 'MEMORY', title: 'Raise the memory limit', description: 'The pod is OOM-killed.', priority: 'HIGH', confidence: 0.9, actions: ['kubectl describe pod', 'raise limits.memory'] },
  { type: 'DEPLOYMENT', title: 'Roll back the release', description: 'The leak started with v2.', priority: 'MEDIUM', confidence: 0.6, actions: ['helm rollback api 41'] },
]);

export async function createIncident(t: TestApp, input: Record<string, unknown>, token?: string): Promise<string> {
  const response = await t.graphql<{ createIncident: { id: string } }>('mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }', {
    variables: { input },
    token,
  });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.createIncident.id;
}

export async function analyze(t: TestApp, incidentId: string, options: { provider?: string; token?: string } = {}): Promise<RunView> {
  const response = await t.graphql<{ analyzeIncident: RunView }>(
    `mutation($id: ID!, $provider: ProviderKind) { analyzeIncident(incidentId: $id, provider: $provider) { ${RUN} } }`,
    { variables: { id: incidentId, provider: options.provider ?? null }, token: options.token },
  );
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.analyzeIncident;
}

export async function readRun(t: TestApp, id: string, token?: string): Promise<RunView> {
  const response = await t.graphql<{ analysisRun: RunView }>(`query($id: ID!) { analysisRun(id: $id) { ${RUN} } }`, { variables: { id }, token });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.analysisRun;
}

export async function waitForRun(t: TestApp, id: string, done: (run: RunView) => boolean, timeoutMs = 20_000): Promise<RunView> {
  const seen: { last: RunView | null } = { last: null };
  await waitFor(async () => done((seen.last = await readRun(t, id))), timeoutMs, `run ${id}`);
  return seen.last!;
}

export const finished = (run: RunView) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status);

/** Events numbered 1..n without a gap, the terminal one last. */
export function expectOrderedEvents(events: { seq: number; status: string }[]): boolean {
  return events.every((event, index) => event.seq === index + 1);
}
