import { describe, expect, it } from 'vitest';
import { parseRepositoryUrl, RepositoryUrlError } from '../../../src/modules/github/repo-url.ts';

describe('repository URLs', () => {
  it.each([
    ['https://github.com/acme/shop', 'acme', 'shop'],
    ['https://github.com/acme/shop.git', 'acme', 'shop'],
    ['https://github.com/acme/shop/', 'acme', 'shop'],
    ['https://GitHub.com/Acme-Inc/my.repo_1', 'Acme-Inc', 'my.repo_1'],
    ['acme/shop', 'acme', 'shop'],
    ['  acme/shop  ', 'acme', 'shop'],
  ])('accepts %s', (input, owner, name) => {
    expect(parseRepositoryUrl(input)).toEqual({ owner, name });
  });

  it.each([
    'http://github.com/acme/shop',
    'https://gitlab.com/acme/shop',
    'https://github.com.evil.example/acme/shop',
    'https://user:pass@github.com/acme/shop',
    'https://github.com/acme/shop/tree/main',
    'https://github.com/acme/shop?tab=readme',
    'https://github.com/acme',
    'acme/shop/extra',
    '-acme/shop',
    'ac--me/shop',
    'acme/..',
    'acme/sh op',
    '',
    'git@github.com:acme/shop.git',
  ])('refuses %s', (input) => {
    expect(() => parseRepositoryUrl(input)).toThrow(RepositoryUrlError);
  });
});
