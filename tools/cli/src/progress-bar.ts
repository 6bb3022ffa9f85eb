import type { Output } from './io.ts';

/** What one task's progress line shows. */
export interface TaskLine {
  taskId: string;
  /** queued, processing, cancelling, completed, failed, cancelled. */
  status: string;
  /** The pipeline stage (downloading, rendering, …). */
  stage: string;
  /** 0–100. */
  percent: number;
  etaSeconds: number | null;
}

const BAR_WIDTH = 20;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** `1h02m`, `3m05s`, `42s`, `--` when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** `[########------------]`: the share done, in `width` cells. */
export function renderBar(percent: number, width = BAR_WIDTH): string {
  const p = clampPercent(percent);
  const done = Math.floor((p / 100) * width);
  return `[${'#'.repeat(done)}${'-'.repeat(width - done)}]`;
}

function clampPercent(percent: number): number {
  return Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
}

/** What a line names: the stage while the task runs, else its status (queued, cancelling, or how it ended). */
function labelOf(line: TaskLine): string {
  return line.status === 'processing' ? line.stage : line.status;
}

/**
 * One task as one line: `rendering    [#########-----------]  47%  ETA 12s  task <id>`. A finished task
 * shows its status instead of its stage and no ETA. Cut to `columns` (a terminal line must not wrap,
 * or redrawing in place goes wrong).
 */
export function renderTaskLine(line: TaskLine, columns?: number): string {
  const finished = TERMINAL.has(line.status);
  const label = labelOf(line);
  const percent = `${Math.floor(clampPercent(line.percent))}%`.padStart(4);
  const eta = finished ? '' : `  ETA ${formatEta(line.etaSeconds)}`;
  const text = `${label.padEnd(12)} ${renderBar(line.percent)} ${percent}${eta}  task ${line.taskId}`;
  if (columns === undefined || columns < 10 || text.length < columns) return text;
  return `${text.slice(0, columns - 2)}…`;
}

/**
 * The progress lines of several tasks on one output. On a terminal the lines are redrawn in place
 * (ANSI: cursor up, erase line) at every change; elsewhere (a pipe, a file) a plain line is printed
 * when what a task's line names (its stage, or its status when not running) changes or its percent
 * passes another tenth, so a log stays short and readable.
 * `log` prints a line above the tasks' lines.
 */
export class ProgressBoard {
  readonly #out: Output;
  readonly #lines = new Map<string, TaskLine>();
  /** Per task, what was last printed in plain mode (label and tenth). */
  readonly #printed = new Map<string, string>();
  /** Lines of the board currently on the terminal (TTY mode). */
  #drawn = 0;

  constructor(out: Output) {
    this.#out = out;
  }

  /** Adds or updates a task's line; fields not given keep their value. */
  update(taskId: string, change: Partial<Omit<TaskLine, 'taskId'>>): void {
    const before = this.#lines.get(taskId) ?? {
      taskId,
      status: 'queued',
      stage: 'queued',
      percent: 0,
      etaSeconds: null,
    };
    const next: TaskLine = { ...before, ...change, taskId };
    if (TERMINAL.has(next.status)) {
      next.etaSeconds = null;
      if (next.status === 'completed') next.percent = 100;
    }
    this.#lines.set(taskId, next);
    if (this.#out.isTTY) this.#redraw();
    else this.#printIfChanged(next);
  }

  /** The current state of a task's line. */
  get(taskId: string): TaskLine | undefined {
    return this.#lines.get(taskId);
  }

  /** A line of its own above the board (the board is redrawn below it on a terminal). */
  log(text: string): void {
    if (!this.#out.isTTY) {
      this.#out.write(`${text}\n`);
      return;
    }
    this.#out.write(`${this.#moveToTop()}\r\x1b[2K${text}\n`);
    this.#drawn = 0;
    this.#redraw();
  }

  #moveToTop(): string {
    return this.#drawn > 0 ? `\x1b[${this.#drawn}A` : '';
  }

  #redraw(): void {
    const columns = this.#out.columns;
    let text = this.#moveToTop();
    for (const line of this.#lines.values()) text += `\r\x1b[2K${renderTaskLine(line, columns)}\n`;
    this.#out.write(text);
    this.#drawn = this.#lines.size;
  }

  #printIfChanged(line: TaskLine): void {
    const tenth = Math.floor(clampPercent(line.percent) / 10);
    const key = `${labelOf(line)}|${tenth}`;
    if (this.#printed.get(line.taskId) === key) return;
    this.#printed.set(line.taskId, key);
    this.#out.write(`${renderTaskLine(line)}\n`);
  }
}
