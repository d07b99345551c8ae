import { describe, expect, it } from 'vitest';
import { parseRecommendations } from '../../../src/modules/analysis/recommendation-parser.ts';

const item = { type: 'memory', title: 'Raise the limit', description: 'OOM', priority: 'high', confidence: 0.8, actions: ['a', 'b'] };

describe('parseRecommendations', () => {
  it.each([
    ['a bare array', JSON.stringify([item])],
    ['a fenced array', '```json\n' + JSON.stringify([item], null, 2) + '\n```'],
    ['an array in prose', `Here is my analysis [draft]:\n${JSON.stringify([item])}\nHope this helps!`],
    ['a wrapped object', JSON.stringify({ recommendations: [item] })],
  ])('reads %s', (_name, text) => {
    const parsed = parseRecommendations(text);
    expect(parsed).toEqual({
      ok: true,
      recommendations: [{ type: 'MEMORY', title: 'Raise the limit', description: 'OOM', priority: 'HIGH', confidence: 0.8, actions: ['a', 'b'] }],
    });
  });

  it('normalises types, priorities, confidences and actions', () => {
    const parsed = parseRecommendations(
      JSON.stringify([
        { type: 'quantum', title: 'A', priority: 'urgent', confidence: '85%', actions: 'one step' },
        { type: 'Disk', title: 'B', priority: 'low', confidence: 150, actions: ['', 'x', 3] },
        { title: 'C' },
        { type: 'CPU', description: 'no title: dropped' },
      ]),
    );
    expect(parsed.ok && parsed.recommendations).toEqual([
      { type: 'GENERAL', title: 'A', description: '', priority: 'MEDIUM', confidence: 0.85, actions: ['one step'] },
      { type: 'DISK', title: 'B', description: '', priority: 'LOW', confidence: 1, actions: ['x'] },
      { type: 'GENERAL', title: 'C', description: '', priority: 'MEDIUM', confidence: 0.5, actions: [] },
    ]);
  });

  it('keeps brackets inside strings', () => {
    const parsed = parseRecommendations(JSON.stringify([{ ...item, description: 'use arr[0] and {x}' }]));
    expect(parsed.ok && parsed.recommendations[0]?.description).toBe('use arr[0] and {x}');
  });

  it.each([
    ['truncated output', JSON.stringify([item, item]).slice(0, 70)],
    ['garbage', 'I cannot help with that.'],
    ['an empty array', '[]'],
    ['an empty answer', '   '],
    ['numbers only', '[1, 2, 3]'],
  ])('refuses %s with a reason', (_name, text) => {
    const parsed = parseRecommendations(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason.length).toBeGreaterThan(5);
  });
});
