import { describe, expect, it } from 'vitest';
import { analyzeIncidentLocally } from '../../../src/modules/incidents/incident-rules.ts';
import type { IncidentInput, Priority, RecommendationType } from '../../../src/modules/incidents/incident.types.ts';

const incident = (overrides: Partial<IncidentInput>): IncidentInput => ({
  title: '',
  description: '',
  severity: 'MEDIUM',
  service: null,
  alerts: null,
  ...overrides,
});

interface Case {
  name: string;
  input: Partial<IncidentInput>;
  type: RecommendationType;
  priority: Priority;
  /** Inclusive bounds on the first recommendation's confidence. */
  confidence: [number, number];
}

const TEXT_ONLY = 'text only' as const;
const cases: Record<string, Case[]> = {
  [TEXT_ONLY]: [
    { name: 'memory', input: { title: 'api pods OOMKilled', description: 'out of memory' }, type: 'MEMORY', priority: 'MEDIUM', confidence: [0.6, 0.75] },
    { name: 'memory in a camel-case alert name', input: { title: 'alert', alerts: [{ labels: { alertname: 'KubePodOOMKilled' } }] }, type: 'MEMORY', priority: 'MEDIUM', confidence: [0.5, 0.6] },
    { name: 'disk', input: { title: 'No space left on device', description: 'inode exhaustion on /var' }, type: 'DISK', priority: 'MEDIUM', confidence: [0.6, 0.75] },
    { name: 'cpu throttling', input: { title: 'CPU throttling on workers', severity: 'HIGH' }, type: 'CPU', priority: 'HIGH', confidence: [0.6, 0.7] },
    { name: 'latency', input: { title: 'checkout p99 timeouts', severity: 'HIGH' }, type: 'LATENCY', priority: 'HIGH', confidence: [0.6, 0.75] },
    { name: '5xx errors', input: { title: '503 Service Unavailable from the gateway' }, type: 'ERRORS', priority: 'MEDIUM', confidence: [0.6, 0.75] },
    { name: 'database connections', input: { title: 'too many connections to postgres' }, type: 'DATABASE', priority: 'MEDIUM', confidence: [0.6, 0.75] },
    { name: 'certificate', input: { title: 'TLS certificate expired on edge', severity: 'CRITICAL' }, type: 'CERTIFICATE', priority: 'CRITICAL', confidence: [0.65, 0.75] },
    { name: 'deployment', input: { title: 'rollout stuck', description: 'pods in CrashLoopBackOff after deploy' }, type: 'DEPLOYMENT', priority: 'MEDIUM', confidence: [0.65, 0.75] },
    { name: 'security', input: { title: 'brute force against login', severity: 'HIGH' }, type: 'SECURITY', priority: 'HIGH', confidence: [0.5, 0.6] },
    { name: 'network', input: { title: 'DNS resolution failing', description: 'NXDOMAIN for the db host' }, type: 'NETWORK', priority: 'MEDIUM', confidence: [0.6, 0.75] },
    // One ambiguous word is a lead, not a finding: a step below the severity, low confidence.
    { name: 'a weak word only', input: { title: 'odd behaviour since the release', severity: 'CRITICAL' }, type: 'DEPLOYMENT', priority: 'HIGH', confidence: [0.3, 0.4] },
  ],
  'metrics only': [
    { name: 'memory above 90 percent', input: { alerts: { memory_percent: 96 } }, type: 'MEMORY', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'memory above 80 percent', input: { alerts: { memory_percent: 85 } }, type: 'MEMORY', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'memory as a 0..1 ratio string', input: { alerts: [{ labels: { memory_usage: '0.85' } }] }, type: 'MEMORY', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'disk as a name/value pair with a percent sign', input: { alerts: [{ name: 'disk_usage', value: '93%' }] }, type: 'DISK', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'free disk, read as used', input: { alerts: { disk_free_percent: 3 } }, type: 'DISK', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'idle cpu, read as busy', input: { alerts: { host: { cpu: { idle: 4 } } } }, type: 'CPU', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'a camel-case metric name', input: { alerts: { metrics: { CPUUtilization: 91 } } }, type: 'CPU', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    {
      name: 'a Prometheus instant vector',
      input: { alerts: { data: { result: [{ metric: { __name__: 'node_memory_usage_ratio', instance: 'n1' }, value: [1_700_000_000, '0.93'] }] } } },
      type: 'MEMORY',
      priority: 'CRITICAL',
      confidence: [0.7, 0.8],
    },
    { name: 'p99 in seconds', input: { alerts: { metrics: { p99_seconds: 6 } } }, type: 'LATENCY', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'latency in milliseconds', input: { alerts: { latency_ms: '2500' } }, type: 'LATENCY', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'latency with a unit in the value', input: { alerts: [{ metric: 'p99', value: '2.5s' }] }, type: 'LATENCY', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'error rate above 5 percent (ratio)', input: { alerts: { error_rate: 0.08 } }, type: 'ERRORS', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'error rate of 2 percent', input: { alerts: { error_rate: '2%' } }, type: 'ERRORS', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'a success rate, read as errors', input: { alerts: { success_rate: 0.9 } }, type: 'ERRORS', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'replication lag', input: { alerts: { replication_lag_seconds: 45 } }, type: 'DATABASE', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'days left on a certificate', input: { alerts: { ssl_cert_days_left: 2 } }, type: 'CERTIFICATE', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'failed logins', input: { alerts: { failed_login_attempts: 4200 } }, type: 'SECURITY', priority: 'CRITICAL', confidence: [0.7, 0.8] },
    { name: 'packet loss as a ratio', input: { alerts: { packet_loss: 0.03 } }, type: 'NETWORK', priority: 'HIGH', confidence: [0.65, 0.75] },
    { name: 'alerts stored as a JSON string', input: { alerts: '{"memory_percent": 97}' }, type: 'MEMORY', priority: 'CRITICAL', confidence: [0.7, 0.8] },
  ],
  'text and metrics': [
    { name: 'memory', input: { title: 'memory pressure on api', alerts: { memory_percent: 95 } }, type: 'MEMORY', priority: 'CRITICAL', confidence: [0.9, 0.95] },
    // The metric sets the priority, even under a lower reported severity.
    { name: 'disk under a LOW severity', input: { title: 'disk filling up', severity: 'LOW', alerts: { disk_percent: 92 } }, type: 'DISK', priority: 'CRITICAL', confidence: [0.9, 0.95] },
    // Healthy metrics contradict the text: a step below the severity, less confidence.
    { name: 'memory text with healthy memory', input: { title: 'memory leak suspected', severity: 'HIGH', alerts: { memory_percent: 40 } }, type: 'MEMORY', priority: 'MEDIUM', confidence: [0.3, 0.55] },
  ],
  'unrecognised': [
    { name: 'plain words', input: { title: 'customers confused by the new button' }, type: 'GENERAL', priority: 'MEDIUM', confidence: [0.3, 0.3] },
    { name: 'words containing keywords', input: { title: 'param validation in the programmatic API', description: 'a paramount diskette, grammar, undeployable' }, type: 'GENERAL', priority: 'MEDIUM', confidence: [0.3, 0.3] },
    { name: 'healthy metrics', input: { title: 'report', severity: 'LOW', alerts: { memory_percent: 40, cpu: 0.2, error_rate: '0.5%' } }, type: 'GENERAL', priority: 'LOW', confidence: [0.3, 0.3] },
    { name: 'memory in bytes', input: { alerts: { memory_usage_bytes: 8_000_000_000 } }, type: 'GENERAL', priority: 'MEDIUM', confidence: [0.3, 0.3] },
    { name: 'a threshold, not a reading', input: { alerts: { cpu_percent_threshold: 90, memory: { warning: 80, critical: 90 } } }, type: 'GENERAL', priority: 'MEDIUM', confidence: [0.3, 0.3] },
    { name: "the incident's own duration", input: { alerts: { duration_seconds: 600 } }, type: 'GENERAL', priority: 'MEDIUM', confidence: [0.3, 0.3] },
    { name: 'identifiers that contain keywords', input: { alerts: [{ labels: { pod: 'disk-cleaner-7f9c', job: 'cpu-exporter', alertname: 'Watchdog' } }] }, type: 'GENERAL', priority: 'MEDIUM', confidence: [0.3, 0.3] },
  ],
};

describe('the local rules', () => {
  for (const [group, table] of Object.entries(cases)) {
    it.each(table)(`recognises ${group}: $name`, ({ input, type, priority, confidence }) => {
      const result = analyzeIncidentLocally(incident(input));
      const [first] = result;
      expect(first).toMatchObject({ type, priority });
      expect(first!.confidence).toBeGreaterThanOrEqual(confidence[0]);
      expect(first!.confidence).toBeLessThanOrEqual(confidence[1]);
      if (type === 'GENERAL') expect(result).toHaveLength(1);
    });
  }

  it('is more confident when text and metrics agree than on either alone', () => {
    const both = analyzeIncidentLocally(incident({ title: 'memory pressure', alerts: { memory_percent: 95 } }))[0]!;
    const metricOnly = analyzeIncidentLocally(incident({ title: 'alert', alerts: { memory_percent: 95 } }))[0]!;
    const textOnly = analyzeIncidentLocally(incident({ title: 'memory pressure' }))[0]!;
    expect(both.confidence).toBeGreaterThan(metricOnly.confidence);
    expect(metricOnly.confidence).toBeGreaterThan(textOnly.confidence);
  });

  it('orders several classes by priority then confidence, at most five', () => {
    const result = analyzeIncidentLocally(
      incident({
        title: 'checkout down: 502 errors, slow responses, DNS failures, deploy in progress, cpu throttling, disk full',
        service: 'checkout',
        alerts: { error_rate: 12, disk_percent: 85 },
      }),
    );
    expect(result).toHaveLength(5);
    expect(result.slice(0, 2)).toMatchObject([
      { type: 'ERRORS', priority: 'CRITICAL' },
      { type: 'DISK', priority: 'HIGH' },
    ]);
    const ranks = result.map((recommendation) => ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].indexOf(recommendation.priority));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const [index, recommendation] of result.entries()) {
      const next = result[index + 1];
      if (next?.priority === recommendation.priority) expect(recommendation.confidence).toBeGreaterThanOrEqual(next.confidence);
    }
  });

  it('gives every class 3 to 6 actions that name the service, with the service in its commands', () => {
    const texts = cases[TEXT_ONLY]!.map((entry) => `${entry.input.title ?? ''} ${entry.input.description ?? ''}`);
    const seen = new Set<string>();
    for (const text of [...texts, 'nothing known']) {
      for (const recommendation of analyzeIncidentLocally(incident({ title: text, service: 'checkout' }))) {
        seen.add(recommendation.type);
        expect(recommendation.actions.length).toBeGreaterThanOrEqual(3);
        expect(recommendation.actions.length).toBeLessThanOrEqual(6);
        expect(recommendation.actions.some((action) => action.includes('checkout'))).toBe(true);
        expect(recommendation.title).toContain('checkout');
      }
    }
    expect(seen.size).toBe(11);
    const [deployment] = analyzeIncidentLocally(incident({ title: 'rollout stuck', service: 'checkout' }));
    expect(deployment!.actions[0]).toContain('kubectl rollout status deploy/checkout');
  });

  it('keeps a service name that is not an identifier out of commands', () => {
    const commands = (actions: string[]) => actions.flatMap((action) => action.match(/`[^`]*`/g) ?? []);
    const withOddName = analyzeIncidentLocally(incident({ title: 'rollout stuck', service: 'Payments API; rm -rf /' }))[0]!;
    expect(withOddName.actions.join('\n')).toContain('Payments API; rm -rf /');
    expect(commands(withOddName.actions).filter((command) => command.includes('rm -rf'))).toEqual([]);
    expect(withOddName.actions[0]).toContain('deploy/<service>');

    const withNone = analyzeIncidentLocally(incident({ title: 'rollout stuck' }))[0]!;
    expect(withNone.title).toBe('Check the latest deployment');
    expect(commands(withNone.actions).filter((command) => command.includes('affected service'))).toEqual([]);
    expect(withNone.actions[0]).toContain('deploy/<service>');
  });

  it('explains its evidence in the description', () => {
    const [memory] = analyzeIncidentLocally(incident({ title: 'api OOMKilled', alerts: { memory_percent: 97 } }));
    expect(memory!.description).toContain('"oom');
    expect(memory!.description).toContain('memory_percent at 97%');
    const [wrapped] = analyzeIncidentLocally(incident({ alerts: { labels: { memory_usage: '0.93' } } }));
    expect(wrapped!.description).toContain('The alerts show memory_usage at 93%');
  });

  it('survives garbage alerts: huge strings, deep nesting, cycles, odd types', () => {
    let deep: unknown = { memory_percent: 99 };
    for (let level = 0; level < 10_000; level += 1) deep = [deep];
    const cyclic: Record<string, unknown> = { note: 'loop' };
    cyclic.self = cyclic;
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, index) => [`k${index}`, index]));
    const garbage = { blob: 'x'.repeat(1_000_000), deep, cyclic, wide, list: [null, true, Number.NaN, 'oom', { nested: { cpu_percent: 'NaN' } }] };

    const result = analyzeIncidentLocally(incident({ title: 'odd', alerts: garbage }));
    // "oom" in the alerts' text counts; the metric buried 10,000 levels down is beyond the walk.
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ type: 'MEMORY', priority: 'MEDIUM' });

    for (const alerts of ['x'.repeat(2_000_000), 42, true, [[[[]]]], '{not json', deep]) {
      expect(analyzeIncidentLocally(incident({ title: 'odd', alerts }))).toMatchObject([{ type: 'GENERAL' }]);
    }
  });

  it('reads the summary beside a huge list of alerts (Alertmanager webhook shape)', () => {
    const webhook = {
      status: 'firing',
      alerts: Array.from({ length: 3000 }, (_, index) => ({ labels: { alertname: 'Watchdog', instance: `n${index}` }, status: 'firing' })),
      commonAnnotations: { summary: 'Filesystem full on /var' },
    };
    expect(analyzeIncidentLocally(incident({ title: 'page', alerts: webhook }))[0]).toMatchObject({ type: 'DISK' });
  });

  it('keeps every confidence within 0..1', () => {
    const all = Object.values(cases)
      .flat()
      .flatMap((entry) => analyzeIncidentLocally(incident(entry.input)));
    expect(all.every((recommendation) => recommendation.confidence >= 0 && recommendation.confidence <= 1)).toBe(true);
  });

  it('is deterministic', () => {
    const input = incident({ title: 'disk and memory trouble after deploy', service: 'api', alerts: [{ name: 'mem', value: 91 }, { disk_percent: 88 }] });
    const first = analyzeIncidentLocally(input);
    expect(analyzeIncidentLocally(structuredClone(input))).toEqual(first);
    expect(first.map((recommendation) => recommendation.type)).toEqual(['MEMORY', 'DISK', 'DEPLOYMENT']);
  });
});
