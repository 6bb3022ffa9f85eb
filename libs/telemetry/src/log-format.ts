const COLORS = [36, 33, 35, 32, 34, 91, 96];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** Formats one service's output line for the terminal: a coloured label, then pino JSON made readable. */
export function formatLine(label: string, index: number, line: string, color: boolean): string {
  const tag = color ? `\x1b[${COLORS[index % COLORS.length]}m${label.padEnd(20)}\x1b[0m` : label.padEnd(20);
  if (!line.startsWith('{')) return `${tag} ${line}`;
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.entries(rec)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${tag} ${LEVELS[Number(rec.level)] ?? String(rec.level)} ${typeof rec.msg === 'string' ? rec.msg : JSON.stringify(rec.msg ?? '')}${extra ? `  ${extra}` : ''}`;
  } catch {
    return `${tag} ${line}`;
  }
}
