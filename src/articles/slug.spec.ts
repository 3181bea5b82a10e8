import { slugify, withSuffix } from './slug.js';

describe('slugify', () => {
  it.each([
    ['How to train your dragon', 'how-to-train-your-dragon'],
    ['  Ça va?  Très bien!! ', 'ca-va-tres-bien'],
    ['Über 9000 — „quotes“', 'uber-9000-quotes'],
    ['日本語のタイトル', '日本語のタイトル'],
    ['!!!', 'article'],
  ])('%p -> %p', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('caps the length and never ends with a dash', () => {
    const slug = slugify('word '.repeat(100));
    expect(slug.length).toBeLessThanOrEqual(200);
    expect(slug.endsWith('-')).toBe(false);
  });

  it('suffixes clashes with a random tag', () => {
    expect(withSuffix('dragon')).toMatch(/^dragon-[0-9a-f]{8}$/);
    expect(withSuffix('dragon')).not.toBe(withSuffix('dragon'));
  });
});
