// The processes under measurement (the gateway, the baselines, the subscribers) run as children of the
// bench, so process.cpuUsage() in each child is that process's own CPU and nothing else's. Parent and
// child talk over Node's IPC channel: a tiny request/reply protocol plus a "ready" message.
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { within } from './stats.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (payload: unknown) => unknown;
interface Request {
  id: number;
  op: string;
  payload?: unknown;
}
type Reply = { type: 'ready'; info: Record<string, unknown> } | { type: 'reply'; id: number; ok: true; result: unknown } | { type: 'reply'; id: number; ok: false; error: string };

export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** What the child reported when it became ready (its port, for a server). */
  readonly info: Record<string, unknown>;
  call<T = unknown>(op: string, payload?: unknown, timeoutMs?: number): Promise<T>;
  /** The child's own process.cpuUsage(). */
  cpu(): Promise<NodeJS.CpuUsage>;
  /** Starts V8's CPU profiler in the child (the same profiler as `node --cpu-prof`). */
  profileStart(): Promise<void>;
  /** Stops it and writes the .cpuprofile to `file`. */
  profileStop(file: string): Promise<void>;
  /** Asks the child to stop cleanly; kills it if it does not exit in time. */
  stop(): Promise<void>;
}

export async function startChild(
  name: string,
  script: string,
  options: { env: Record<string, string>; execArgv?: string[]; readyTimeoutMs?: number },
): Promise<ChildHandle> {
  const child: ChildProcess = fork(script, [], {
    execPath: process.execPath,
    execArgv: options.execArgv ?? [],
    env: { PATH: process.env.PATH ?? '', ...options.env },
    // stdout (the gateway's JSON logs) goes nowhere, as it would to a log shipper; stderr is kept for errors.
    // BENCH_CHILD_LOG=/tmp/run keeps each child's stdout in /tmp/run.<name>.log, to look into a figure.
    stdio: ['ignore', process.env.BENCH_CHILD_LOG ? 'pipe' : 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  if (process.env.BENCH_CHILD_LOG) child.stdout?.pipe(createWriteStream(`${process.env.BENCH_CHILD_LOG}.${name}.log`));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited (${code ?? signal}) ${stderr.trim()}`));
      pending.clear();
      resolve();
    });
  });

  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (message: Reply) => {
      if (message.type === 'ready') resolve(message.info);
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.ok) waiter?.resolve(message.result);
        else waiter?.reject(new Error(`${name}: ${message.error}`));
      }
    });
    void exit.then(() => reject(new Error(`${name} exited before it was ready:\n${stderr.trim()}`)));
  });
  const info = await within(ready, options.readyTimeoutMs ?? 120_000, `${name} to start`);

  const call = <T>(op: string, payload?: unknown, timeoutMs = 120_000): Promise<T> => {
    if (exited) return Promise.reject(new Error(`${name} is not running`));
    const id = nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, op, payload } satisfies Request);
    });
    return within(answer, timeoutMs, `${name} to answer ${op}`);
  };

  return {
    name,
    pid: child.pid ?? -1,
    info,
    call,
    cpu: () => call<NodeJS.CpuUsage>('cpu'),
    profileStart: () => call<void>('profile-start'),
    profileStop: (file) => call<void>('profile-stop', { file }),
    async stop() {
      if (exited) return;
      await call('stop', undefined, 30_000).catch(() => {});
      const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killed);
    },
  };
}

/**
 * The child's side: answers `cpu`, `profile-start`, `profile-stop`, `stop` and the given handlers, then
 * tells the parent it is ready. A child whose parent is gone exits.
 */
export function serveParent(info: Record<string, unknown>, handlers: Record<string, Handler> & { stop?: Handler } = {}): void {
  let session: Session | null = null;
  const builtIn: Record<string, Handler> = {
    cpu: () => process.cpuUsage(),
    'profile-start': async () => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      // 250 µs: fine enough for sub-millisecond request paths, cheap enough not to distort them much.
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
      await session.post('Profiler.start');
    },
    'profile-stop': async (payload) => {
      if (!session) throw new Error('the profiler is not running');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = null;
      await writeFile((payload as { file: string }).file, JSON.stringify(profile));
    },
  };
  process.on('message', (message: Request) => {
    void (async () => {
      const handler = message.op === 'stop' ? handlers.stop : (handlers[message.op] ?? builtIn[message.op]);
      let reply: Reply;
      try {
        const result = handler ? await handler(message.payload) : undefined;
        if (!handler && message.op !== 'stop') throw new Error(`unknown operation ${message.op}`);
        reply = { type: 'reply', id: message.id, ok: true, result: result ?? null };
      } catch (error) {
        reply = { type: 'reply', id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) };
      }
      process.send?.(reply, () => {
        if (message.op === 'stop') process.exit(0);
      });
    })();
  });
  process.once('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', info } satisfies Reply);
}

/** Serves `server` on a free port of 127.0.0.1 to the parent: its port, and a `stop` that closes it. */
export async function serveHttpToParent(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serveParent(
    { port: (server.address() as AddressInfo).port },
    {
      stop: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    },
  );
}
