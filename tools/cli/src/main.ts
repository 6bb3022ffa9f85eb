#!/usr/bin/env node
// The `reelforge` command: wires the process (its streams, environment, network) into run().
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Output } from './io.ts';
import { run } from './run.ts';

const output = (stream: NodeJS.WriteStream): Output => ({
  write: (chunk) => void stream.write(chunk),
  get isTTY() {
    return stream.isTTY;
  },
  get columns() {
    return stream.isTTY ? stream.columns : undefined;
  },
});

const code = await run(process.argv.slice(2), {
  stdout: output(process.stdout),
  stderr: output(process.stderr),
  env: process.env,
  homedir: homedir(),
  readStdin: () => text(process.stdin),
  fetch: globalThis.fetch,
  WebSocket: globalThis.WebSocket,
  randomId: randomUUID,
  sleep: (ms) => sleep(ms),
});
// Writes to pipes, files and terminals are synchronous on Linux and macOS: nothing is lost by exiting now.
process.exit(code);
