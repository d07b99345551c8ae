import { describe, expect, it } from 'vitest';
import { parseRecommendations } from '../../../src/modules/incidents/recommendation-parser.ts';

const item = { type: 'memory', title: 'Raise the limit', description: 'OOM', priority: 'high', confidence: 0.8, actions: ['a', 'b'] };
const expected = { type: 'MEMORY', title: 'Raise the limit', description: 'OOM', priority: 'HIGH', confidence: 0.8, actions: ['a', 'b'] };

/** The first recommendation of a one-entry answer, after normalisation. */
function parseOne(entry: Record<string, unknown>) {
  const parsed = parseRecommendations(JSON.stringify([{ title: 'T', ...entry }]));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.recommendations[0]!;
}

describe('parseRecommendations', () => {
  it.each([
    ['a bare array', JSON.stringify([item])],
    ['an array fenced as json', '```json\n' + JSON.stringify([item], null, 2) + '\n```'],
    ['an array in a bare fence', '```\n' + JSON.stringify([item]) + '\n```'],
    ['an array in prose with brackets of its own', `Here is my analysis [draft] {v2}:\n${JSON.stringify([item])}\nHope this helps! [end]`],
    ['an array after a JSON array of something else', `Checked [1, 2] hosts.\n${JSON.stringify([item])}`],
    ['a wrapped object', JSON.stringify({ recommendations: [item] })],
    ['a fenced wrapped object in prose', 'Sure.\n```json\n' + JSON.stringify({ recommendations: [item] }, null, 2) + '\n```\nDone.'],
  ])('reads %s', (_name, text) => {
    expect(parseRecommendations(text)).toEqual({ ok: true, recommendations: [expected] });
  });

  it.each([
    ['MEMORY', 'MEMORY'],
    ['latency', 'LATENCY'],
    [' Database ', 'DATABASE'],
    ['error', 'ERRORS'],
    ['tls', 'CERTIFICATE'],
    ['quantum', 'GENERAL'],
    [42, 'GENERAL'],
    [undefined, 'GENERAL'],
  ])('reads the type %j as %s', (type, normalised) => {
    expect(parseOne({ type }).type).toBe(normalised);
  });

  it.each([
    ['critical', 'CRITICAL'],
    ['Low', 'LOW'],
    ['urgent', 'MEDIUM'],
    [1, 'MEDIUM'],
    [undefined, 'MEDIUM'],
  ])('reads the priority %j as %s', (priority, normalised) => {
    expect(parseOne({ priority }).priority).toBe(normalised);
  });

  it.each([
    [0.85, 0.85],
    ['0.85', 0.85],
    [85, 0.85],
    ['85%', 0.85],
    ['0.5%', 0.005],
    [150, 1],
    [-3, 0],
    ['high', 0.8],
    ['abc', 0.5],
    [null, 0.5],
    [undefined, 0.5],
  ])('reads the confidence %j as %d', (confidence, normalised) => {
    expect(parseOne({ confidence }).confidence).toBe(normalised);
  });

  it('normalises actions: one string, empty and odd entries dropped, object steps read, count and length capped', () => {
    expect(parseOne({ actions: 'one step' }).actions).toEqual(['one step']);
    expect(parseOne({ actions: ['', '  ', 'x', 3, null, ['nested'], { command: 'kubectl get pods' }, { step: '' }] }).actions).toEqual([
      'x',
      'kubectl get pods',
    ]);
    expect(parseOne({}).actions).toEqual([]);
    const many = parseOne({ actions: Array.from({ length: 30 }, (_, index) => `step ${index} ${'s'.repeat(600)}`) }).actions;
    expect(many).toHaveLength(10);
    expect(many.every((action) => action.length === 500)).toBe(true);
  });

  it('trims and caps titles and descriptions, and drops entries without a title', () => {
    const parsed = parseRecommendations(
      JSON.stringify([
        { title: '  Restart\n  the pods  ', description: `  ${'d'.repeat(3000)}  ` },
        { title: 'x'.repeat(500) },
        { title: '   ', description: 'blank title' },
        { type: 'CPU', description: 'no title' },
        { title: 7 },
        'a string',
        null,
        ['an', 'array'],
      ]),
    );
    expect(parsed.ok).toBe(true);
    const recommendations = parsed.ok ? parsed.recommendations : [];
    expect(recommendations.map((recommendation) => recommendation.title)).toEqual(['Restart the pods', 'x'.repeat(200)]);
    expect(recommendations[0]!.description).toBe('d'.repeat(2000));
  });

  it('keeps at most ten recommendations', () => {
    const parsed = parseRecommendations(JSON.stringify(Array.from({ length: 15 }, (_, index) => ({ ...item, title: `R${index}` }))));
    expect(parsed.ok && parsed.recommendations.map((recommendation) => recommendation.title)).toEqual(Array.from({ length: 10 }, (_, index) => `R${index}`));
  });

  it('keeps brackets, braces, quotes and fences inside strings', () => {
    const tricky = { ...item, title: 'Fix "]" in [config]', description: 'use arr[0] and {x}, then ```run``` }]' };
    const parsed = parseRecommendations(`Answer: ${JSON.stringify([tricky])} [footnote`);
    expect(parsed.ok && parsed.recommendations[0]).toMatchObject({ title: 'Fix "]" in [config]', description: 'use arr[0] and {x}, then ```run``` }]' });
  });

  it.each([
    ['truncated output', JSON.stringify([item, item]).slice(0, 70), /cut off/],
    ['a truncated wrapped object', JSON.stringify({ recommendations: [item, item] }).slice(0, -20), /cut off/],
    ['garbage', 'I cannot help with that.', /no JSON array/],
    ['prose in brackets only', 'See [the runbook] and {the dashboard}.', /no JSON array/],
    ['an empty array', '[]', /empty/],
    ['an empty wrapped array', '```json\n{"recommendations": []}\n```', /empty/],
    ['an empty answer', '   ', /empty/],
    ['numbers only', '[1, 2, 3]', /title/],
    ['objects without titles', JSON.stringify([{ type: 'CPU' }, { description: 'x' }]), /title/],
    ['an object of another shape', '{"answer": "no"}', /no JSON array/],
    ['a very long answer', `[${'1,'.repeat(150_000)}1]`, /longer than/],
  ])('refuses %s with a clear reason', (_name, text, reason) => {
    const parsed = parseRecommendations(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it('stays bounded on adversarial bracket soup', () => {
    for (const text of ['['.repeat(100_000), '[{'.repeat(50_000), `${'['.repeat(5000)}${']'.repeat(5000)}`, `${'"['.repeat(40_000)}`]) {
      const parsed = parseRecommendations(text);
      expect(parsed.ok).toBe(false);
    }
  });
});
