/**
 * Static pages that people open from links the server prints. For now only the invitation page
 * (`/invite#cinv_...`): plain HTML, one script and one stylesheet from `web/invite/`, read once
 * when the app is built, served with a CSP that allows nothing but same-origin script, style and
 * fetch. The pages are not part of the API, so they are hidden from the OpenAPI document.
 */
import { readFileSync } from 'node:fs';
import type { HttpApp } from '../platform/http.js';

/** src/server and dist/server are both two levels below the repository root. */
const INVITE_DIR = new URL('../../web/invite/', import.meta.url);

/** What a page may load: its own script, style, images and API calls; nothing else, no framing. */
export const PAGE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  connectSrc: ["'self'"],
  imgSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

interface Asset {
  readonly path: string;
  readonly file: string;
  readonly contentType: string;
}

const INVITE_ASSETS: readonly Asset[] = [
  { path: '/invite', file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { path: '/invite/invite.js', file: 'invite.js', contentType: 'text/javascript; charset=utf-8' },
  { path: '/invite/invite.css', file: 'invite.css', contentType: 'text/css; charset=utf-8' },
];

export function registerPages(app: HttpApp): void {
  for (const asset of INVITE_ASSETS) {
    const body = readFileSync(new URL(asset.file, INVITE_DIR));
    app.get(
      asset.path,
      {
        schema: { hide: true },
        helmet: { contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP } },
      },
      async (_request, reply) => reply.type(asset.contentType).send(body),
    );
  }
}
