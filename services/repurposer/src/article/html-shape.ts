/**
 * The page with explicit <html>, <head> and <body>. HTML lets pages omit them (minifiers do), but
 * linkedom does not imply them as browsers do: without a <body>, Readability finds nothing to read.
 */
export function withDocumentShape(html: string): string {
  if (/<html[\s>]/iu.test(html) && /<body[\s>]/iu.test(html)) return html;
  const htmlAttributes = /<html(\s[^>]*)?>/iu.exec(html)?.[1] ?? '';
  let rest = html.replace(/<!doctype[^>]*>/iu, '').replace(/<\/?html(?:\s[^>]*)?>/giu, '');
  let head = '';
  const headElement = /<head(?:\s[^>]*)?>([\s\S]*?)<\/head>/iu.exec(rest);
  if (headElement) {
    head = headElement[1]!;
    rest = rest.replace(headElement[0], '');
  }
  // Head-only elements left outside a <head> still work from the body: meta and title are looked up anywhere.
  rest = rest.replace(/<\/?body(?:\s[^>]*)?>/giu, '');
  return `<!DOCTYPE html><html${htmlAttributes}><head>${head}</head><body>${rest}</body></html>`;
}
