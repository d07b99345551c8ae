// A reference point for callLlm: the least a Node gateway built on the same SDK must do per call (read a
// request, call the provider with the `openai` SDK, answer JSON), with no GraphQL, auth, routing, keys or
// usage row. It shows how much of the gap to the provider itself is the extra hop and the SDK.
// A request whose JSON body has `"stream": true` gets a stream instead: the SDK's chunks, each written
// back as an OpenAI SSE frame (parsed and serialized again, as an SDK-based gateway does), then [DONE].
import OpenAI from 'openai';
import { asksForStream, serveProxy } from '../support/proxy-server.ts';

const openai = new OpenAI({ apiKey: 'sk-bench-proxy', baseURL: process.env.FAKE_OPENAI_URL, maxRetries: 0 });
const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

await serveProxy(async (body, response) => {
  if (asksForStream(body)) {
    const stream = await openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for await (const chunk of stream) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    response.end('data: [DONE]\n\n');
    return;
  }
  const completion = await openai.chat.completions.create(request);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ text: completion.choices[0]?.message.content ?? '', usage: completion.usage ?? null }));
});
