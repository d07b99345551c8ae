import { setTimeout as sleep } from 'node:timers/promises';
import { builder } from './builder.ts';

// A minimal subscription that proves both transports (SSE and WebSocket) end to end.
const PingRef = builder.objectRef<{ seq: number; at: Date }>('Ping').implement({
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

builder.subscriptionField('ping', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: PingRef,
    description: 'Emits `count` pings `intervalMs` apart, then completes. For checking a subscription transport.',
    args: {
      count: t.arg.int({ defaultValue: 3 }),
      intervalMs: t.arg.int({ defaultValue: 100 }),
    },
    subscribe: async function* (_root, { count, intervalMs }, _context) {
      const total = Math.min(Math.max(count ?? 3, 1), 100);
      const delay = Math.min(Math.max(intervalMs ?? 100, 0), 10_000);
      for (let seq = 1; seq <= total; seq += 1) {
        if (seq > 1) await sleep(delay);
        yield { seq, at: new Date() };
      }
    },
    resolve: (ping) => ping,
  }),
);
