// Our configuration names the full GraphQL URL (GITHUB_GRAPHQL_URL), while @octokit/graphql takes the API
// root as `baseUrl` and POSTs to `${baseUrl}/graphql` (see @octokit/endpoint's parse: a relative `url` is
// appended to `baseUrl`, an absolute one is used as is). Public GitHub: https://api.github.com/graphql ->
// https://api.github.com; GitHub Enterprise: https://HOST/api/graphql -> https://HOST/api.

export interface OctokitEndpoint {
  baseUrl: string;
  url: string;
}

const GRAPHQL_SUFFIX = '/graphql';
// Octokit rewrites a baseUrl ending in /api/v3 to the Enterprise GraphQL path, whatever `url` says.
const ENTERPRISE_REST_ROOT = /\/api\/v3$/;

export function toOctokitEndpoint(endpoint: string): OctokitEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    throw new TypeError('The GitHub GraphQL endpoint is not a valid URL.');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('The GitHub GraphQL endpoint must be an http(s) URL.');
  if (parsed.username || parsed.password) {
    throw new TypeError('The GitHub GraphQL endpoint must not hold credentials: the token travels in the Authorization header.');
  }
  if (parsed.search || parsed.hash) throw new TypeError('The GitHub GraphQL endpoint must not have a query string or fragment.');
  const path = parsed.pathname.replace(/\/+$/, '');
  const full = `${parsed.origin}${path}`;
  if (path.endsWith(GRAPHQL_SUFFIX)) {
    const baseUrl = full.slice(0, -GRAPHQL_SUFFIX.length);
    if (!ENTERPRISE_REST_ROOT.test(baseUrl)) return { baseUrl, url: GRAPHQL_SUFFIX };
  }
  return { baseUrl: parsed.origin, url: full };
}
