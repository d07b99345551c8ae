import { describe, expect, it } from 'vitest';
import { pathOf } from '../../../src/graphql/plugins.ts';

describe("the request log's path", () => {
  it('is the URL path without its query or fragment, as URL would give it', () => {
    const urls = [
      'http://127.0.0.1:4000/graphql',
      'http://127.0.0.1:4000/graphql?query=%7Bme%7D',
      'https://agora.example.com/v1/chat/completions#x',
      'http://localhost/healthz?',
      'http://localhost',
      'http://localhost?x=/y',
      'http://user@host:1/a/b/c?d=/e#/f',
    ];
    for (const url of urls) expect(pathOf(url), url).toBe(new URL(url).pathname);
  });
});
