import { DomainError, type Principal, type PublicRenderOptions, type RenderOptions } from '@reelforge/contracts';
import { sourceUrlProblem } from '@reelforge/net-policy';
import type { Uploads } from './uploads.ts';

export interface SourcePolicy {
  allowPrivate: boolean;
}

/** Where a source and its captions are, from a body naming a URL or one of the caller's uploads; URLs pass the SSRF policy. */
export async function resolveSource(
  body: { url: string; captionsUrl?: string } | { uploadId: string; captionsUrl?: string },
  principal: Principal,
  uploads: Uploads,
  policy: SourcePolicy,
): Promise<{ url: string; captionsUrl?: string }> {
  let url: string;
  if ('uploadId' in body) {
    url = await uploads.locate(principal, body.uploadId, { kind: 'video', field: 'body/uploadId' });
  } else {
    const problem = await sourceUrlProblem(body.url, policy);
    if (problem) throw new DomainError('UNPROCESSABLE', `source URL refused: ${problem}`, { field: 'body/url' });
    url = body.url;
  }
  if (!body.captionsUrl) return { url };
  const problem = await sourceUrlProblem(body.captionsUrl, policy);
  if (problem)
    throw new DomainError('UNPROCESSABLE', `captions URL refused: ${problem}`, { field: 'body/captionsUrl' });
  return { url, captionsUrl: body.captionsUrl };
}

/** The orchestrator and repurposer can't see uploads (the gateway owns them): a logo's upload id becomes its media location here. */
export async function resolveOptionUploads(
  options: PublicRenderOptions | undefined,
  principal: Principal,
  uploads: Uploads,
): Promise<RenderOptions | undefined> {
  const logo = options?.logo;
  if (!options || !logo) return options;
  const location = await uploads.locate(principal, logo.uploadId, {
    kind: 'image',
    field: 'body/options/logo/uploadId',
    notFoundIs422: true,
  });
  return { ...options, logo: { ...logo, location } };
}
