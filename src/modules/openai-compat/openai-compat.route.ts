// `/v1/*`: the OpenAI-compatible endpoint (POST /v1/chat/completions, GET /v1/models[/{model}]), with an
// Agora access token as the bearer key. Thin: authentication, the body, and the service's answer as HTTP.
import type { AppDeps } from '../../graphql/context.ts';
import { buildContext } from '../../graphql/context.ts';
import { AppError } from '../../errors.ts';
import { OpenAiCompatService } from './openai-compat.service.ts';
import { errorResponse, openAiErrorOf, refused } from './openai-errors.ts';

const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

export async function openAiCompatResponse(deps: AppDeps, request: Request, url: URL): Promise<Response> {
  const errorOf = (error: unknown) => openAiErrorOf(error, deps.logger);
  try {
    const context = await buildContext(deps, request.headers.get('authorization'));
    if (!context.viewer) {
      const message = context.authProblem ?? "You didn't provide an API key: send your Agora access token as 'Authorization: Bearer <token>'.";
      throw new AppError('UNAUTHENTICATED', message);
    }
    const viewer = context.viewer;
    const service = new OpenAiCompatService(context.services.calls);
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/v1/chat/completions') {
      requireMethod(request, 'POST');
      const chat = await service.prepare(viewer, await readJson(request, deps.config.limits.requestBytes), {
        project: request.headers.get('x-agora-project'),
        idempotencyKey: request.headers.get('idempotency-key'),
        cache: request.headers.get('x-agora-cache'),
      });
      // The call pipeline links its own signal to this one (see CallsService.generate).
      const signal = request.signal;
      if (!chat.stream) {
        const completion = await service.complete(viewer, chat, signal);
        return Response.json(completion, { headers: { 'x-request-id': completion.id } });
      }
      const stream = await service.openStream(viewer, chat, signal, errorOf);
      return new Response(stream.body, { headers: { ...STREAM_HEADERS, 'x-request-id': stream.id } });
    }
    if (path === '/v1/models') {
      requireMethod(request, 'GET');
      return Response.json({ object: 'list', data: await service.models(viewer) });
    }
    if (path.startsWith('/v1/models/')) {
      requireMethod(request, 'GET');
      return Response.json(await service.model(viewer, decodeURIComponent(path.slice('/v1/models/'.length))));
    }
    throw refused(null, `Unknown request URL: ${request.method} ${url.pathname}. Agora serves POST /v1/chat/completions and GET /v1/models.`, 'unknown_url', 'NOT_FOUND');
  } catch (error) {
    return errorResponse(errorOf(error));
  }
}

function requireMethod(request: Request, method: 'GET' | 'POST'): void {
  if (request.method !== method) throw refused(null, `Use ${method} for ${new URL(request.url).pathname}.`, 'method_not_allowed');
}

/** The JSON body, read up to `maxBytes` even without a Content-Length (chunked uploads). */
async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw refused(null, `The request body is larger than ${maxBytes} bytes.`, 'request_too_large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw refused(null, 'We could not parse the JSON body of your request: send a JSON object (Content-Type: application/json).', 'invalid_json');
  }
}
