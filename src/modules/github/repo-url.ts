// Repository references are parsed strictly, by hand rather than with `new URL()`: the WHATWG parser
// silently drops tabs and newlines, turns backslashes into slashes and decodes nothing, so it would accept
// inputs that are not what the user typed. Error messages never echo the input: it may hold credentials.

export class RepositoryUrlError extends Error {
  override name = 'RepositoryUrlError';
}

const USAGE = 'Give a repository as https://github.com/owner/repo or owner/repo.';
const MAX_INPUT_LENGTH = 300;

// GitHub's rules: an owner is 1-39 alphanumerics or single inner hyphens; a repository is 1-100 of
// [A-Za-z0-9._-], never "." or "..".
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;
const GITHUB_HTTPS = /^https:\/\/github\.com\//i;

function refuse(reason: string): never {
  throw new RepositoryUrlError(`${reason} ${USAGE}`);
}

function pathOf(text: string): string {
  if (GITHUB_HTTPS.test(text)) {
    const path = text.replace(GITHUB_HTTPS, '');
    if (/[?#]/.test(path)) refuse('Repository URLs with a query string or fragment are not accepted.');
    return path.replace(/\/$/, '');
  }
  if (text.includes('@')) refuse('URLs with credentials or SSH addresses are not accepted.');
  if (/^http:\/\//i.test(text)) refuse('Only https:// URLs are accepted.');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) || text.startsWith('//')) refuse('Only repositories on https://github.com are accepted.');
  return text;
}

export function parseRepositoryUrl(input: string): { owner: string; name: string } {
  const text = input.trim();
  if (text === '') refuse('A repository is required.');
  if (text.length > MAX_INPUT_LENGTH) refuse('The repository reference is too long.');
  if (/\s/.test(text)) refuse('A repository reference cannot contain spaces.');
  const segments = pathOf(text).split('/');
  if (segments.length !== 2) refuse('A repository reference has exactly two parts, the owner and the repository.');
  const [owner = '', rawName = ''] = segments;
  const name = rawName.replace(/\.git$/, '');
  if (!OWNER.test(owner)) {
    refuse('The owner must be 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen.');
  }
  if (!NAME.test(name) || name === '.' || name === '..') {
    refuse('The repository name must be 1 to 100 letters, digits, ".", "_" or "-", and not "." or "..".');
  }
  return { owner, name };
}
