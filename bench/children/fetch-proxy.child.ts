// The floor under the SDK proxy: node:http and the built-in fetch() only. A call sends the one-message
// chat request, parses the provider's JSON and answers { text, usage }, as the SDK proxy does; a request
// whose JSON body has `"stream": true` gets the provider's SSE bytes piped through as they arrive.
import { asksForStream, serveProxy } from '../support/proxy-server.ts';

const upstream = `${process.env.FAKE_OPENAI_URL}/chat/completions`;
const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-proxy' };
const messages = [{ role: 'user', content: 'hi' }];
const CALL = JSON.stringify({ model: 'gpt-4o-mini', messages });
const STREAM = JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });

interface Completion {
  choices?: { message?: { content?: string | null } }[];
  usage?: unknown;
}

await serveProxy(async (body, response) => {
  const stream = asksForStream(body);
  // A client that leaves mid-stream ends the upstream request too.
  const leave = stream ? new AbortController() : null;
  if (leave) response.once('close', () => response.writableFinished || leave.abort());
  const answer = await fetch(upstream, { method: 'POST', headers, body: stream ? STREAM : CALL, signal: leave?.signal ?? null });
  if (!answer.ok || !answer.body) throw new Error(`the provider answered ${answer.status}`);
  if (stream) {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for await (const chunk of answer.body) response.write(chunk);
    response.end();
    return;
  }
  const completion = (await answer.json()) as Completion;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ text: completion.choices?.[0]?.message?.content ?? '', usage: completion.usage ?? null }));
});
