// A gateway as a process of its own (`node src/main.ts`, as `npm start` and the container run it), for
// tests of several replicas: started on a free port with the environment given, addressed over real HTTP
// and WebSocket, stopped with SIGTERM or killed with SIGKILL.
import { once } from 'node:events';
import { TEST_MASTER_KEY, type GraphQLResponse, type TestApp } from './app.ts';
import { freePort } from './ports.ts';
import { startNode, waitFor } from './process.ts';

export interface GatewayProcess {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The graphql-ws endpoint. */
  readonly wsUrl: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** GraphQL over HTTP, as TestApp's: with `token` unset, the token the gateway was started with. */
  graphql: TestApp['graphql'];
  /** SIGTERM, then its exit code once it has stopped. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all, as a crashed machine. */
  kill(): Promise<void>;
}

/**
 * Starts `node src/main.ts` on the database and with the variables in `environment` (DATABASE_URL at least),
 * in test mode with the tests' master key and no bootstrap admin, and waits until it listens.
 */
export async function startGateway(environment: Record<string, string>, defaultToken: string): Promise<GatewayProcess> {
  const port = await freePort();
  const node = startNode('src/main.ts', {
    NODE_ENV: 'test',
    BOOTSTRAP_ADMIN: 'false',
    AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY,
    HOST: '127.0.0.1',
    ...environment,
    PORT: String(port),
  });
  const exited = once(node.child, 'exit');
  await waitFor(() => node.output().includes('Agora is listening') || node.child.exitCode !== null, 90_000, `the gateway on port ${port}`);
  if (node.child.exitCode !== null) throw new Error(`The gateway did not start (exit ${node.child.exitCode}):\n${node.output()}`);
  const url = `http://127.0.0.1:${port}`;

  const graphql: TestApp['graphql'] = async (query, options = {}) => {
    const token = options.token === undefined ? defaultToken : options.token;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
      body: JSON.stringify({ query, variables: options.variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
    return { status: response.status, ...body } as GraphQLResponse<never>;
  };

  const end = async (signal: NodeJS.Signals): Promise<number | null> => {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  };

  return {
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    output: node.output,
    graphql,
    stop: () => end('SIGTERM'),
    kill: async () => {
      await end('SIGKILL');
    },
  };
}
