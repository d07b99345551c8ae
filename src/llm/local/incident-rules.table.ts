import type { Priority, RecommendationType } from './incident.types.ts';

// The local provider's knowledge, one row per class of incident. Keywords match whole words (so "ram"
// never matches "param"); metric thresholds turn an alert's numbers into a priority.

export interface MetricRule {
  /** Matches a metric's name, lower-cased (memory_percent, disk_usage, p99_ms, ...). */
  name: RegExp;
  unit: 'percent' | 'ms';
  high: number;
  critical: number;
}

export interface IncidentRule {
  type: RecommendationType;
  keywords: RegExp;
  metrics: MetricRule[];
  title: string;
  description: string;
  actions: (service: string) => string[];
}

export const INCIDENT_RULES: readonly IncidentRule[] = [
  {
    type: 'MEMORY',
    keywords: /\b(memory|ram|oom\w*|out of memory|swap\w*|heap|gc|garbage collection|memory leak)\b/i,
    metrics: [{ name: /(^|_|\b)(mem|memory|heap|ram)(_|\b|$)/, unit: 'percent', high: 80, critical: 90 }],
    title: 'Relieve memory pressure',
    description: 'The incident points at memory exhaustion: processes near their limit, swapping, or being OOM-killed.',
    actions: (service) => [
      `Find the processes using the most memory on ${service}: \`kubectl top pods\` or \`ps aux --sort=-rss | head\`.`,
      `Check for OOM kills: \`kubectl describe pod\` (Last State: OOMKilled) or \`dmesg -T | grep -i oom\`.`,
      `Compare memory over the last deploys to tell a leak (steady growth) from a load spike.`,
      `Raise the memory limit or add replicas of ${service} to stop the restarts while the cause is found.`,
      `Take a heap profile or dump of ${service} and look for the objects that grow.`,
    ],
  },
  {
    type: 'DISK',
    keywords: /\b(disk|storage|inodes?|quota|no space|filesystem full|disk full|volume full|enospc)\b/i,
    metrics: [{ name: /(^|_|\b)(disk|fs|filesystem|storage|volume|inode\w*)(_|\b|$)/, unit: 'percent', high: 80, critical: 90 }],
    title: 'Free disk space',
    description: 'The incident points at a disk or volume running out of space or inodes.',
    actions: (service) => [
      `See which mount is full on ${service}: \`df -h\` and \`df -i\` for inodes.`,
      'Find the largest directories: `du -xh --max-depth=2 / | sort -h | tail -20`.',
      'Rotate or delete old logs and temporary files; check that log rotation runs.',
      `Expand the volume or move data off it, then alert at 80 percent before it fills again.`,
    ],
  },
  {
    type: 'CPU',
    keywords: /\b(cpu|load average|high load|throttl\w*|cpu saturation)\b/i,
    metrics: [{ name: /(^|_|\b)cpu(_|\b|$)/, unit: 'percent', high: 80, critical: 90 }],
    title: 'Reduce CPU saturation',
    description: 'The incident points at CPU saturation or throttling.',
    actions: (service) => [
      `Find the busiest processes on ${service}: \`top -o %CPU\` or \`kubectl top pods\`.`,
      'Check CPU throttling (container_cpu_cfs_throttled_seconds_total) against the CPU limit.',
      `Profile ${service} under load (a CPU flame graph) to find the hot path.`,
      `Scale ${service} out, or raise its CPU limit, while the cause is fixed.`,
    ],
  },
  {
    type: 'LATENCY',
    keywords: /\b(latency|timeouts?|timed out|slow|p99|p95|response time)\b/i,
    metrics: [{ name: /(latency|p99|p95|p90|response_time|duration)/, unit: 'ms', high: 2000, critical: 5000 }],
    title: 'Bring latency back down',
    description: 'The incident points at slow responses or timeouts.',
    actions: (service) => [
      `Split ${service}'s latency by endpoint and dependency in traces to find the slow hop.`,
      'Check the saturation of what it calls: database, caches, downstream services.',
      'Look for retries piling up and for timeouts longer than the callers wait.',
      `Roll back ${service}'s last change if the latency started with it.`,
    ],
  },
  {
    type: 'ERRORS',
    keywords: /\b(5\d\d|5xx|errors?|error rate|exceptions?|internal server error|bad gateway|service unavailable)\b/i,
    metrics: [{ name: /(error_rate|errors_percent|5xx|error_ratio|failure_rate)/, unit: 'percent', high: 1, critical: 5 }],
    title: 'Stop the errors',
    description: 'The incident points at a rise of server errors or exceptions.',
    actions: (service) => [
      `Group ${service}'s recent errors by message and endpoint in the logs to find the dominant one.`,
      'Check whether the errors began with a deploy, a config change or a dependency failure.',
      `Roll back ${service} if a release introduced them.`,
      'Watch the error rate after the change until it is back under its normal level.',
    ],
  },
  {
    type: 'DATABASE',
    keywords: /\b(database|db|postgres\w*|mysql|connection pool|too many connections|deadlocks?|replication lag|slow quer\w*)\b/i,
    metrics: [{ name: /(connection_pool|db_connections|connections_percent)/, unit: 'percent', high: 80, critical: 95 }],
    title: 'Relieve the database',
    description: 'The incident points at the database: connection exhaustion, locks, slow queries or replication lag.',
    actions: (service) => [
      'List active sessions and what they wait on: `select state, wait_event, count(*) from pg_stat_activity group by 1, 2`.',
      `Check ${service}'s connection pool size against the database's max_connections.`,
      'Find the slowest queries (pg_stat_statements) and any long transaction holding locks.',
      'Check replication lag on the replicas before sending them reads.',
    ],
  },
  {
    type: 'CERTIFICATE',
    keywords: /\b(certificates?|tls|ssl|x509|cert expired|handshake failure)\b/i,
    metrics: [],
    title: 'Renew or fix the certificate',
    description: 'The incident points at a TLS certificate that expired, is about to, or does not match.',
    actions: (service) => [
      `Read the served certificate's dates and names: \`openssl s_client -connect HOST:443 -servername HOST | openssl x509 -noout -dates -subject\`.`,
      'Renew it (or fix the automation that should have, e.g. cert-manager or certbot) and reload the server.',
      `Check that ${service} trusts the full chain, including intermediates.`,
      'Alert on certificates expiring within 14 days.',
    ],
  },
  {
    type: 'DEPLOYMENT',
    keywords: /\b(deploy\w*|rollouts?|releases?|rollback|canary|crashloop\w*|image pull\w*)\b/i,
    metrics: [],
    title: 'Check the latest deployment',
    description: 'The incident points at a deployment: a rollout that failed, crash-loops, or changed behaviour.',
    actions: (service) => [
      `See the rollout state: \`kubectl rollout status deploy/${service}\` and the pods' events.`,
      `Diff the release against the previous one (code, config, image).`,
      `Roll back: \`kubectl rollout undo deploy/${service}\`, if the problem started with the release.`,
      'Hold further releases until the cause is known.',
    ],
  },
  {
    type: 'SECURITY',
    keywords: /\b(unauthori[sz]ed|brute force|ddos|cve-\d+-\d+|cve|breach|intrusion|malware|suspicious login)\b/i,
    metrics: [],
    title: 'Contain the security event',
    description: 'The incident points at a security event: abuse, unauthorised access or a known vulnerability.',
    actions: (service) => [
      `Preserve the evidence: keep ${service}'s logs and snapshots before changing anything.`,
      'Block the offending sources (rate limits, WAF rules) and rotate exposed credentials.',
      'Check the access logs for what was reached, and by whom.',
      'Follow the security incident process and inform its owner.',
    ],
  },
  {
    type: 'NETWORK',
    keywords: /\b(dns|packet loss|connection refused|unreachable|network|econnrefused|econnreset|nxdomain)\b/i,
    metrics: [{ name: /(packet_loss|packet_loss_percent)/, unit: 'percent', high: 1, critical: 5 }],
    title: 'Restore connectivity',
    description: 'The incident points at the network: DNS, refused connections or packet loss.',
    actions: (service) => [
      `Resolve and reach ${service}'s dependencies from where it runs: \`dig\`, \`nc -vz HOST PORT\`.`,
      'Check recent changes to security groups, network policies and DNS records.',
      'Look for packet loss and retransmits between the hops (`mtr`).',
    ],
  },
];

export const PRIORITY_RANK: Record<Priority, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };
