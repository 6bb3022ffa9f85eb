// `npm start`: runs the local stack (stack.ts) in its own process group and turns Ctrl-C into one
// orderly SIGTERM for it. Without this, the terminal's SIGINT would hit PostgreSQL, NATS and every
// service at once, and the services would lose their connections while draining.
// NATS_URL / DATABASE_URL use existing servers instead of starting local ones.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const child = spawn(process.execPath, [join(import.meta.dirname, 'stack.ts')], { stdio: 'inherit', detached: true });
let signals = 0;
const forward = (signal: NodeJS.Signals) => {
  signals++;
  if (child.pid === undefined) return;
  // First Ctrl-C: orderly stop (SIGINT passed on as such, so the stack says "Ctrl-C"). Second: kill the whole group at once.
  if (signals === 1) child.kill(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  else process.kill(-child.pid, 'SIGKILL');
};
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
// A closed terminal: stop the stack in order rather than leave it running with no one to stop it.
process.on('SIGHUP', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
