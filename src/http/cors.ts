// Cross-origin access. Agora authenticates with the Authorization header, never with cookies, so no
// origin is ever granted credentials; and by default no other origin is granted anything.
import type { CORSOptions } from 'graphql-yoga';

/**
 * Yoga's CORS option for CORS_ORIGINS: unset (or empty), same-origin only: no other origin gets an
 * Access-Control-Allow-Origin, on a preflight or on the request itself. Set, the listed origins get theirs
 * and every other origin none (not yoga's "null", which a sandboxed page would match); `*` grants every
 * origin. Never Access-Control-Allow-Credentials.
 */
export function corsOptions(origins: readonly string[] | undefined): (request: Request) => CORSOptions {
  const allowed = new Set(origins ?? []);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !(allowed.has('*') || allowed.has(origin))) return false;
    return { origin, credentials: false };
  };
}
