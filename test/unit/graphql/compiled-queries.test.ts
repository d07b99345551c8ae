import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileWhenRepeated } from '../../../src/graphql/compiled-queries.ts';

describe('compiled queries', () => {
  it('compiles a query document from its second run on, never a mutation or a subscription', () => {
    const compile = compileWhenRepeated();
    const query = parse('{ providers { id } }');
    expect([compile(query), compile(query), compile(query)]).toEqual([false, true, true]);
    // Another document of the same text (not the one yoga's parser cache hands out) is counted apart.
    expect(compile(parse('{ providers { id } }'))).toBe(false);
    const mutation = parse('mutation { callLlm(input: { prompt: "hi" }) { text } }');
    const subscription = parse('subscription { llmStream(input: { prompt: "hi" }) { delta } }');
    for (const document of [mutation, subscription]) expect([compile(document), compile(document)]).toEqual([false, false]);
  });
});
