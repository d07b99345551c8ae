import { GraphQLError, parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { compiledQueriesPlugin, compileWhenRepeated } from '../../../src/graphql/compiled-queries.ts';

describe('compiled queries', () => {
  it('compiles a document from its second run on', () => {
    const compile = compileWhenRepeated();
    const query = parse('{ providers { id } }');
    expect([compile(query), compile(query), compile(query)]).toEqual([false, true, true]);
    // Another document of the same text (not the one yoga's parser cache hands out) is counted apart.
    expect(compile(parse('{ providers { id } }'))).toBe(false);
    const mutation = parse('mutation { callLlm(input: { prompt: "hi" }) { text } }');
    expect([compile(mutation), compile(mutation), compile(mutation)]).toEqual([false, true, true]);
    const subscription = parse('subscription { llmStream(input: { prompt: "hi" }) { delta } }');
    expect([compile(subscription), compile(subscription)]).toEqual([false, true]);
  });

  describe('through yoga', () => {
    // Which executor answered: graphql-jit hands resolvers an info without graphql-js 17's `getAbortSignal`.
    const executors: string[] = [];
    const ran = (info: object) => executors.push('getAbortSignal' in info ? 'graphql-js' : 'jit');
    const warnings: unknown[] = [];
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        input Ask { prompt: String!, maxTokens: Int }
        type Query { hello(name: String!): String!, refused: String }
        type Mutation { ask(input: Ask!): String! }
        type Tick { n: Int!, label: String! }
        type Subscription { ticks(to: Int!, prefix: String): Tick!, shared(to: Int!): Tick! }
      `,
      resolvers: {
        Tick: {
          label: (tick: { n: number; prefix: string }, _args: unknown, _context: unknown, info: object) => {
            ran(info);
            if (tick.n === 3) throw new GraphQLError('no label for 3');
            return `${tick.prefix}${tick.n}`;
          },
        },
        Subscription: {
          ticks: {
            subscribe: async function* (_root: unknown, args: { to: number; prefix?: string }) {
              if (args.to < 0) throw new GraphQLError('to must not be negative', { extensions: { code: 'BAD_USER_INPUT' } });
              for (let n = 1; n <= args.to; n += 1) {
                if (n > 5) throw new GraphQLError('past five', { extensions: { code: 'RATE_LIMITED', retryAfter: 1 } });
                yield { n, prefix: args.prefix ?? '#' };
              }
            },
            resolve: (tick: unknown) => tick,
          },
          shared: {
            subscribe: async function* (_root: unknown, args: { to: number }) {
              for (let n = 1; n <= args.to; n += 1) yield { n, prefix: 's' };
            },
            resolve: (tick: unknown) => tick,
          },
        },
        Query: {
          hello: (_root: unknown, args: { name: string }, _context: unknown, info: object) => (ran(info), `hello ${args.name}`),
          refused: (_root: unknown, _args: unknown, _context: unknown, info: object) => {
            ran(info);
            throw new GraphQLError('refused', { extensions: { code: 'FORBIDDEN' } });
          },
        },
        Mutation: {
          ask: (_root: unknown, args: { input: { prompt: string } }, _context: unknown, info: object) => (ran(info), `asked ${args.input.prompt}`),
        },
      },
    });
    const yoga = createYoga({
      schema,
      plugins: [compiledQueriesPlugin({ warn: (...args: unknown[]) => void warnings.push(args) } as never, { interpretedSubscriptions: ['shared'] })],
      logging: false,
    });
    // The same schema through yoga's own executor (no compilation): the reference.
    const interpreted = createYoga({ schema, logging: false });
    const post = async (query: string, variables?: Record<string, unknown>, server: typeof yoga = yoga) => {
      const response = await server.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
    };

    /** A subscription over SSE, to its end: its events' payloads in order. */
    const subscribe = async (query: string, variables?: Record<string, unknown>, server: typeof yoga = yoga) => {
      const response = await server.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      return text
        .split('\n\n')
        .filter((block) => block.includes('event: next'))
        .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { data?: unknown; errors?: { message: string; path?: unknown }[] });
    };

    it("runs each event of a repeated subscription compiled, with the interpreter's answers, errors included", async () => {
      const subscription = 'subscription Ticks($to: Int!) { ticks(to: $to, prefix: "t") { n label } }';
      const expected = await subscribe(subscription, { to: 4 }, interpreted);
      expect(expected).toHaveLength(4);
      expect(expected[2]?.errors?.[0]).toMatchObject({ message: 'no label for 3', path: ['ticks', 'label'] });
      for (let run = 0; run < 3; run += 1) {
        executors.length = 0;
        expect(await subscribe(subscription, { to: 4 }), `run ${run}`).toEqual(expected);
        expect(executors, `run ${run}`).toEqual(Array(4).fill(run === 0 ? 'graphql-js' : 'jit'));
      }
      // The subscribe resolver's own failure, and variables that do not coerce, answer as interpreted.
      for (const [variables, events] of [[{ to: -1 }, 1], [{ to: 'many' }, 1], [{ to: 7 }, 6]] as const) {
        const reference = await subscribe(subscription, variables, interpreted);
        expect(reference.map((event) => event.errors?.length ?? 0).filter(Boolean), JSON.stringify(variables)).toHaveLength(events === 6 ? 2 : 1);
        expect(reference, JSON.stringify(variables)).toHaveLength(events);
        for (let run = 0; run < 2; run += 1) expect(await subscribe(subscription, variables), JSON.stringify(variables)).toEqual(reference);
      }
      expect(warnings).toEqual([]);
    });

    it('leaves the subscriptions another plugin executes to the interpreter', async () => {
      for (let run = 0; run < 3; run += 1) {
        executors.length = 0;
        expect((await subscribe('subscription { shared(to: 2) { label } }')).map((event) => event.data)).toEqual([{ shared: { label: 's1' } }, { shared: { label: 's2' } }]);
        expect(executors).toEqual(['graphql-js', 'graphql-js']);
      }
    });

    it("answers a resolver's error compiled as interpreted, its locations included", async () => {
      const query = '{\n  hello(name: "a")\n  refused\n}';
      const expected = await post(query, undefined, interpreted);
      expect(expected.errors?.[0]).toMatchObject({ message: 'refused', locations: [{ line: 3, column: 3 }], path: ['refused'], extensions: { code: 'FORBIDDEN' } });
      executors.length = 0;
      for (let run = 0; run < 3; run += 1) expect(await post(query), `run ${run}`).toEqual(expected);
      expect(executors).toEqual(['graphql-js', 'graphql-js', 'jit', 'jit', 'jit', 'jit']);
    });

    it('runs a repeated mutation compiled, with the same answer as interpreted', async () => {
      executors.length = 0;
      const mutation = 'mutation Ask($input: Ask!) { ask(input: $input) }';
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push(await post(mutation, { input: { prompt: `p${i}` } }));
      expect(answers).toEqual([0, 1, 2].map((i) => ({ data: { ask: `asked p${i}` } })));
      expect(executors).toEqual(['graphql-js', 'jit', 'jit']);
      expect(warnings).toEqual([]);
    });

    it("answers variables that do not coerce with the interpreter's own errors, compiled or not, and runs nothing", async () => {
      const query = 'query Hello($name: String!) { hello(name: $name) }';
      const mutation = 'mutation Ask($input: Ask!) { ask(input: $input) }';
      // What yoga's executor answers uncompiled (the wording inputErrorsPlugin rewrites; graphql-jit's differs).
      const expected = [await post(mutation, { input: { maxTokens: 'lots' } }, interpreted), await post(query, { name: null }, interpreted)];
      expect(expected.map((answer) => (answer.errors?.length ?? 0) > 0)).toEqual([true, true]);
      for (let run = 0; run < 3; run += 1) {
        executors.length = 0;
        const answers = [await post(mutation, { input: { maxTokens: 'lots' } }), await post(query, { name: null })];
        expect(answers.map((answer) => ({ errors: answer.errors?.map(({ message }) => ({ message })) })), `run ${run}`).toEqual(
          expected.map((answer) => ({ errors: answer.errors?.map(({ message }) => ({ message })) })),
        );
        expect(answers.map((answer) => 'data' in answer)).toEqual([false, false]);
        expect(executors, `run ${run}`).toEqual([]);
      }
    });
  });
});
