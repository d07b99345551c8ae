// A reference point for callLlm: the least a Node gateway built on the same SDK must do per call (read a
// request, call the provider with the `openai` SDK, answer JSON), with no GraphQL, auth, routing, keys or
// usage row. It shows how much of the gap to the provider itself is the extra hop and the SDK.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { serveHttpToParent } from '../support/child-process.ts';

const openai = new OpenAI({ apiKey: 'sk-bench-proxy', baseURL: process.env.FAKE_OPENAI_URL, maxRetries: 0 });

const server = createServer((request, response) => {
  void (async () => {
    for await (const _chunk of request);
    try {
      const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ text: completion.choices[0]?.message.content ?? '', usage: completion.usage ?? null }));
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    }
  })();
});
await serveHttpToParent(server);
