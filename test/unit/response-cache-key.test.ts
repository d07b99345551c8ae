import { describe, expect, it } from 'vitest';
import { type CacheableCall, type CacheScope, canonicalJson, responseCacheKey } from '../../src/modules/cache/response-cache.ts';

const alice: CacheScope = { userId: '00000000-0000-4000-8000-00000000000a', projectId: null };
const bob: CacheScope = { userId: '00000000-0000-4000-8000-00000000000b', projectId: null };
const project = '00000000-0000-4000-8000-0000000000aa';

const base: CacheableCall = {
  provider: 'OPENAI',
  configurationId: '00000000-0000-4000-8000-000000000c01',
  model: 'gpt-4o-mini',
  request: {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ],
    maxTokens: 200,
    temperature: 0.2,
    tools: [
      {
        name: 'weather',
        description: 'Current weather',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
      },
    ],
    toolChoice: { type: 'auto' },
    responseFormat: { type: 'text' },
  },
};

const withRequest = (change: Partial<CacheableCall['request']>): CacheableCall => ({ ...base, request: { ...base.request, ...change } });

describe('responseCacheKey', () => {
  it('is a sha256 hex digest, the same for the same call', () => {
    const key = responseCacheKey(alice, base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(responseCacheKey(alice, structuredClone(base))).toBe(key);
  });

  it('does not depend on the order of object keys, down to tool parameter schemas', () => {
    const reordered: CacheableCall = {
      request: {
        responseFormat: { type: 'text' },
        toolChoice: { type: 'auto' },
        tools: [
          {
            parameters: { required: ['city'], properties: { unit: { enum: ['c', 'f'], type: 'string' }, city: { type: 'string' } }, type: 'object' },
            description: 'Current weather',
            name: 'weather',
          },
        ],
        temperature: 0.2,
        maxTokens: 200,
        messages: [
          { content: 'Be brief.', role: 'system' },
          { content: 'What is the weather in Paris?', role: 'user' },
        ],
        model: 'gpt-4o-mini',
      },
      model: 'gpt-4o-mini',
      configurationId: '00000000-0000-4000-8000-000000000c01',
      provider: 'OPENAI',
    };
    expect(responseCacheKey(alice, reordered)).toBe(responseCacheKey(alice, base));
  });

  it('treats an undefined field as absent', () => {
    const { temperature: _dropped, ...request } = base.request;
    expect(responseCacheKey(alice, { ...base, request: { ...request, temperature: undefined } })).toBe(responseCacheKey(alice, { ...base, request }));
  });

  const messages = base.request.messages;
  const tool = base.request.tools![0]!;
  const variations: [string, CacheableCall][] = [
    ['provider', { ...base, provider: 'GROK' }],
    ['configuration', { ...base, configurationId: '00000000-0000-4000-8000-000000000c02' }],
    ['no configuration', { ...base, configurationId: null }],
    ['model', { ...base, model: 'gpt-4o' }],
    ['request model', withRequest({ model: 'gpt-4o' })],
    ['a message text', withRequest({ messages: [messages[0]!, { role: 'user', content: 'What is the weather in Rome?' }] })],
    ['a message role', withRequest({ messages: [{ role: 'user', content: 'Be brief.' }, messages[1]!] })],
    ['the system message dropped', withRequest({ messages: [messages[1]!] })],
    ['messages reordered', withRequest({ messages: [messages[1]!, messages[0]!] })],
    ['an extra assistant turn', withRequest({ messages: [...messages, { role: 'assistant', content: 'Sunny.' }, { role: 'user', content: 'And tomorrow?' }] })],
    ['a tool name', withRequest({ tools: [{ ...tool, name: 'forecast' }] })],
    ['a tool description', withRequest({ tools: [{ ...tool, description: 'Weather now' }] })],
    ['a tool parameter', withRequest({ tools: [{ ...tool, parameters: { ...tool.parameters, required: ['city', 'unit'] } }] })],
    ['an extra tool', withRequest({ tools: [tool, { name: 'time', parameters: { type: 'object' } }] })],
    ['no tools', withRequest({ tools: undefined })],
    ['toolChoice none', withRequest({ toolChoice: { type: 'none' } })],
    ['toolChoice required', withRequest({ toolChoice: { type: 'required' } })],
    ['toolChoice a named tool', withRequest({ toolChoice: { type: 'tool', name: 'weather' } })],
    ['responseFormat json_object', withRequest({ responseFormat: { type: 'json_object' } })],
    ['responseFormat json_schema', withRequest({ responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } })],
    ['responseFormat schema name', withRequest({ responseFormat: { type: 'json_schema', name: 'other', schema: { type: 'object' } } })],
    ['maxTokens', withRequest({ maxTokens: 201 })],
    ['no maxTokens', withRequest({ maxTokens: undefined })],
    ['temperature', withRequest({ temperature: 0.3 })],
    ['temperature 0', withRequest({ temperature: 0 })],
  ];

  it.each(variations)('changes when the %s differs', (_name, variation) => {
    expect(responseCacheKey(alice, variation)).not.toBe(responseCacheKey(alice, base));
  });

  it('gives every variation its own key', () => {
    const keys = new Set([base, ...variations.map(([, call]) => call)].map((call) => responseCacheKey(alice, call)));
    expect(keys.size).toBe(variations.length + 1);
  });

  it('never gives two users the same key for the same call', () => {
    expect(responseCacheKey(alice, base)).not.toBe(responseCacheKey(bob, base));
  });

  it('gives the members of one project the same key, distinct from any personal or other project key', () => {
    const inProject = responseCacheKey({ userId: alice.userId, projectId: project }, base);
    expect(responseCacheKey({ userId: bob.userId, projectId: project }, base)).toBe(inProject);
    expect(inProject).not.toBe(responseCacheKey(alice, base));
    expect(responseCacheKey({ userId: alice.userId, projectId: '00000000-0000-4000-8000-0000000000bb' }, base)).not.toBe(inProject);
    // A user id that happens to equal a project id is still not that project's scope.
    expect(responseCacheKey({ userId: project, projectId: null }, base)).not.toBe(inProject);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and null, and drops undefined', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: undefined, c: 'x' })).toBe('{"b":[3,{"a":null,"z":1}],"c":"x"}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });
});
