import { randomBytes } from 'node:crypto';

/** URL-safe slug from a title: lower-case letters and digits (any script) joined by dashes. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200)
    .replace(/-+$/, '');
  return slug || 'article';
}

/** The slug to try after a clash: the base plus a short random suffix. */
export function withSuffix(base: string): string {
  return `${base}-${randomBytes(4).toString('hex')}`;
}
