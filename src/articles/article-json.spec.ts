import type { PublicProfile } from '../users/public-profile.js';
import { type ArticleParts, articlesPageJson, singleArticleJson } from './article-json.js';
import type { SharedArticle } from './article.model.js';

const article = (id: number, overrides: Partial<SharedArticle> = {}): SharedArticle => ({
  id,
  slug: `slug-${id}`,
  title: `Title "${id}" \u00e9\u2028`,
  description: 'line\nbreak \\ and </script>',
  tagList: ['a', 'b "q"'],
  createdAt: '2026-11-24T00:00:00.000Z',
  updatedAt: '2026-11-24T00:00:01.000Z',
  authorId: 7,
  favoritesCount: 3,
  viewsCount: 10,
  body: 'The body \ud83d\ude00',
  ...overrides,
});
const author: PublicProfile = { id: 7, username: 'jake', bio: null, image: 'https://i/x.png' };

/** What JSON.stringify makes of the view objects the presenter used to build. */
const expected = (parts: ArticleParts, withBody: boolean) => ({
  slug: parts.article.slug,
  title: parts.article.title,
  description: parts.article.description,
  body: withBody ? parts.article.body : undefined,
  tagList: parts.article.tagList,
  createdAt: parts.article.createdAt,
  updatedAt: parts.article.updatedAt,
  favorited: parts.favorited,
  favoritesCount: parts.article.favoritesCount,
  viewsCount: parts.viewsCount,
  author: {
    username: parts.author.username,
    bio: parts.author.bio,
    image: parts.author.image,
    following: parts.following,
  },
});

describe('article JSON', () => {
  const first: ArticleParts = {
    article: article(1),
    author,
    following: true,
    favorited: false,
    viewsCount: 12,
  };
  const second: ArticleParts = {
    article: article(2, { tagList: [] }),
    author: { ...author, bio: 'a "bio"', image: null },
    following: false,
    favorited: true,
    viewsCount: 0,
  };

  it('writes a page byte for byte as JSON.stringify wrote the view objects, without bodies', () => {
    const text = articlesPageJson([first, second], 42);
    expect(text).toBe(
      JSON.stringify({
        articles: [expected(first, false), expected(second, false)],
        articlesCount: 42,
      }),
    );
  });

  it('writes a single article with its body', () => {
    expect(singleArticleJson(first)).toBe(JSON.stringify({ article: expected(first, true) }));
  });

  it('writes an empty page', () => {
    expect(JSON.parse(articlesPageJson([], 0))).toEqual({ articles: [], articlesCount: 0 });
  });

  it('reuses the serialized pieces of the same objects but never mixes viewers', () => {
    const asOther = { ...first, following: false, favorited: true, viewsCount: 13 };
    articlesPageJson([first], 1);
    expect(articlesPageJson([asOther], 1)).toBe(
      JSON.stringify({ articles: [expected(asOther, false)], articlesCount: 1 }),
    );
    // The list piece (no body) and the single piece (body) of one object are kept apart.
    expect(JSON.parse(singleArticleJson(first)).article.body).toBe(first.article.body);
    expect(JSON.parse(articlesPageJson([first], 1)).articles[0].body).toBeUndefined();
  });
});
