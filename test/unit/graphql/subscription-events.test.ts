import { buildSchema, GraphQLError, parse, validateSubscriptionArgs, type ValidatedSubscriptionArgs } from 'graphql';
import { describe, expect, it } from 'vitest';
import { responseEvents } from '../../../src/graphql/subscription-events.ts';

const schema = buildSchema('type Query { ok: Boolean } type Subscription { tick: Int }');

function validated(abortSignal?: AbortSignal): ValidatedSubscriptionArgs {
  const args = validateSubscriptionArgs({ schema, document: parse('subscription Ticks { tick }'), abortSignal });
  if (!('schema' in args)) throw new Error('invalid');
  return args;
}

describe('responseEvents', () => {
  it('executes each event in order and ends with the source', async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const events = responseEvents(validated(), source(), (event) => (event === 2 ? Promise.resolve({ data: { tick: 2 } }) : { data: { tick: event as number } }));
    const seen: unknown[] = [];
    for await (const event of events) seen.push(event);
    expect(seen).toEqual([{ data: { tick: 1 } }, { data: { tick: 2 } }]);
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it("ends with a source's failure located at the operation, its original error kept", async () => {
    const failure = new Error('the feed broke');
    async function* source() {
      yield 1;
      throw failure;
    }
    const events = responseEvents(validated(), source(), (event) => ({ data: { tick: event as number } }));
    await events.next();
    const error = await events.next().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).message).toBe('the feed broke');
    expect((error as GraphQLError).locations).toEqual([{ line: 1, column: 1 }]);
    expect((error as GraphQLError).originalError).toBe(failure);
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it('closes the source at once when closed while a step is pending', async () => {
    let returned = 0;
    const source: AsyncIterableIterator<unknown> = {
      next: () => new Promise(() => {}),
      return: async () => {
        returned += 1;
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    const events = responseEvents(validated(), source, () => ({ data: {} }));
    void events.next();
    expect(await events.return(undefined)).toEqual({ done: true, value: undefined });
    expect(returned).toBe(1);
    // Closed once: closing again or throwing into it does not reach the source a second time.
    await events.return(undefined);
    await expect(events.throw(new Error('late'))).rejects.toThrow('late');
    expect(returned).toBe(1);
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it('executes the events of a stream given an abort signal, and aborting ends a pending step with the reason, located', async () => {
    async function* source() {
      yield 1;
      await new Promise(() => {});
    }
    const controller = new AbortController();
    const events = responseEvents(validated(controller.signal), source(), (event) => ({ data: { tick: event as number } }));
    expect(await events.next()).toEqual({ done: false, value: { data: { tick: 1 } } });
    const pending = events.next();
    controller.abort(new Error('the client went away'));
    const error = await pending.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).message).toBe('the client went away');
    expect((error as GraphQLError).locations).toEqual([{ line: 1, column: 1 }]);
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });
});
