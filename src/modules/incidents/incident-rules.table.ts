import type { RecommendationType } from './incident.types.ts';

// The local provider's knowledge, one row per class of incident. The engine (incident-rules.ts) matches
// keywords as whole words and turns alert numbers into a priority with these thresholds.

/** How the actions name the service: `name` reads well in prose, `ref` is safe inside a command. */
export interface ServiceRef {
  /** The service as given, or "the affected service". */
  name: string;
  /** The service when it is a plain identifier (checkout, payments-api), else the placeholder `<service>`. */
  ref: string;
}

/**
 * A metric that confirms a class. Names are matched after normalisation to lower snake_case
 * (`memoryPercent`, `memory.percent` and `MEMORY_PERCENT` all read `memory_percent`).
 * - percent: 0..100, or a 0..1 ratio (see the engine); names of bytes, counts, limits and thresholds never count.
 * - duration: compared in milliseconds; the unit comes from the value ("2.5s") or the name (`_seconds`, `_ms`).
 * - count: a plain number of events.
 * - days: time left, worse as it falls (`direction: 'below'`).
 */
export interface MetricRule {
  name: RegExp;
  kind: 'percent' | 'duration' | 'count' | 'days';
  /** The unit of a duration whose value and name say none. */
  unitless?: 'ms' | 's';
  direction?: 'above' | 'below';
  high: number;
  critical: number;
}

export interface IncidentRule {
  type: RecommendationType;
  /**
   * Regex sources matched case-insensitively as whole words; a space stands for an optional separator
   * (`roll out` matches rollout, roll-out, roll_out). Strong words name the class; weak ones are
   * ambiguous on their own ("error", "release") and count for less.
   */
  strong: readonly string[];
  weak: readonly string[];
  metrics: readonly MetricRule[];
  title: string;
  description: string;
  /** 3 to 6 ordered steps; at least one names the service. */
  actions: (service: ServiceRef) => string[];
}

export const INCIDENT_RULES: readonly IncidentRule[] = [
  {
    type: 'MEMORY',
    strong: ['memory', 'mem', 'ram', 'oom\\w*', 'out of memory', 'heaps?', 'gc', 'garbage collection', 'memory leak'],
    weak: ['swap(ping|ped)?', 'rss'],
    metrics: [
      { name: /(^|_)(mem|memory|ram|heap|rss|swap)(_|$)/, kind: 'percent', high: 80, critical: 90 },
      { name: /(^|_)oom(_?kills?|_?killed|_events?)?(_|$)/, kind: 'count', high: 1, critical: 5 },
    ],
    title: 'Relieve memory pressure',
    description: 'The incident points at memory exhaustion: processes near their limit, swapping, long GC pauses or OOM kills.',
    actions: ({ name, ref }) => [
      `Find which processes or pods of ${name} hold the memory: \`kubectl top pod -l app=${ref} --sort-by=memory\`, or \`ps aux --sort=-rss | head\` on the host.`,
      `Look for OOM kills: restarts in \`kubectl get pods -l app=${ref}\`, "Last State: OOMKilled" in \`kubectl describe pod <pod>\`, or \`dmesg -T | grep -iE 'killed process|out of memory'\`.`,
      `Compare ${name}'s memory over the last 24 hours with its deploys: steady growth points to a leak, a step to a release or a traffic spike.`,
      `Capture a heap dump or profile of ${name} before restarting it (jmap, pprof, heapdump) and find the objects that grow.`,
      `Buy time: raise the memory limit or add replicas (\`kubectl scale deploy/${ref} --replicas=<n>\`), then restart the worst pods.`,
    ],
  },
  {
    type: 'DISK',
    strong: ['disks?', 'inodes?', 'no space( left)?', 'file system full', 'disk full', 'volume full', 'enospc', 'disk pressure'],
    weak: ['storage', 'quota', 'file system'],
    metrics: [{ name: /(^|_)(disk|fs|filesystem|storage|volume|inodes?|pvc)(_|$)/, kind: 'percent', high: 80, critical: 90 }],
    title: 'Free disk space',
    description: 'The incident points at a disk or volume running out of space or inodes.',
    actions: ({ name }) => [
      `Find the full mount on ${name}'s hosts or volumes: \`df -h\` for space and \`df -i\` for inodes.`,
      'Find what grew: `du -xh --max-depth=2 /var | sort -h | tail -20`, and `lsof +L1` for deleted files still held open.',
      'Free space safely: rotate and compress logs (logrotate, `journalctl --vacuum-size=500M`), clear temporary files and unused images (`docker image prune`).',
      `Expand the volume or PVC behind ${name} if the growth is legitimate, and check the filesystem grew with it (\`resize2fs\`, \`xfs_growfs\`).`,
      'Alert on usage above 80 percent and on the fill rate (`predict_linear`) so the next one is caught before it fills.',
    ],
  },
  {
    type: 'CPU',
    strong: ['cpus?', 'load average', 'cpu saturation'],
    weak: ['throttl(e|ed|ing)', 'high load'],
    metrics: [{ name: /(^|_)cpu(_|$)/, kind: 'percent', high: 80, critical: 90 }],
    title: 'Reduce CPU saturation',
    description: 'The incident points at CPU saturation or throttling.',
    actions: ({ name, ref }) => [
      `Find the busiest processes or pods of ${name}: \`kubectl top pod -l app=${ref} --sort-by=cpu\`, or \`top -o %CPU\` on the host.`,
      `Check throttling against the CPU limit: \`rate(container_cpu_cfs_throttled_periods_total[5m]) / rate(container_cpu_cfs_periods_total[5m])\` for ${name}.`,
      'Compare CPU with the request rate: a rise without more traffic points at a code or configuration change.',
      `Profile ${name} under load (pprof, async-profiler, py-spy) to find the hot path.`,
      `Scale out (\`kubectl scale deploy/${ref} --replicas=<n>\`) or raise the CPU limit while the cause is fixed.`,
    ],
  },
  {
    type: 'LATENCY',
    strong: ['latency', 'time outs?', 'timed out', 'slow(ness|er|down)?', 'p(50|75|90|95|99|999)', 'response times?'],
    weak: ['sluggish'],
    metrics: [
      {
        name: /(^|_)(latency|p50|p75|p90|p95|p99|p999|response_time|request_duration|ttfb)(_|$)/,
        kind: 'duration',
        unitless: 'ms',
        high: 2000,
        critical: 5000,
      },
    ],
    title: 'Bring latency back down',
    description: 'The incident points at slow responses or timeouts.',
    actions: ({ name, ref }) => [
      `Split ${name}'s latency by endpoint and by dependency in the traces (p50 against p99) to find the slow hop.`,
      `Check the saturation of what ${name} calls: the database (slow queries), caches (hit rate), downstream services (their p99 and errors).`,
      'Look for queueing: thread or connection pools at their limit, retries piling up, timeouts longer than the callers wait.',
      `Line the start up with ${name}'s last deploy and configuration change; roll back (\`kubectl rollout undo deploy/${ref}\`) if it began with one.`,
      'Shed or rate-limit non-critical traffic to protect the p99 while the cause is fixed.',
    ],
  },
  {
    type: 'ERRORS',
    strong: ['50[234]', '5xx', 'error rates?', 'exceptions?', 'internal server error', 'bad gateway', 'service unavailable', 'gateway time out'],
    weak: ['500', 'errors?', 'fail(ing|ures?)'],
    metrics: [
      {
        name: /(^|_)(errors?|err|5xx|failures?|fail|success|successful)_(rate|ratio|percent|pct|percentage)(_|$)/,
        kind: 'percent',
        high: 1,
        critical: 5,
      },
    ],
    title: 'Stop the errors',
    description: 'The incident points at a rise of server errors or exceptions.',
    actions: ({ name, ref }) => [
      `Group ${name}'s recent errors by status code, endpoint and message (logs or APM) to find the dominant one.`,
      `Tell ${name}'s own 500s from a proxy's 502/503/504: compare the load balancer's metrics with the application's.`,
      'Line the start of the errors up with deploys, configuration changes and incidents of dependencies.',
      `Roll back ${name} if a release introduced them: \`kubectl rollout undo deploy/${ref}\`.`,
      'Watch the error rate after each change until it is back under its usual level.',
    ],
  },
  {
    type: 'DATABASE',
    strong: [
      'databases?',
      'connection pool',
      'too many connections',
      'max connections',
      'deadlocks?',
      'replication lag',
      'replica lag',
      'slow quer(y|ies)',
      'lock wait',
      'postgres(ql)?',
      'mysql',
      'pg bouncer',
    ],
    weak: ['db'],
    metrics: [
      {
        name: /(^|_)(pool|connections?|conns?)_(\w+_)?(percent|pct|ratio|usage|utili[sz]ation|util|used)(_|$)/,
        kind: 'percent',
        high: 80,
        critical: 90,
      },
      { name: /(^|_)(replication|replica)_lag(_|$)/, kind: 'duration', unitless: 's', high: 30_000, critical: 300_000 },
      { name: /(^|_)deadlocks?(_|$)/, kind: 'count', high: 1, critical: 10 },
    ],
    title: 'Relieve the database',
    description: 'The incident points at the database: connection exhaustion, locks, slow queries or replication lag.',
    actions: ({ name }) => [
      'List sessions and what they wait on: `SELECT state, wait_event_type, wait_event, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC;` (`SHOW PROCESSLIST` on MySQL).',
      `Compare ${name}'s pool size times its replica count with the database's max_connections; lower the pools or put a pooler (PgBouncer) in front.`,
      'Find long transactions and lock holders: `SELECT pid, now() - xact_start AS age, state, query FROM pg_stat_activity WHERE xact_start IS NOT NULL ORDER BY age DESC LIMIT 10;`, then pg_locks for who blocks whom.',
      'Find the most expensive queries (pg_stat_statements by total_exec_time) and read their plans with `EXPLAIN (ANALYZE, BUFFERS)`.',
      'Check replication lag (`SELECT client_addr, replay_lag FROM pg_stat_replication;`) before sending reads to the replicas.',
    ],
  },
  {
    type: 'CERTIFICATE',
    strong: ['certificates?', 'certs?', 'tls', 'ssl', 'x509', 'handshake (failure|failed|error)', 'cert expired'],
    weak: ['expir(ed|es|y|ing|ation)'],
    metrics: [
      {
        name: /^(?=.*(^|_)(cert|certs|certificate|ssl|tls|x509|expiry|expiration|expires)(_|$))(?=.*(^|_)days?(_|$))/,
        kind: 'days',
        direction: 'below',
        high: 14,
        critical: 3,
      },
    ],
    title: 'Renew or fix the certificate',
    description: 'The incident points at a TLS certificate that expired, is about to, or does not match its names or chain.',
    actions: ({ name }) => [
      "Read the served certificate's dates, names and issuer: `openssl s_client -connect <host>:443 -servername <host> </dev/null | openssl x509 -noout -dates -subject -issuer -ext subjectAltName`.",
      `Renew it, or fix the automation that should have (\`kubectl get certificate -A\` and \`kubectl describe certificaterequest\` for cert-manager, \`certbot renew --dry-run\`), then reload ${name}'s TLS terminator.`,
      `Check that ${name} serves the full chain (intermediates included), that its clients trust the issuer, and that clocks are right (NTP) on both sides.`,
      'Alert on every certificate expiring within 14 days (e.g. `probe_ssl_earliest_cert_expiry - time() < 14 * 86400`).',
    ],
  },
  {
    type: 'DEPLOYMENT',
    strong: ['deploy(s|ed|ing|ments?)?', 'roll outs?', 'roll(ed)? back', 'canary', 'crash loop\\w*', 'image pull\\w*'],
    weak: ['releases?', 'released', 'upgraded?'],
    metrics: [],
    title: 'Check the latest deployment',
    description: 'The incident points at a deployment: a rollout that failed, crash-loops, or changed behaviour.',
    actions: ({ name, ref }) => [
      `See the rollout's state: \`kubectl rollout status deploy/${ref}\` and \`kubectl get pods -l app=${ref}\` (CrashLoopBackOff, ImagePullBackOff, Pending).`,
      'Read why pods fail: `kubectl describe pod <pod>` for the events and `kubectl logs <pod> --previous` for the last crash.',
      `Diff the release against the previous one: code, configuration, secrets, image tag and resource limits of ${name}.`,
      `Roll back if the problem started with the release: \`kubectl rollout undo deploy/${ref}\` (or redeploy the last good version), then confirm the symptom stops.`,
      `Hold further releases of ${name} (\`kubectl rollout pause deploy/${ref}\`, or freeze the pipeline) until the cause is known.`,
    ],
  },
  {
    type: 'SECURITY',
    strong: [
      'brute force',
      'd?dos attack',
      'ddos',
      'cve',
      'breach(ed)?',
      'intrusion',
      'malware',
      'ransomware',
      'credential stuffing',
      'compromised',
      'exfiltrat\\w*',
      'sql injection',
      'suspicious (login|activity|traffic)',
    ],
    weak: ['unauthori[sz]ed', 'forbidden', '40[13]', 'attack(s|ed)?'],
    metrics: [
      {
        name: /^(?=.*(^|_)(failed|fail|failures?|denied|rejected|unauthori[sz]ed|invalid)(_|$))(?=.*(^|_)(logins?|auth|authentication|ssh|passwords?|sign_?ins?)(_|$))/,
        kind: 'count',
        high: 100,
        critical: 1000,
      },
    ],
    title: 'Contain the security event',
    description: 'The incident points at a security event: abuse, unauthorised access, an attack or a known vulnerability.',
    actions: ({ name }) => [
      `Preserve the evidence before changing anything: keep ${name}'s application, access and audit logs and snapshot the affected hosts.`,
      `Identify the sources: top client IPs, user agents and accounts in ${name}'s access and authentication logs for the incident window.`,
      'Contain: block or rate-limit the offending sources (WAF, security groups), lock targeted accounts, rotate exposed credentials and keys.',
      'For a CVE, list where the affected versions run (image scan, SBOM) and patch or mitigate; for a DDoS, turn on upstream protection (CDN, scrubbing).',
      'Open a security incident with the security team and follow its process (timeline, notification duties).',
    ],
  },
  {
    type: 'NETWORK',
    strong: [
      'dns',
      'packet loss',
      'connection refused',
      'econnrefused',
      'connection reset',
      'econnreset',
      'unreachable',
      'no route to host',
      'nxdomain',
      'servfail',
      'name resolution',
      'network partition',
    ],
    weak: ['network', 'connectivity'],
    metrics: [{ name: /(^|_)packet_loss(_|$)/, kind: 'percent', high: 1, critical: 5 }],
    title: 'Restore connectivity',
    description: 'The incident points at the network: DNS, refused or reset connections, unreachable hosts or packet loss.',
    actions: ({ name }) => [
      `From where ${name} runs, resolve and reach its dependencies: \`dig +short <host>\`, \`nc -vz <host> <port>\`, \`curl -v\`.`,
      'Check recent changes to DNS records, security groups, firewall rules and network policies (`kubectl get networkpolicy -A`).',
      'Measure loss along the path with `mtr -rwc 100 <host>`, and compare zones and nodes to find where it breaks.',
      `Check that the targets ${name} calls are listening and healthy (a refused connection often means a process down or a wrong port), and the load balancer's target health.`,
    ],
  },
];

/** What the rules answer when no class matches. */
export const GENERAL_TRIAGE = {
  title: 'Triage the incident',
  description: 'No known pattern matched the incident text or its alerts; these are the first steps of a general triage.',
  actions: ({ name }: ServiceRef): string[] => [
    `Confirm the impact: which users, endpoints and regions of ${name} are affected, and since when.`,
    'Check what changed just before it started: deploys, configuration, feature flags, traffic, dependencies.',
    `Read ${name}'s recent errors and its golden signals (latency, traffic, errors, saturation) for the incident window.`,
    `Check the health of ${name}'s dependencies (databases, caches, queues, third-party APIs) and their status pages.`,
    'Name an incident lead and a channel, and post updates at a fixed interval.',
  ],
};
