import { afterEach, describe, expect, it } from 'vitest';
import { ensureFontFamily, MissingToolError } from '../src/tools.ts';

describe('ensureFontFamily', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('accepts a family fontconfig lists (the global setup made sure DejaVu Sans is there)', () => {
    expect(() => ensureFontFamily('DejaVu Sans')).not.toThrow();
  });

  it('without fontconfig or apt-get, says what is missing and how to get it', () => {
    process.env.PATH = '/nonexistent';
    expect(() => ensureFontFamily('DejaVu Sans')).toThrow(MissingToolError);
    expect(() => ensureFontFamily('DejaVu Sans')).toThrow(
      'The font "DejaVu Sans" is required but fontconfig does not list it. Install the fontconfig package with your system\'s package manager',
    );
  });
});
