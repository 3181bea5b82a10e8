import type { Env } from './env.schema.js';

/** Whether /docs and /docs-json are served: DOCS_ENABLED, or on everywhere but production. */
export function docsEnabled(env: Pick<Env, 'DOCS_ENABLED' | 'NODE_ENV'>): boolean {
  return env.DOCS_ENABLED ?? env.NODE_ENV !== 'production';
}

/** TRUST_PROXY as Fastify's trustProxy option. */
export function trustProxy(env: Pick<Env, 'TRUST_PROXY'>): boolean | string[] {
  const value = env.TRUST_PROXY.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  return value.split(',').map((entry) => entry.trim());
}

/** The normalized (trimmed, lower-cased, like stored emails) list of ADMIN_EMAILS. */
export function adminEmails(env: Pick<Env, 'ADMIN_EMAILS'>): string[] {
  return env.ADMIN_EMAILS.split(',')
    .map((email) => email.trim().toLowerCase())
    .filter((email) => email !== '');
}
