import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import rawCatalogue from '../../../src/llm/models.json' with { type: 'json' };
import { computeCost, findModel, modelsFor, unpricedCatalogueModels } from '../../../src/llm/catalogue.ts';
import { decimalOfNumber, formatPer1k, ratePer1k, ratePerMillion } from '../../../src/llm/prices/cost.ts';
import { findCatalogueModel, listingName } from '../../../src/llm/prices/genai-prices.ts';
import type { ProviderKind } from '../../../src/llm/types.ts';

// The catalogue's data and rules, as our adapter reads them, checked against the package's own calcPrice.
const PRICED = (Object.entries(rawCatalogue.providers) as [ProviderKind, { catalogueProvider: string | null; exclude?: string }][]).flatMap(([kind, settings]) =>
  settings.catalogueProvider ? [{ kind, providerId: settings.catalogueProvider, exclude: settings.exclude ? new RegExp(settings.exclude) : null }] : [],
);

describe('decimal prices from the catalogue\u2019s numbers', () => {
  it('reads each JSON number as the decimal it prints, never through arithmetic', () => {
    expect(decimalOfNumber(0.15)).toBe('0.15');
    expect(decimalOfNumber(0.01875)).toBe('0.01875');
    expect(decimalOfNumber(1.5e-7)).toBe('0.00000015');
    expect(decimalOfNumber(2e21)).toBe('2000000000000000000000');
    expect(decimalOfNumber(15)).toBe('15');
    expect(decimalOfNumber(0)).toBe('0');
    expect(() => decimalOfNumber(-1)).toThrow();
    expect(() => decimalOfNumber(Number.NaN)).toThrow();
    // 0.075 per 1M tokens is 0.000075 per 1k, exactly.
    expect(formatPer1k(ratePerMillion(0.075))).toBe('0.000075');
    expect(formatPer1k(ratePer1k('0.0000375'))).toBe('0.0000375');
    expect(formatPer1k(ratePer1k('0'))).toBe('0.000000');
  });
});

describe('the catalogue adapter', () => {
  it('serves the providers models.json names: OpenAI, Anthropic, Google, GitHub Copilot, xAI, Mistral', () => {
    expect(PRICED.map(({ kind, providerId }) => `${kind}:${providerId}`)).toEqual([
      'OPENAI:openai',
      'CLAUDE:anthropic',
      'GEMINI:google',
      'COPILOT:github-copilot',
      'GROK:x-ai',
      'MISTRAL:mistral',
    ]);
  });

  it('prices every catalogue model of our providers except the ones that are no chat models', () => {
    for (const { kind } of PRICED) {
      // Only "no text-token price" (embeddings, speech, OCR) may be left unpriced: a time-of-day price or
      // one that cannot be held exactly would fail here, before it could misprice a call.
      expect(unpricedCatalogueModels(kind).filter((model) => model.reason !== 'no text-token price'), kind).toEqual([]);
    }
  });

  it('matches model ids as the package does, and prices them as its calcPrice does (to float precision)', () => {
    const usages = [
      { input_tokens: 1234, output_tokens: 567 },
      { input_tokens: 250_000, output_tokens: 4000, cache_read_tokens: 100_000 },
      { input_tokens: 10_000, output_tokens: 10, cache_read_tokens: 2000, cache_write_tokens: 3000 },
    ];
    const at = new Date('2026-11-15T00:00:00Z');
    let compared = 0;
    for (const { kind, providerId, exclude } of PRICED) {
      const provider = findProvider({ providerId })!;
      const ids = [...provider.models.map((model) => model.id), ...modelsFor(kind).map((model) => model.id), 'gpt-4o-2024-11-20', 'claude-sonnet-4-20250514', 'grok-4-latest'];
      for (const id of new Set(ids)) {
        const theirs = calcPrice({}, id, { providerId });
        const ours = findCatalogueModel(provider, id, exclude);
        if (theirs && provider.models.includes(theirs.model) && !exclude?.test(theirs.model.id)) expect(ours?.id, `${kind} ${id}`).toBe(theirs.model.id);
        else expect(ours, `${kind} ${id}`).toBeNull();
        if (!ours || !findModel(kind, id)) continue;
        for (const usage of usages) {
          const expected = calcPrice(usage, id, { providerId, timestamp: at })!.total_price;
          const cost = computeCost(kind, id, { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, cachedInputTokens: usage.cache_read_tokens, cacheWriteInputTokens: usage.cache_write_tokens }, at);
          expect(Math.abs(Number(cost) - expected), `${kind} ${id} ${JSON.stringify(usage)}: ${cost} vs ${expected}`).toBeLessThanOrEqual(0.000000005 + expected * 1e-12);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('lists a catalogue entry under an id a client can send', () => {
    const mistral = findProvider({ providerId: 'mistral' })!;
    expect(listingName(mistral.models.find((model) => model.id === 'codestral')!)).toBe('codestral-latest');
    expect(modelsFor('MISTRAL').map((model) => model.id)).not.toContain('codestral');
    expect(modelsFor('OPENAI').map((model) => model.id)).not.toContain('text-embedding-3-small');
    expect(modelsFor('OPENAI').some((model) => /[:]|-$/.test(model.id))).toBe(false);
    expect(modelsFor('GEMINI').some((model) => model.id.startsWith('claude'))).toBe(false);
  });
});

describe('no download at run time', () => {
  it('never asks the package to update its data', () => {
    const source = resolve(import.meta.dirname, '../../../src');
    const files = (readdirSync(source, { recursive: true }) as string[]).filter((file) => file.endsWith('.ts'));
    const offenders = files.filter((file) => /\b(updatePrices|waitForUpdate)\s*\(|REMOTE_DATA_JSON_URL/.test(readFileSync(join(source, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
