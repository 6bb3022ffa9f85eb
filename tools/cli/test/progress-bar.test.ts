import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../src/io.ts';
import { ProgressBoard, formatEta, renderBar, renderTaskLine } from '../src/progress-bar.ts';

const TASK = '0192f0a1-7c3e-7aaa-8bbb-0123456789ab';
const OTHER = '0192f0a1-7c3e-7aaa-8bbb-ba9876543210';

describe('progress bar rendering', () => {
  it('formats an ETA in seconds, minutes or hours, and -- when unknown', () => {
    expect(formatEta(null)).toBe('--');
    expect(formatEta(-1)).toBe('--');
    expect(formatEta(Number.NaN)).toBe('--');
    expect(formatEta(0)).toBe('0s');
    expect(formatEta(42.4)).toBe('42s');
    expect(formatEta(59.6)).toBe('1m00s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(3725)).toBe('1h02m');
  });

  it('fills the bar by the share done, clamped to 0-100', () => {
    expect(renderBar(0)).toBe(`[${'-'.repeat(20)}]`);
    expect(renderBar(47)).toBe(`[${'#'.repeat(9)}${'-'.repeat(11)}]`);
    expect(renderBar(100)).toBe(`[${'#'.repeat(20)}]`);
    expect(renderBar(140)).toBe(`[${'#'.repeat(20)}]`);
    expect(renderBar(-5)).toBe(`[${'-'.repeat(20)}]`);
    expect(renderBar(50, 4)).toBe('[##--]');
  });

  it('shows the stage, bar, percent and ETA of a running task, the status of a finished one', () => {
    expect(
      renderTaskLine({ taskId: TASK, status: 'processing', stage: 'rendering', percent: 47.9, etaSeconds: 12 }),
    ).toBe(`rendering    [#########-----------]  47%  ETA 12s  task ${TASK}`);
    expect(renderTaskLine({ taskId: TASK, status: 'completed', stage: 'completed', percent: 100, etaSeconds: 3 })).toBe(
      `completed    [####################] 100%  task ${TASK}`,
    );
    expect(renderTaskLine({ taskId: TASK, status: 'queued', stage: 'queued', percent: 0, etaSeconds: null })).toBe(
      `queued       [--------------------]   0%  ETA --  task ${TASK}`,
    );
    expect(
      renderTaskLine({ taskId: TASK, status: 'cancelling', stage: 'rendering', percent: 30, etaSeconds: 5 }),
    ).toMatch(/^cancelling /);
  });

  it('cuts a line to the terminal width so that it never wraps', () => {
    const state = { taskId: TASK, status: 'processing', stage: 'rendering', percent: 50, etaSeconds: 65 };
    const full = renderTaskLine(state);
    expect(full).toBe(`rendering    [##########----------]  50%  ETA 1m05s  task ${TASK}`);
    expect(renderTaskLine(state, 200)).toBe(full);
    const cut = renderTaskLine(state, 50);
    expect(cut).toBe(`${full.slice(0, 48)}…`);
    expect(cut).toHaveLength(49);
  });

  it('on a terminal, redraws every task line in place', () => {
    const out = memoryOutput({ isTTY: true, columns: 200 });
    const board = new ProgressBoard(out);
    board.update(TASK, { status: 'processing', stage: 'downloading', percent: 5, etaSeconds: 30 });
    board.update(OTHER, { status: 'queued' });
    board.update(TASK, { stage: 'rendering', percent: 60, etaSeconds: 8 });
    const text = out.text();
    // First draw: one line; second: back up one line and draw two; third: back up two.
    expect(text.split('\x1b[1A')).toHaveLength(2);
    expect(text.split('\x1b[2A')).toHaveLength(2);
    const lastFrame = text.slice(text.lastIndexOf('\x1b[2A') + 4);
    expect(lastFrame).toBe(
      `\r\x1b[2Krendering    [############--------]  60%  ETA 8s  task ${TASK}\n` +
        `\r\x1b[2Kqueued       [--------------------]   0%  ETA --  task ${OTHER}\n`,
    );
  });

  it('on a terminal, prints a log line above the board and redraws the board below it', () => {
    const out = memoryOutput({ isTTY: true, columns: 200 });
    const board = new ProgressBoard(out);
    board.update(TASK, { status: 'processing', stage: 'probing', percent: 10 });
    board.log('generation g: processing');
    expect(out.text()).toBe(
      `\r\x1b[2Kprobing      [##------------------]  10%  ETA --  task ${TASK}\n` +
        `\x1b[1A\r\x1b[2Kgeneration g: processing\n` +
        `\r\x1b[2Kprobing      [##------------------]  10%  ETA --  task ${TASK}\n`,
    );
  });

  it('elsewhere, prints plain lines only when a task changes status, stage or tenth, and 100 % at the end', () => {
    const out = memoryOutput({ isTTY: false });
    const board = new ProgressBoard(out);
    board.update(TASK, { status: 'processing', stage: 'rendering', percent: 11, etaSeconds: 20 });
    board.update(TASK, { percent: 12, etaSeconds: 19 }); // same tenth: nothing
    board.update(TASK, { percent: 25, etaSeconds: 12 });
    board.update(TASK, { status: 'completed', stage: 'completed' });
    board.update(TASK, { status: 'completed', stage: 'completed', percent: 100 }); // nothing new
    const lines = out.text().split('\n').filter(Boolean);
    expect(lines).toEqual([
      `rendering    [##------------------]  11%  ETA 20s  task ${TASK}`,
      `rendering    [#####---------------]  25%  ETA 12s  task ${TASK}`,
      `completed    [####################] 100%  task ${TASK}`,
    ]);
    expect(out.text()).not.toContain('\x1b');
  });

  it('elsewhere, does not print a line again when only a stage it does not show changes', () => {
    const out = memoryOutput({ isTTY: false });
    const board = new ProgressBoard(out);
    board.update(TASK, {});
    board.update(TASK, { status: 'queued', stage: 'queued' });
    board.update(TASK, { status: 'processing', stage: 'analyzing', percent: 7 });
    board.update(TASK, { status: 'cancelled' });
    board.update(TASK, { status: 'cancelled', stage: 'cancelled' }); // the final read: same line
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      `queued       [--------------------]   0%  ETA --  task ${TASK}`,
      `analyzing    [#-------------------]   7%  ETA --  task ${TASK}`,
      `cancelled    [#-------------------]   7%  task ${TASK}`,
    ]);
  });
});
