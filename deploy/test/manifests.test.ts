// Static checks of the deployment artefacts: k8s/ (kustomize), docker-compose.yml, deploy/Dockerfile.
// Self-contained: no services are started. The overlays are rendered by deploy/test/kustomize (a
// renderer for the kustomize features k8s/ uses, checked against kubectl where one is installed, in
// kustomize.test.ts), so they are rendered and checked on every machine.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadGatewayConfig } from '../../services/gateway/src/config.ts';
import { renderKustomization } from './kustomize/render.ts';
import { ComposeVariableError, containerEnvironment } from './support/compose-env.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const SERVICES = ['gateway', 'content-orchestrator', 'repurposer', 'backlog-keeper', 'notifier', 'scheduler'] as const;
const FFMPEG_SERVICES = new Set<string>(['gateway', 'repurposer']);
const CRONJOBS: Record<string, string> = {
  'auto-generate': '0 * * * *',
  'cleanup-stuck-generations': '*/30 * * * *',
  'backlog-maintenance': '*/5 * * * *',
  'notification-digest': '0 * * * *',
  prune: '0 3 * * *',
};

// Rendered manifests and compose files are navigated loosely; the assertions do the checking.
type Obj = Record<string, any>;

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** Every non-empty document of a multi-document YAML string; throws on any parse error. */
function parseDocs(source: string, label: string): Obj[] {
  const docs: Obj[] = [];
  for (const doc of parseAllDocuments(source)) {
    if (doc.errors.length > 0) {
      throw new Error(`${label}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // empty document (comments only)
    docs.push(value);
  }
  return docs;
}

function podSpecOf(obj: Obj): Obj | undefined {
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return obj.spec?.template?.spec;
    case 'CronJob':
      return obj.spec?.jobTemplate?.spec?.template?.spec;
    default:
      return undefined;
  }
}

function containersOf(podSpec: Obj): Obj[] {
  return [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
}

// ---------------------------------------------------------------------------------------------
// (a) every YAML file under k8s/ parses and is a Kubernetes object (or a Kustomization)
// ---------------------------------------------------------------------------------------------
describe('k8s/ YAML files', () => {
  const files = yamlFilesUnder(join(root, 'k8s'));

  it('exist (base and both overlays)', () => {
    const rel = files.map((f) => relative(root, f));
    expect(rel).toContain('k8s/base/kustomization.yaml');
    expect(rel).toContain('k8s/overlays/dev/kustomization.yaml');
    expect(rel).toContain('k8s/overlays/prod/kustomization.yaml');
  });

  it.each(files.map((f) => [relative(root, f), f]))(
    '%s parses, every document has apiVersion and kind',
    (label, file) => {
      const docs = parseDocs(readFileSync(file, 'utf8'), label);
      expect(docs.length, `${label} has no documents`).toBeGreaterThan(0);
      for (const doc of docs) {
        expect(typeof doc, `${label}: document is not a mapping`).toBe('object');
        expect(Array.isArray(doc), `${label}: document is not a mapping`).toBe(false);
        if (basename(file) === 'kustomization.yaml' || basename(file) === 'kustomization.yml') {
          // kind may be omitted in a kustomization; if present it must be Kustomization.
          if (doc.kind !== undefined) expect(doc.kind).toBe('Kustomization');
          continue;
        }
        expect(doc.apiVersion, `${label}: document without apiVersion`).toEqual(expect.any(String));
        expect(doc.kind, `${label}: document without kind`).toEqual(expect.any(String));
        expect(doc.metadata?.name, `${label}: ${doc.kind} without metadata.name`).toEqual(expect.any(String));
      }
    },
  );

  it('base puts no Secret and no namespace in the manifests', () => {
    for (const file of files.filter((f) => relative(root, f).startsWith('k8s/base/'))) {
      const docs = parseDocs(readFileSync(file, 'utf8'), file);
      for (const doc of docs) {
        expect(doc.kind, `${file} defines a Secret`).not.toBe('Secret');
        expect(doc.kind, `${file} defines a Namespace`).not.toBe('Namespace');
        expect(doc.metadata?.namespace, `${file} hard-codes a namespace`).toBeUndefined();
        expect(doc.secretGenerator, `${file} generates secrets`).toBeUndefined();
        expect(doc.namespace, `${file} sets a namespace`).toBeUndefined();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (a2) NetworkPolicies: only the services reach NATS and PostgreSQL; only the gateway takes traffic
// ---------------------------------------------------------------------------------------------
describe('k8s/base NetworkPolicies', () => {
  const source = readFileSync(join(root, 'k8s', 'base', 'network-policies.yaml'), 'utf8');
  const policies = parseDocs(source, 'network-policies.yaml');
  const byName = (name: string) => policies.find((p) => p.metadata?.name === name) as Obj;
  const clients = [...SERVICES, 'scheduler-job'].sort();
  /** The app.kubernetes.io/name values a rule's `from` pod selector admits. */
  const admittedNames = (policy: Obj): string[] => {
    const from = (policy.spec.ingress?.[0]?.from ?? []) as Obj[];
    const exprs = (from[0]?.podSelector?.matchExpressions ?? []) as Obj[];
    return [...((exprs.find((e) => e.key === 'app.kubernetes.io/name')?.values ?? []) as string[])].sort();
  };

  it('are listed in the base kustomization', () => {
    const kustomization = parse(readFileSync(join(root, 'k8s', 'base', 'kustomization.yaml'), 'utf8')) as Obj;
    expect(kustomization.resources).toContain('network-policies.yaml');
  });

  it.each(policies.map((p) => [p.metadata?.name as string, p]))(
    '%s parses as an Ingress NetworkPolicy',
    (_name, policy) => {
      expect(policy.apiVersion).toBe('networking.k8s.io/v1');
      expect(policy.kind).toBe('NetworkPolicy');
      expect(policy.spec?.podSelector, 'podSelector').toEqual(expect.any(Object));
      expect(policy.spec?.policyTypes).toEqual(['Ingress']);
      expect(Array.isArray(policy.spec?.ingress), 'ingress is a list').toBe(true);
    },
  );

  it('let only the services reach NATS (4222) and PostgreSQL (5432)', () => {
    for (const [name, target, port] of [
      ['nats-from-reelforge-only', 'nats', 4222],
      ['postgres-from-reelforge-only', 'postgres', 5432],
    ] as const) {
      const policy = byName(name);
      expect(policy, name).toBeDefined();
      expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': target });
      expect(policy.spec.ingress).toHaveLength(1);
      expect(admittedNames(policy), name).toEqual(clients);
      expect(policy.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port }]);
    }
  });

  it("let Prometheus in the monitoring namespace, and nothing else, reach every service's health port", () => {
    const policy = byName('metrics-from-monitoring');
    expect((policy.spec.podSelector.matchExpressions[0].values as string[]).slice().sort()).toEqual(
      [...SERVICES].sort(),
    );
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: 9000 }],
      },
    ]);
    for (const name of SERVICES) {
      const [deployment] = parseDocs(readFileSync(join(root, 'k8s', 'base', `${name}.yaml`), 'utf8'), name).filter(
        (d) => d.kind === 'Deployment',
      );
      const template = (deployment as Obj).spec.template as Obj;
      expect(template.metadata.annotations, name).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9000',
        'prometheus.io/path': '/metrics',
      });
      const container = template.spec.containers[0] as Obj;
      expect(container.ports, name).toContainEqual({ name: 'health', containerPort: 9000 });
      expect(container.env, name).toContainEqual({ name: 'HEALTH_PORT', value: '9000' });
    }
  });

  it('let outside traffic reach the gateway (HTTP port only) and nothing reach the other services', () => {
    const gateway = byName('gateway-http-only');
    expect(gateway.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'gateway' });
    expect(gateway.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    const workers = byName('workers-no-ingress');
    const selected = (workers.spec.podSelector.matchExpressions[0].values as string[]).slice().sort();
    expect(selected).toEqual(clients.filter((n) => n !== 'gateway'));
    expect(workers.spec.ingress).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) kustomize renders of the overlays
// ---------------------------------------------------------------------------------------------
const renders = new Map<string, Obj[]>();
function render(overlay: string): Obj[] {
  let docs = renders.get(overlay);
  if (!docs) {
    // Throws (failing the test) on anything the renderer does not support or finds wrong.
    docs = renderKustomization(join(root, 'k8s', 'overlays', overlay));
    renders.set(overlay, docs);
  }
  return docs;
}
const ofKind = (docs: Obj[], kind: string): Obj[] => docs.filter((d) => d.kind === kind);
const named = (docs: Obj[], kind: string, name: string): Obj | undefined =>
  docs.find((d) => d.kind === kind && d.metadata?.name === name);

const OVERLAYS = [
  { name: 'dev', namespace: 'reelforge-dev', tag: 'dev' },
  { name: 'prod', namespace: 'reelforge', tag: undefined },
] as const;

describe.each(OVERLAYS)('kustomize overlay $name', ({ name: overlay, namespace, tag }) => {
  it('renders, everything in its namespace', () => {
    const docs = render(overlay);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      if (doc.kind === 'Namespace') {
        expect(doc.metadata.name).toBe(namespace);
        continue;
      }
      expect(doc.metadata?.namespace, `${doc.kind}/${doc.metadata?.name}`).toBe(namespace);
    }
  });

  it('has a Deployment per service with pinned image, probes, resources and non-root pods', () => {
    const docs = render(overlay);
    for (const service of SERVICES) {
      const deployment = named(docs, 'Deployment', service);
      expect(deployment, `Deployment ${service}`).toBeDefined();
      const pod = podSpecOf(deployment as Obj) as Obj;
      expect(pod.securityContext?.runAsNonRoot, `${service} runAsNonRoot`).toBe(true);
      expect(pod.terminationGracePeriodSeconds, `${service} grace period`).toBe(service === 'repurposer' ? 120 : 30);
      const container = pod.containers?.[0] as Obj;
      const image = String(container.image);
      const [imageName, imageTag] = image.split(':');
      expect(imageName).toBe(`reelforge/${service}`);
      expect(imageTag, `${service} image tag`).toBeTruthy();
      expect(imageTag).not.toBe('latest');
      if (tag) expect(imageTag).toBe(tag);
      expect(container.readinessProbe?.httpGet?.path, `${service} readiness`).toBe('/readyz');
      expect(container.livenessProbe?.httpGet?.path, `${service} liveness`).toBe('/healthz');
      expect(container.resources?.requests?.cpu, `${service} cpu request`).toBeDefined();
      expect(container.resources?.limits?.memory, `${service} memory limit`).toBeDefined();
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
      const envFrom = (container.envFrom ?? []) as Obj[];
      expect(envFrom.some((e) => String(e.configMapRef?.name ?? '').startsWith('reelforge-config'))).toBe(true);
    }
    const gateway = podSpecOf(named(docs, 'Deployment', 'gateway') as Obj) as Obj;
    expect(gateway.containers[0].lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    const gatewayService = named(docs, 'Service', 'gateway') as Obj;
    expect(gatewayService.spec.ports).toEqual([expect.objectContaining({ port: 80 })]);
    for (const service of ['gateway', 'repurposer']) {
      const volumes = (podSpecOf(named(docs, 'Deployment', service) as Obj)?.volumes ?? []) as Obj[];
      expect(
        volumes.some((v) => v.persistentVolumeClaim?.claimName === 'media'),
        `${service} mounts media`,
      ).toBe(true);
    }
    expect(named(docs, 'PersistentVolumeClaim', 'media')).toBeDefined();
  });

  it('has the scheduler CronJobs, one run each', () => {
    const docs = render(overlay);
    const cronJobs = ofKind(docs, 'CronJob');
    expect(cronJobs.map((c) => c.metadata.name).sort()).toEqual(Object.keys(CRONJOBS).sort());
    for (const cronJob of cronJobs) {
      const name = cronJob.metadata.name as string;
      expect(cronJob.spec.schedule, name).toBe(CRONJOBS[name]);
      expect(cronJob.spec.concurrencyPolicy, name).toBe('Forbid');
      // Live: `scheduler run <job>` runs each slot once (job_runs), so no CronJob stays suspended.
      expect(cronJob.spec.suspend ?? false, name).toBe(false);
      expect(cronJob.spec.startingDeadlineSeconds, name).toEqual(expect.any(Number));
      expect(cronJob.spec.successfulJobsHistoryLimit, name).toEqual(expect.any(Number));
      expect(cronJob.spec.failedJobsHistoryLimit, name).toEqual(expect.any(Number));
      expect(cronJob.spec.jobTemplate.spec.backoffLimit, name).toBe(1);
      const pod = podSpecOf(cronJob) as Obj;
      expect(pod.restartPolicy, name).toBe('Never');
      const container = pod.containers[0] as Obj;
      expect(String(container.image)).toMatch(/^reelforge\/scheduler:.+/);
      expect(container.command, name).toEqual(['node', 'services/scheduler/src/main.ts', 'run', name]);
    }
  });

  it('renders the NetworkPolicies, and gives every workload the optional NATS login', () => {
    const docs = render(overlay);
    expect(
      ofKind(docs, 'NetworkPolicy')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual([
      'gateway-http-only',
      'metrics-from-monitoring',
      'nats-from-reelforge-only',
      'postgres-from-reelforge-only',
      'workers-no-ingress',
    ]);
    for (const doc of [
      ...ofKind(docs, 'Deployment').filter((d) => (SERVICES as readonly string[]).includes(d.metadata.name)),
      ...ofKind(docs, 'CronJob'),
    ]) {
      const env = ((podSpecOf(doc) as Obj).containers[0].env ?? []) as Obj[];
      for (const key of ['NATS_USER', 'NATS_PASSWORD']) {
        const ref = env.find((e) => e.name === key)?.valueFrom?.secretKeyRef as Obj | undefined;
        expect(ref, `${doc.metadata.name} ${key}`).toBeDefined();
        expect(String(ref?.name)).toMatch(/^reelforge-secrets/);
        expect(ref?.key).toBe(key);
        expect(ref?.optional, `${doc.metadata.name} ${key} optional`).toBe(true);
      }
    }
  });

  it('resolves every ConfigMap and Secret reference', () => {
    const docs = render(overlay);
    const configMaps = new Set(ofKind(docs, 'ConfigMap').map((c) => c.metadata.name as string));
    const secrets = new Set(ofKind(docs, 'Secret').map((s) => s.metadata.name as string));
    // In prod the Secret comes from the external secret manager: references must keep its exact name.
    const externalSecrets = overlay === 'prod' ? new Set(['reelforge-secrets']) : new Set<string>();
    for (const doc of docs) {
      const pod = podSpecOf(doc);
      if (!pod) continue;
      for (const container of containersOf(pod)) {
        for (const from of (container.envFrom ?? []) as Obj[]) {
          if (from.configMapRef) expect(configMaps, `${doc.metadata.name}`).toContain(from.configMapRef.name);
          if (from.secretRef) {
            const ok = secrets.has(from.secretRef.name) || externalSecrets.has(from.secretRef.name);
            expect(ok, `${doc.metadata.name}: secretRef ${from.secretRef.name}`).toBe(true);
          }
        }
        for (const env of (container.env ?? []) as Obj[]) {
          const ref = env.valueFrom?.secretKeyRef?.name as string | undefined;
          if (ref)
            expect(secrets.has(ref) || externalSecrets.has(ref), `${doc.metadata.name}: secretKeyRef ${ref}`).toBe(
              true,
            );
          const cm = env.valueFrom?.configMapKeyRef?.name as string | undefined;
          if (cm) expect(configMaps, `${doc.metadata.name}`).toContain(cm);
        }
      }
    }
  });

  if (overlay === 'dev') {
    it('runs its own NATS (JetStream) and Postgres, debug logging', () => {
      const docs = render(overlay);
      const nats = named(docs, 'StatefulSet', 'nats') as Obj;
      expect(nats).toBeDefined();
      expect(nats.spec.template.spec.containers[0].image).toMatch(/^nats:2\.10/);
      expect(nats.spec.template.spec.containers[0].args).toContain('-js');
      // Authorization on, with the login the services read from reelforge-secrets.
      expect(nats.spec.template.spec.containers[0].args).toEqual(
        expect.arrayContaining(['--user', '$(NATS_USER)', '--pass', '$(NATS_PASSWORD)']),
      );
      expect(named(docs, 'StatefulSet', 'postgres')).toBeDefined();
      expect(named(docs, 'Service', 'nats')).toBeDefined();
      expect(named(docs, 'Service', 'postgres')).toBeDefined();
      const config = ofKind(docs, 'ConfigMap').find((c) =>
        String(c.metadata.name).startsWith('reelforge-config'),
      ) as Obj;
      expect(config.data.LOG_LEVEL).toBe('debug');
      expect(config.data.NATS_URL).toBe('nats://nats:4222');
      const secret = ofKind(docs, 'Secret').find((s) => String(s.metadata.name).startsWith('reelforge-secrets')) as Obj;
      expect(Object.keys(secret.data ?? {}).sort()).toEqual([
        'DATABASE_URL',
        'JWT_SECRET',
        'NATS_PASSWORD',
        'NATS_USER',
      ]);
      for (const service of SERVICES) expect(named(docs, 'Deployment', service)?.spec.replicas).toBe(1);
    });
  } else {
    it('generates no reelforge-secrets, scales and protects gateway and repurposer, uses external NATS', () => {
      const docs = render(overlay);
      for (const secret of ofKind(docs, 'Secret')) {
        if (!String(secret.metadata.name).startsWith('reelforge-secrets')) continue;
        expect(secret.data, 'prod must not carry reelforge-secrets data').toBeUndefined();
        expect(secret.stringData, 'prod must not carry reelforge-secrets data').toBeUndefined();
      }
      expect(ofKind(docs, 'Secret').filter((s) => String(s.metadata.name).startsWith('reelforge-secrets'))).toEqual([]);
      expect(ofKind(docs, 'StatefulSet'), 'no in-cluster NATS/Postgres in prod').toEqual([]);
      expect(named(docs, 'Deployment', 'gateway')?.spec.replicas).toBe(3);
      expect(named(docs, 'Deployment', 'repurposer')?.spec.replicas).toBe(2);
      const hpa = ofKind(docs, 'HorizontalPodAutoscaler');
      expect(hpa.map((h) => h.spec.scaleTargetRef.name)).toEqual(['repurposer']);
      expect(hpa[0]?.spec.minReplicas).toBeLessThanOrEqual(2);
      const pdbTargets = ofKind(docs, 'PodDisruptionBudget').map(
        (p) => p.spec.selector.matchLabels['app.kubernetes.io/name'],
      );
      expect(pdbTargets.sort()).toEqual(['gateway', 'repurposer']);
      const config = ofKind(docs, 'ConfigMap').find((c) =>
        String(c.metadata.name).startsWith('reelforge-config'),
      ) as Obj;
      expect(config.data.NATS_URL).toBe('nats://nats.messaging.svc:4222');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// (c) docker-compose.yml
// ---------------------------------------------------------------------------------------------
describe('docker-compose.yml', () => {
  const source = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
  const compose = parse(source, { merge: true }) as Obj;
  const services = (compose.services ?? {}) as Record<string, Obj>;

  it('has the nine services', () => {
    expect(Object.keys(services).sort()).toEqual([...SERVICES, 'jaeger', 'nats', 'postgres'].sort());
    expect(services.nats?.image).toMatch(/^nats:2\.10/);
    expect(services.nats?.healthcheck?.test).toBeDefined();
    expect(services.postgres?.image).toMatch(/^postgres:17/);
    expect(JSON.stringify(services.postgres?.healthcheck?.test)).toContain('pg_isready');
  });

  it.each(SERVICES)('%s is built from deploy/Dockerfile, healthchecked and waits for healthy nats+postgres', (name) => {
    const service = services[name] as Obj;
    expect(service).toBeDefined();
    expect(service.build?.dockerfile).toBe('deploy/Dockerfile');
    expect(service.build?.args?.SERVICE).toBe(name);
    expect(String(service.build?.args?.WITH_FFMPEG ?? 'false')).toBe(FFMPEG_SERVICES.has(name) ? 'true' : 'false');
    expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(service.depends_on?.nats?.condition).toBe('service_healthy');
    expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
    const env = (service.environment ?? {}) as Record<string, unknown>;
    expect(env.OTEL_SERVICE_NAME).toBe(name);
    expect(env.NATS_URL).toBe('nats://nats:4222');
    // The same login the nats service is started with.
    expect(env.NATS_USER).toBe('${NATS_USER:-reelforge}');
    expect(String(env.NATS_PASSWORD)).toMatch(/^\$\{NATS_PASSWORD:-.+\}$/);
    expect(services.nats?.command).toEqual(
      expect.arrayContaining(['--user', env.NATS_USER, '--pass', env.NATS_PASSWORD]),
    );
    expect(String(env.DATABASE_URL)).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
  });

  it('gateway publishes 8080, requires JWT_SECRET, and shares the media volume with the repurposer', () => {
    const gateway = services.gateway as Obj;
    expect((gateway.ports ?? []).map(String)).toContain('8080:8080');
    expect(gateway.environment?.PORT).toBe('8080');
    expect(String(gateway.environment?.JWT_SECRET)).toMatch(/^\$\{JWT_SECRET:\?/);
    for (const name of ['gateway', 'repurposer']) {
      expect((services[name]?.volumes ?? []).map(String), name).toContain('media:/media');
      expect(services[name]?.environment?.MEDIA_ROOT, name).toBe('/media');
    }
  });

  it("gateway: its environment, with the header's example JWT_SECRET, passes the gateway's own config check", () => {
    const example = /^#\s+JWT_SECRET=(\S+)\s+docker compose up/m.exec(source);
    expect(example, 'the header shows how to run it with a JWT_SECRET').not.toBeNull();
    const secret = example![1]!;
    const env = containerEnvironment(services.gateway?.environment as Record<string, unknown>, { JWT_SECRET: secret });
    expect(env.JWT_SECRET).toBe(secret);
    const config = loadGatewayConfig(env);
    expect(config.JWT_SECRET).toBe(secret);
    expect(config.PORT).toBe(8080);
    // Without one, compose itself refuses to start, naming it.
    expect(() => containerEnvironment(services.gateway?.environment as Record<string, unknown>, {})).toThrow(
      ComposeVariableError,
    );
    expect(() => containerEnvironment(services.gateway?.environment as Record<string, unknown>, {})).toThrow(
      'set JWT_SECRET',
    );
  });

  it('declares every named volume it mounts', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    let mounted = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes ?? []) as Array<string | Obj>) {
        const source =
          typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'volume' ? volume.source : undefined;
        if (!source || source.startsWith('.') || source.startsWith('/') || source.startsWith('~')) continue; // bind mount
        mounted++;
        expect(declared, `${name} mounts undeclared volume ${source}`).toContain(source);
      }
    }
    expect(mounted).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// (d) deploy/Dockerfile
// ---------------------------------------------------------------------------------------------
describe('deploy/Dockerfile', () => {
  // Instructions with line continuations joined and comments dropped.
  const instructions = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const fromIndexes = instructions.flatMap((line, i) => (/^FROM\s/i.test(line) ? [i] : []));
  const finalStage = instructions.slice(fromIndexes.at(-1) ?? 0);
  const find = (lines: string[], keyword: string): string[] =>
    lines
      .filter((line) => line.toUpperCase().startsWith(`${keyword} `))
      .map((line) => line.slice(keyword.length + 1).trim());

  it('builds on node:24', () => {
    expect(fromIndexes.length).toBeGreaterThan(0);
    expect(instructions[fromIndexes[0] as number]).toMatch(
      /^FROM\s+node:24(?:-slim)?(?:@sha256:[0-9a-f]{64})?(?:\s|$)/i,
    );
  });

  it('runs the final stage as a non-root USER', () => {
    const users = find(finalStage, 'USER');
    expect(users.length, 'no USER in the final stage').toBeGreaterThan(0);
    const user = (users.at(-1) as string).split(':')[0];
    expect(user).not.toBe('root');
    expect(user).not.toBe('0');
  });

  it('has a HEALTHCHECK on /healthz and starts the SERVICE picked at build time', () => {
    const healthchecks = find(finalStage, 'HEALTHCHECK');
    expect(healthchecks.length).toBe(1);
    expect(healthchecks[0]).not.toMatch(/^NONE\b/i);
    expect(healthchecks[0]).toContain('/healthz');
    expect(healthchecks[0]).toContain('HEALTH_PORT');
    expect(find(instructions, 'ARG')).toContain('SERVICE');
    expect(find(finalStage, 'CMD').at(-1)).toContain('services/${SERVICE}/src/main.ts');
    const env = find(finalStage, 'ENV').join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/(?:^|\s)HOST=0\.0\.0\.0/);
    // service-kit's probe server binds HEALTH_HOST (default 127.0.0.1): unreachable by kubelet/Docker otherwise.
    expect(env).toMatch(/HEALTH_HOST=0\.0\.0\.0/);
  });

  it('installs production dependencies only, and ffmpeg only on request', () => {
    expect(find(instructions, 'RUN').some((run) => /npm ci\b.*--omit=dev/.test(run))).toBe(true);
    const ffmpeg = find(instructions, 'RUN').find((run) => run.includes('ffmpeg')) ?? '';
    expect(ffmpeg).toContain('WITH_FFMPEG');
    expect(ffmpeg).toContain('--no-install-recommends');
    expect(ffmpeg).toContain('fonts-dejavu-core');
    expect(ffmpeg).toContain('rm -rf /var/lib/apt/lists');
  });

  it('has a .dockerignore keeping node_modules, .git and local data out of the context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim());
    for (const entry of ['node_modules', '.git', '.data', '.nx', 'bench/results']) {
      expect(
        ignored.some((l) => l === entry || l === `**/${entry}`),
        entry,
      ).toBe(true);
    }
  });
});
