import { parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { compiledQueriesPlugin, compileWhenRepeated } from '../../../src/graphql/compiled-queries.ts';

describe('compiled queries', () => {
  it('compiles a query or mutation document from its second run on, never a subscription', () => {
    const compile = compileWhenRepeated();
    const query = parse('{ providers { id } }');
    expect([compile(query), compile(query), compile(query)]).toEqual([false, true, true]);
    // Another document of the same text (not the one yoga's parser cache hands out) is counted apart.
    expect(compile(parse('{ providers { id } }'))).toBe(false);
    const mutation = parse('mutation { callLlm(input: { prompt: "hi" }) { text } }');
    expect([compile(mutation), compile(mutation), compile(mutation)]).toEqual([false, true, true]);
    const subscription = parse('subscription { llmStream(input: { prompt: "hi" }) { delta } }');
    expect([compile(subscription), compile(subscription)]).toEqual([false, false]);
  });

  describe('through yoga', () => {
    // Which executor answered: graphql-jit hands resolvers an info without graphql-js 17's `getAbortSignal`.
    const executors: string[] = [];
    const ran = (info: object) => executors.push('getAbortSignal' in info ? 'graphql-js' : 'jit');
    const warnings: unknown[] = [];
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        input Ask { prompt: String!, maxTokens: Int }
        type Query { hello(name: String!): String! }
        type Mutation { ask(input: Ask!): String! }
      `,
      resolvers: {
        Query: { hello: (_root: unknown, args: { name: string }, _context: unknown, info: object) => (ran(info), `hello ${args.name}`) },
        Mutation: {
          ask: (_root: unknown, args: { input: { prompt: string } }, _context: unknown, info: object) => (ran(info), `asked ${args.input.prompt}`),
        },
      },
    });
    const yoga = createYoga({
      schema,
      plugins: [compiledQueriesPlugin({ warn: (...args: unknown[]) => void warnings.push(args) } as never)],
      logging: false,
    });
    // The same schema through yoga's own executor (no compilation): the reference.
    const interpreted = createYoga({ schema, logging: false });
    const post = async (query: string, variables?: Record<string, unknown>, server: typeof yoga = yoga) => {
      const response = await server.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
    };

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
