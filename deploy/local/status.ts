// The running stack's state in one JSON file (<data dir>/stack.json), for people and tests: which
// PID each service has now, how often it was started, where the gateway listens.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface ServiceStatus {
  /** null between a crash and the restart. */
  pid: number | null;
  starts: number;
}

/** A server the launcher started (NATS, PostgreSQL); `marker` is in its command line (its data path). */
export interface ServerStatus {
  pid: number;
  marker: string;
}

export interface StackStatus {
  launcherPid: number;
  /** null until every service is ready. */
  gatewayUrl: string | null;
  services: Record<string, ServiceStatus>;
  /** Absent in files written before servers were recorded. */
  servers?: Record<string, ServerStatus>;
}

export interface StatusFile {
  server(name: string, server: ServerStatus): void;
  started(service: string, pid: number | undefined): void;
  exited(service: string): void;
  up(gatewayUrl: string): void;
  remove(): void;
}

export function statusFile(file: string): StatusFile {
  const status: StackStatus = { launcherPid: process.pid, gatewayUrl: null, services: {}, servers: {} };
  let removed = false;
  // Written whole and renamed into place: a reader never sees half a file. Never after remove():
  // a service's exit noticed late must not bring back the file of a stopped stack.
  const write = () => {
    if (removed) return;
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, `${JSON.stringify(status, null, 2)}\n`);
    renameSync(partial, file);
  };
  write();
  return {
    server(name, server) {
      status.servers = { ...status.servers, [name]: server };
      write();
    },
    started(service, pid) {
      const previous = status.services[service];
      status.services[service] = { pid: pid ?? null, starts: (previous?.starts ?? 0) + 1 };
      write();
    },
    exited(service) {
      const entry = status.services[service];
      if (entry) entry.pid = null;
      write();
    },
    up(gatewayUrl) {
      status.gatewayUrl = gatewayUrl;
      write();
    },
    remove: () => {
      removed = true;
      rmSync(file, { force: true });
    },
  };
}

/** The status a launcher wrote, or undefined when there is none (not started, or stopped). */
export function readStatus(file: string): StackStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackStatus;
  } catch {
    return undefined;
  }
}
