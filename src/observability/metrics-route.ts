// GET /metrics: the process's registry in Prometheus's text format. With METRICS_TOKEN set, only a request
// bearing it is served (compared in constant time); the token is never echoed, logged or counted.
import { createHash, timingSafeEqual } from 'node:crypto';
import { registry } from './metrics.ts';

export const METRICS_PATH = '/metrics';

/** Equal-length digests, so the comparison takes the same time whatever the presented value. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function bearerOf(authorization: string | null): string | null {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match ? match[1]! : null;
}

export async function metricsResponse(request: Request, token: string | undefined): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return Response.json({ error: { code: 'BAD_USER_INPUT', message: 'Use GET.' } }, { status: 405, headers: { allow: 'GET, HEAD' } });
  }
  if (token !== undefined) {
    const presented = bearerOf(request.headers.get('authorization'));
    if (presented === null || !sameSecret(presented, token)) {
      return Response.json(
        { error: { code: 'UNAUTHENTICATED', message: 'Send the header "Authorization: Bearer <METRICS_TOKEN>".' } },
        { status: 401, headers: { 'www-authenticate': 'Bearer' } },
      );
    }
  }
  const body = await registry.metrics();
  return new Response(request.method === 'HEAD' ? null : body, {
    status: 200,
    headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
  });
}
