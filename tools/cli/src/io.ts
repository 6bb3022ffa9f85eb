/** Where the CLI writes: `process.stdout` / `process.stderr`, or a fake in tests. */
export interface Output {
  write(text: string): void;
  /** True when a terminal reads it: progress is then redrawn in place. */
  readonly isTTY: boolean;
  /** The terminal's width when known. */
  readonly columns: number | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Everything the CLI takes from its process, passed in so tests can give fakes. */
export interface CliDeps {
  stdout: Output;
  stderr: Output;
  env: Env;
  /** The user's home directory (the default config lives under it). */
  homedir: string;
  /** Reads all of standard input (for `--token -`). */
  readStdin(): Promise<string>;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
  /** A fresh random id (Idempotency-Key). */
  randomId(): string;
  sleep(ms: number): Promise<void>;
}

/** An Output that collects what is written (tests, and commands that build text first). */
export function memoryOutput(options: { isTTY?: boolean; columns?: number } = {}): Output & { text(): string } {
  const chunks: string[] = [];
  return {
    write: (text) => void chunks.push(text),
    isTTY: options.isTTY ?? false,
    columns: options.columns,
    text: () => chunks.join(''),
  };
}
