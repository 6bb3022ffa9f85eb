// Docker Compose's variable interpolation, for reading docker-compose.yml as compose would run it:
// `$$`, `$VAR`, `${VAR}`, `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}`.

/** Compose refuses to start: a required variable is missing (`${VAR:?message}`). */
export class ComposeVariableError extends Error {
  constructor(variable: string, message: string) {
    super(`required variable ${variable} is missing a value: ${message}`);
    this.name = 'ComposeVariableError';
  }
}

const PATTERN = /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|(\{[^}]*\}?))/g;

/** `value` with every variable replaced from `env` (an unset variable without a default is empty, as in compose). */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    PATTERN,
    (
      _match,
      dollar: string | undefined,
      bare: string | undefined,
      name: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bad: string | undefined,
    ) => {
      if (dollar) return '$';
      if (bad !== undefined) throw new Error(`unsupported interpolation \${${bad}`);
      if (bare) return env[bare] ?? '';
      const current = env[name!];
      const missing = op?.startsWith(':') ? !current : current === undefined;
      if (op === undefined || !missing) return current ?? '';
      if (op.endsWith('-')) return arg ?? '';
      throw new ComposeVariableError(name!, arg ?? '');
    },
  );
}

/** A compose `environment:` mapping, interpolated, as the container sees it. */
export function containerEnvironment(
  environment: Record<string, unknown>,
  shell: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) out[key] = interpolate(String(value ?? ''), shell);
  return out;
}
