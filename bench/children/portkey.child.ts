// The Portkey gateway (open source, `@portkey-ai/gateway`, pinned in devDependencies) as the bench's peer:
// its own Node server, started the way its README starts it (`--headless`, no console UI), in a process of
// its own so that process.cpuUsage() here is Portkey's CPU and nothing else's.
//
// Two things its start script does that matter here:
// - it reads the port only from an argument written `--port=<n>` (one token, with "="): `--port <n>` and
//   the PORT variable are ignored and it listens on 8787. The bench picks a free port and passes `--port=<n>`.
// - it binds every interface (it passes no hostname to @hono/node-server); the bench only calls 127.0.0.1.
// "Failed to find Response internal state key" on stderr is @hono/node-server 1.13.8 looking for undici's
// `Symbol(state)` on a Response (to read a body without streaming it); Node 24's undici keeps that state in
// a private field, so it warns once and takes its standard path (reading `response.body`). Harmless.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serveParent } from '../support/child-process.ts';
import { Deadline, sleep } from '../support/stats.ts';

const port = Number(process.env.PORTKEY_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('the Portkey child needs PORTKEY_PORT');
const script = fileURLToPath(new URL('../../node_modules/@portkey-ai/gateway/build/start-server.js', import.meta.url));

// Its start script reads process.argv when it loads, and starts listening as it loads.
process.argv.push('--headless', `--port=${port}`);
await import(pathToFileURL(script).href);

// Its "ready" line is printed after a one-second spinner; asking its root route is the real test.
const deadline = new Deadline(30);
for (;;) {
  const answer = await fetch(`http://127.0.0.1:${port}/`).then((response) => response.text(), () => null);
  if (answer?.includes('AI Gateway')) break;
  if (deadline.passed) throw new Error(`Portkey did not answer on port ${port}`);
  await sleep(50);
}
serveParent({ port });
