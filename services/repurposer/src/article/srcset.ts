/**
 * The largest candidate of an `srcset`: the one with the biggest width descriptor, else the biggest
 * pixel density (a candidate without a descriptor is 1x). A video frame is 1080 px wide, so the
 * `src` fallback, often a thumbnail, is the worst choice when better exists. Returns null for an
 * empty or unparsable srcset. Ties keep the first candidate.
 */
export function largestSrcsetCandidate(srcset: string): string | null {
  let best: { url: string; width: number; density: number } | null = null;
  for (const candidate of parseSrcset(srcset)) {
    if (!best || candidate.width > best.width || (candidate.width === best.width && candidate.density > best.density))
      best = candidate;
  }
  return best?.url ?? null;
}

// The HTML spec's algorithm, simplified: a URL is a run of non-space characters (commas inside it
// are kept unless they end it), then descriptors up to the next comma.
function* parseSrcset(srcset: string): Generator<{ url: string; width: number; density: number }> {
  let i = 0;
  const s = srcset;
  while (i < s.length) {
    while (i < s.length && /[\s,]/.test(s[i]!)) i++;
    if (i >= s.length) return;
    let end = i;
    while (end < s.length && !/\s/.test(s[end]!)) end++;
    let url = s.slice(i, end);
    i = end;
    let descriptors = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      const comma = s.indexOf(',', i);
      descriptors = s.slice(i, comma === -1 ? s.length : comma);
      i = comma === -1 ? s.length : comma + 1;
    }
    if (!url) continue;
    let width = 0;
    let density = 1;
    for (const d of descriptors.trim().split(/\s+/)) {
      const m = /^(\d+(?:\.\d+)?)([wx])$/i.exec(d);
      if (!m) continue;
      if (m[2]!.toLowerCase() === 'w') width = Number(m[1]);
      else density = Number(m[1]);
    }
    yield { url, width, density };
  }
}
