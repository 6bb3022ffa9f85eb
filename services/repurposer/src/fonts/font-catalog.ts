import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface FontFace {
  style: string;
  file: string;
}

interface FontFamily {
  family: string;
  styles: string[];
}

export interface FontCatalog {
  families(): FontFamily[];
  /** The file for a family's regular or bold face; undefined when fontconfig has no such family. */
  fileFor(family: string, bold: boolean): string | undefined;
}

const REGULAR = ['Regular', 'Book', 'Roman', 'Normal', 'Medium'];

/** Builds the catalogue from `fc-list` lines: `family<TAB>style<TAB>file`. */
function parseFcList(output: string): FontCatalog {
  const byFamily = new Map<string, FontFace[]>();
  for (const line of output.split('\n')) {
    const [family, style, file] = line.split('\t');
    if (!family || !style || !file) continue;
    const faces = byFamily.get(family) ?? [];
    faces.push({ style, file });
    byFamily.set(family, faces);
  }
  const sorted = [...byFamily.keys()].sort();
  return {
    families: () =>
      sorted.map((family) => ({ family, styles: [...new Set(byFamily.get(family)!.map((f) => f.style))].sort() })),
    fileFor: (family, bold) => {
      const faces = byFamily.get(family);
      if (!faces) return undefined;
      const wanted = bold ? ['Bold'] : REGULAR;
      const face =
        wanted.map((w) => faces.find((f) => f.style === w)).find(Boolean) ??
        faces.find((f) => !/italic|oblique/i.test(f.style)) ??
        faces[0]!;
      return face.file;
    },
  };
}

/**
 * What fontconfig can really render on this worker (what libass and drawtext will use), read
 * once: fonts don't change under a running process.
 */
export async function loadFontCatalog(fcListPath = 'fc-list'): Promise<FontCatalog> {
  try {
    const { stdout } = await run(fcListPath, ['--format', '%{family[0]}\t%{style[0]}\t%{file}\n'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return parseFcList(stdout);
  } catch {
    return parseFcList(''); // no fontconfig: no fonts, and text options fail with a clear reason
  }
}
