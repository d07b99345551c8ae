import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { GraphQLError, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { sharedEventsPlugin } from '../../src/graphql/shared-events.ts';

// A tiny schema: `tick` is shared, `tock` is not; `seen` counts how often an event's field is executed.
function setup() {
  const pubsub = createPubSub<{ tick: [{ n: number }] }>();
  let seen = 0;
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Query { ok: Boolean }
      type Tick { n: Int!, double: Int!, label(prefix: String!): String! }
      type Subscription { tick: Tick!, tock: Tick! }
    `,
    resolvers: {
      Tick: {
        n: (event: { n: number }) => {
          seen += 1;
          return event.n;
        },
        double: (event: { n: number }) => event.n * 2,
        label: (event: { n: number }, args: { prefix: string }) => `${args.prefix}${event.n}`,
      },
      Subscription: {
        tick: { subscribe: () => pubsub.subscribe('tick'), resolve: (event: unknown) => event },
        tock: { subscribe: () => pubsub.subscribe('tick'), resolve: (event: unknown) => event },
      },
    },
  });
  const yoga = createYoga({ schema, plugins: [sharedEventsPlugin(['tick'])] });
  const follow = async (query: string, variables?: Record<string, unknown>) => {
    const { subscribe, contextFactory } = yoga.getEnveloped({});
    const result = await subscribe({ schema: yoga.getEnveloped({}).schema, document: parse(query), variableValues: variables, contextValue: await contextFactory() });
    if (!(Symbol.asyncIterator in (result as object))) throw new Error(JSON.stringify(result));
    return (result as AsyncIterableIterator<{ data?: unknown; errors?: unknown }>)[Symbol.asyncIterator]();
  };
  return { pubsub, follow, seen: () => seen };
}

describe('sharedEventsPlugin', () => {
  it('executes an event once for every follower asking the same way, and apart for other selections', async () => {
    const { pubsub, follow, seen } = setup();
    const same = 'subscription { tick { n double } }';
    const followers = await Promise.all([follow(same), follow(same), follow(same)]);
    const other = await follow('subscription { tick { n } }');
    const labelled = await Promise.all([follow('subscription($p: String!) { tick { n label(prefix: $p) } }', { p: 'a' }), follow('subscription($p: String!) { tick { n label(prefix: $p) } }', { p: 'b' })]);
    const nexts = [...followers, other, ...labelled].map((iterator) => iterator.next());
    await new Promise((resolve) => setTimeout(resolve, 10));
    pubsub.publish('tick', { n: 21 });
    const results = await Promise.all(nexts);
    expect(results.slice(0, 3).map((result) => result.value)).toEqual(Array(3).fill({ data: { tick: { n: 21, double: 42 } } }));
    expect(results[3]!.value).toEqual({ data: { tick: { n: 21 } } });
    expect(results[4]!.value).toEqual({ data: { tick: { n: 21, label: 'a21' } } });
    expect(results[5]!.value).toEqual({ data: { tick: { n: 21, label: 'b21' } } });
    // One execution for the three alike, one for the other selection, one per distinct variables.
    expect(seen()).toBe(4);
    await Promise.all([...followers, other, ...labelled].map((iterator) => iterator.return?.()));
  });

  it('leaves fields it was not given to the normal path, once per follower', async () => {
    const { pubsub, follow, seen } = setup();
    const followers = await Promise.all([follow('subscription { tock { n } }'), follow('subscription { tock { n } }')]);
    const nexts = followers.map((iterator) => iterator.next());
    await new Promise((resolve) => setTimeout(resolve, 10));
    pubsub.publish('tick', { n: 1 });
    expect((await Promise.all(nexts)).map((result) => result.value)).toEqual([{ data: { tock: { n: 1 } } }, { data: { tock: { n: 1 } } }]);
    expect(seen()).toBe(2);
    await Promise.all(followers.map((iterator) => iterator.return?.()));
  });

  it("ends a stream whose source fails with the error yoga's own executor gives, located at the operation", async () => {
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        type Query { ok: Boolean }
        type Tick { n: Int! }
        type Subscription { tick: Tick! }
      `,
      resolvers: {
        Subscription: {
          tick: {
            subscribe: async function* () {
              yield { n: 1 };
              throw new GraphQLError('the run went away', { extensions: { code: 'NOT_FOUND' } });
            },
            resolve: (event: unknown) => event,
          },
        },
      },
    });
    const sse = async (yoga: ReturnType<typeof createYoga>) => {
      const response = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'query Ok { ok }\nsubscription Ticks { tick { n } }', operationName: 'Ticks' }),
      });
      return (await response.text()).split('\n\n').filter((block) => block.includes('event: next'));
    };
    const shared = await sse(createYoga({ schema, logging: false, plugins: [sharedEventsPlugin(['tick'])] }));
    const plain = await sse(createYoga({ schema, logging: false }));
    expect(plain).toHaveLength(2);
    expect(plain[1]).toContain('"locations":[{"line":2,"column":1}]');
    expect(plain[1]).toContain('"code":"NOT_FOUND"');
    expect(shared).toEqual(plain);
  });
});
