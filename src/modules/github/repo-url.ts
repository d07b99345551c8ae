// Repository references are parsed strictly: `https://github.com/owner/repo` (optionally `.git` or a trailing
// slash) or `owner/repo`. Anything else (other hosts, http, credentials, extra segments) is refused.

export class RepositoryUrlError extends Error {
  override name = 'RepositoryUrlError';
}

const OWNER = /^(?!-)(?!.*--)[A-Za-z0-9-]{1,39}(?<!-)$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function parseRepositoryUrl(input: string): { owner: string; name: string } {
  const text = input.trim();
  const usage = 'Give a repository as https://github.com/owner/repo or owner/repo.';
  let path: string;
  if (/^[^/\s:@]+\/[^/\s:@]+$/.test(text)) {
    path = text;
  } else {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new RepositoryUrlError(`"${text.slice(0, 200)}" is not a repository reference. ${usage}`);
    }
    if (url.protocol !== 'https:' || url.hostname.toLowerCase() !== 'github.com' || url.port || url.username || url.password || url.search || url.hash) {
      throw new RepositoryUrlError(`Only https://github.com repository URLs are accepted. ${usage}`);
    }
    path = url.pathname.replace(/^\//, '').replace(/\/$/, '');
  }
  const [owner, rawName, ...rest] = path.split('/');
  const name = rawName?.replace(/\.git$/, '');
  if (!owner || !name || rest.length > 0 || !OWNER.test(owner) || !NAME.test(name) || name === '.' || name === '..') {
    throw new RepositoryUrlError(`"${text.slice(0, 200)}" is not a valid owner/repository. ${usage}`);
  }
  return { owner, name };
}
