// `/v1/*`: the OpenAI-compatible endpoint (POST /v1/chat/completions, GET /v1/models[/{model}]), with an
// Agora access token as the bearer key. Thin: authentication, the body, and the service's answer as HTTP.
import type { AppDeps } from '../../graphql/context.ts';
import { buildContext } from '../../graphql/context.ts';
import { AppError, unavailableOr } from '../../errors.ts';
import { inputProblem } from '../../http/input-guard.ts';
import type { Logger } from '../../logger.ts';
import { OpenAiCompatService } from './openai-compat.service.ts';
import { errorResponse, openAiErrorOf, refused } from './openai-errors.ts';

const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

export async function openAiCompatResponse(deps: AppDeps, request: Request, url: URL): Promise<Response> {
  // A database outage is a 503 in OpenAI's shape (service_unavailable), not a masked 500.
  const errorOf = (error: unknown) => openAiErrorOf(unavailableOr(error), deps.logger);
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
      const chat = await service.prepare(viewer, await readJson(request), {
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

/**
 * The 413 for a body past MAX_REQUEST_BYTES, in OpenAI's shape. The bytes are counted as they are read,
 * for every route and before any route runs (http/body-limit.ts), so a route only receives bodies within it.
 */
export function bodyTooLargeResponse(message: string, logger: Logger): Response {
  return errorResponse(openAiErrorOf(refused(null, message, 'request_too_large'), logger));
}

/** The JSON body; input no one may send (NUL characters, lone surrogates, absurd nesting) is a 400 naming where. */
async function readJson(request: Request): Promise<unknown> {
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    throw refused(null, 'We could not parse the JSON body of your request: send a JSON object (Content-Type: application/json).', 'invalid_json');
  }
  const problem = inputProblem(body);
  if (problem) throw refused(null, problem);
  return body;
}
