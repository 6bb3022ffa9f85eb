import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dashboard = JSON.parse(readFileSync(join(root, 'deploy', 'grafana', 'reelforge-dashboard.json'), 'utf8')) as {
  uid: string;
  panels: { id: number; title: string; targets: { expr: string }[] }[];
};

/** Every `.ts` file under the services' and libraries' src folders. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push(readFileSync(path, 'utf8'));
    }
  };
  for (const top of ['libs', 'services'])
    for (const pkg of readdirSync(join(root, top))) {
      const src = join(root, top, pkg, 'src');
      if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
    }
  return out;
}

describe('the Grafana dashboard (deploy/grafana)', () => {
  it('has unique panel ids and a query in every panel', () => {
    expect(dashboard.uid).toBe('reelforge');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });

  it('queries only metrics the services register (or Node process metrics under our prefix)', () => {
    const code = sources().join('\n');
    const names = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) => [...t.expr.matchAll(/\breelforge_[a-z0-9_]+/g)].map((m) => m[0])),
      ),
    );
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) {
      if (/^reelforge_(process|nodejs)_/.test(name)) continue; // prom-client's default metrics, prefixed
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(code.includes(`'${base}'`), `${name}: no service registers '${base}'`).toBe(true);
    }
  });
});
