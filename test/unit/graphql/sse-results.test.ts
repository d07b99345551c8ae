import { GraphQLError } from 'graphql';
import { getSSEProcessor } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { sseResultProcessor } from '../../../src/graphql/sse-results.ts';

type Processor = typeof sseResultProcessor;
const fetchAPI = { TextEncoder, ReadableStream, Response } as unknown as Parameters<Processor>[1];

async function* deltas() {
  yield { data: { llmStream: { delta: 'Hel' } } };
  yield { data: { llmStream: { delta: 'lo' } } };
  yield { data: null, errors: [new GraphQLError('Cut off.', { extensions: { code: 'PROVIDER_ERROR', http: { status: 502 } } })] };
}

/** The chunks of the body, one per enqueue (the web stream keeps them apart, as the socket writes do). */
async function chunksOf(processor: Processor): Promise<string[]> {
  const response = (await processor(deltas() as never, fetchAPI, 'text/event-stream')) as Response;
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(decoder.decode(next.value));
  return chunks;
}

describe('SSE results, one chunk per event', () => {
  it('writes each event whole, in the same bytes as yoga\u2019s processor, internal extensions left out', async () => {
    const ours = await chunksOf(sseResultProcessor);
    expect(ours).toEqual([
      ':\n\n',
      'event: next\ndata: {"data":{"llmStream":{"delta":"Hel"}}}\n\n',
      'event: next\ndata: {"data":{"llmStream":{"delta":"lo"}}}\n\n',
      'event: next\ndata: {"data":null,"errors":[{"message":"Cut off.","extensions":{"code":"PROVIDER_ERROR"}}]}\n\n',
      'event: complete\ndata:\n\n',
    ]);
    // Yoga's writes the same text, in two chunks per event.
    const yoga = await chunksOf(getSSEProcessor() as unknown as Processor);
    expect(yoga.join('')).toBe(ours.join(''));
    expect(yoga.length).toBe(1 + 2 * 4);
  });
});
