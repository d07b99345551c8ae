import { describe, expect, it } from 'vitest';
import { analyzeIncidentLocally } from '../../../src/llm/local/incident-rules.ts';
import type { IncidentInput } from '../../../src/llm/local/incident.types.ts';

const incident = (overrides: Partial<IncidentInput>): IncidentInput => ({
  title: '',
  description: '',
  severity: 'MEDIUM',
  service: null,
  alerts: null,
  ...overrides,
});

describe('the local rules', () => {
  it.each([
    { name: 'memory from text', input: { title: 'api pods OOMKilled', description: 'out of memory' }, type: 'MEMORY', priority: 'MEDIUM' },
    { name: 'memory above 90 percent is critical', input: { title: 'alert', alerts: { memory_percent: 96 } }, type: 'MEMORY', priority: 'CRITICAL' },
    { name: 'memory as a 0..1 ratio', input: { title: 'alert', alerts: [{ labels: { memory_usage: '0.85' } }] }, type: 'MEMORY', priority: 'HIGH' },
    { name: 'disk as a name/value pair with a percent sign', input: { title: 'x', alerts: [{ name: 'disk_usage', value: '93%' }] }, type: 'DISK', priority: 'CRITICAL' },
    { name: 'disk from text', input: { title: 'No space left on device', description: 'inode exhaustion on /var' }, type: 'DISK', priority: 'MEDIUM' },
    { name: 'cpu throttling', input: { title: 'CPU throttling on workers', severity: 'HIGH' }, type: 'CPU', priority: 'HIGH' },
    { name: 'latency in seconds', input: { title: 'x', alerts: { metrics: { p99_seconds: 6 } } }, type: 'LATENCY', priority: 'CRITICAL' },
    { name: 'error rate above 5 percent', input: { title: 'x', alerts: { error_rate: 0.08 } }, type: 'ERRORS', priority: 'CRITICAL' },
    { name: 'database connections', input: { title: 'too many connections to postgres' }, type: 'DATABASE', priority: 'MEDIUM' },
    { name: 'certificate', input: { title: 'TLS certificate expired on edge', severity: 'CRITICAL' }, type: 'CERTIFICATE', priority: 'CRITICAL' },
    { name: 'deployment', input: { title: 'rollout stuck', description: 'pods in CrashLoopBackOff after deploy' }, type: 'DEPLOYMENT', priority: 'MEDIUM' },
    { name: 'security', input: { title: 'brute force against login', severity: 'HIGH' }, type: 'SECURITY', priority: 'HIGH' },
    { name: 'network', input: { title: 'DNS resolution failing', description: 'NXDOMAIN for db host' }, type: 'NETWORK', priority: 'MEDIUM' },
  ] as const)('recognises $name', ({ input, type, priority }) => {
    const [first] = analyzeIncidentLocally(incident(input));
    expect(first).toMatchObject({ type, priority });
    expect(first!.confidence).toBeGreaterThan(0);
    expect(first!.confidence).toBeLessThanOrEqual(1);
    expect(first!.actions.length).toBeGreaterThanOrEqual(3);
  });

  it('is more confident when text and metrics agree', () => {
    const both = analyzeIncidentLocally(incident({ title: 'memory pressure', alerts: { memory_percent: 95 } }))[0]!;
    const textOnly = analyzeIncidentLocally(incident({ title: 'memory pressure' }))[0]!;
    const metricOnly = analyzeIncidentLocally(incident({ title: 'alert', alerts: { memory_percent: 95 } }))[0]!;
    expect(both.confidence).toBeGreaterThan(metricOnly.confidence);
    expect(metricOnly.confidence).toBeGreaterThan(textOnly.confidence);
  });

  it('does not match words inside other words', () => {
    const result = analyzeIncidentLocally(incident({ title: 'param validation in the programmatic API', description: 'a paramount diskette' }));
    expect(result.map((recommendation) => recommendation.type)).toEqual(['GENERAL']);
  });

  it('ignores healthy metrics and answers an unrecognised incident with one general triage', () => {
    const result = analyzeIncidentLocally(incident({ title: 'customers confused by new button', alerts: { memory_percent: 40, cpu: 0.2 } }));
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ type: 'GENERAL', priority: 'MEDIUM' });
  });

  it('orders several classes by priority, at most five, naming the service in its actions', () => {
    const result = analyzeIncidentLocally(
      incident({
        title: 'checkout down: 502 errors, slow responses, DNS failures, deploy in progress, cpu throttling, disk full',
        service: 'checkout',
        alerts: { error_rate: 12, disk_percent: 85 },
      }),
    );
    expect(result.length).toBe(5);
    expect(result[0]).toMatchObject({ type: 'ERRORS', priority: 'CRITICAL' });
    expect(result[1]).toMatchObject({ type: 'DISK', priority: 'HIGH' });
    expect(result.every((recommendation) => recommendation.actions.some((action) => action.includes('checkout')))).toBe(true);
  });

  it('survives garbage alerts: huge strings, deep nesting, odd types', () => {
    let deep: unknown = { memory_percent: 99 };
    for (let i = 0; i < 50; i += 1) deep = [deep];
    const garbage = { blob: 'x'.repeat(1_000_000), deep, list: [null, true, 1, 'oom', { nested: { cpu_percent: 'NaN' } }] };
    const result = analyzeIncidentLocally(incident({ title: 'odd', alerts: garbage }));
    expect(result.length).toBeGreaterThan(0);
    // "oom" in the alerts' text counts; the metric buried 50 levels down is beyond the walk.
    expect(result[0]).toMatchObject({ type: 'MEMORY', priority: 'MEDIUM' });
  });

  it('is deterministic', () => {
    const input = incident({ title: 'disk and memory trouble', alerts: [{ name: 'mem', value: 91 }] });
    expect(analyzeIncidentLocally(input)).toEqual(analyzeIncidentLocally(input));
  });
});
