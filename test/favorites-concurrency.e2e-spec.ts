import { RedisKeys } from '../src/redis/keys.js';
import { authHeader, registerUser, userId, type RegisteredUser } from './support/factories.js';
import { pollUntil } from './support/poll.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

describe('favorites under concurrency: counts, favoriter sets and likes agree with Postgres', () => {
  let one: TestApp;
  let two: TestApp;
  let keys: RedisKeys;
  let author: RegisteredUser;
  let fans: RegisteredUser[];

  beforeAll(async () => {
    one = await bootApp();
    two = await bootApp();
    keys = one.app.get(RedisKeys);
    await resetState(one);
    author = await registerUser(one);
    fans = [];
    for (let i = 0; i < 12; i++) fans.push(await registerUser(one));
    for (const title of ['Hot take', 'Second take']) {
      await one
        .http()
        .post('/api/articles')
        .set(authHeader(author.token))
        .send({ article: { title, description: 'd', body: 'b' } })
        .expect(201);
    }
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  it('parallel favorites and unfavorites by many users, with reads and cache loss in between', async () => {
    const articleIds: number[] = (await one.db.query(`SELECT id FROM articles ORDER BY id`)).map(
      (row: { id: number }) => row.id,
    );
    // Warm the author's counts and one favoriter set, so deltas land on loaded structures too.
    await one.http().get(`/api/profiles/${author.username}`).expect(200);
    await one.http().get('/api/articles/hot-take').set(authHeader(fans[0].token)).expect(200);

    const operations: (() => Promise<unknown>)[] = [];
    for (let round = 0; round < 6; round++) {
      fans.forEach((fan, i) => {
        const app = (i + round) % 2 ? one : two;
        const slug = (i + round) % 3 ? 'hot-take' : 'second-take';
        const verb = (i * 7 + round) % 3 ? 'post' : 'delete';
        operations.push(() =>
          app.http()[verb](`/api/articles/${slug}/favorite`).set(authHeader(fan.token)).expect(200),
        );
        if (i % 4 === 0) {
          operations.push(() =>
            app.http().get(`/api/articles/${slug}`).set(authHeader(fan.token)).expect(200),
          );
        }
      });
      if (round === 3) {
        operations.push(async () => {
          // One DEL per key: two users' keys are in different slots on Cluster.
          const [authorId, fanId] = [
            await userId(one, author.username),
            await userId(one, fans[0].username),
          ];
          await Promise.all([
            one.redis.del(keys.favorites(fanId)),
            one.redis.del(keys.userCounts(authorId)),
          ]);
        });
      }
    }
    await Promise.all(operations.map((operation) => operation()));

    const authorId = await userId(one, author.username);
    let totalLikes = 0;
    for (const articleId of articleIds) {
      const favoriters: number[] = (
        await one.db.query(`SELECT user_id FROM favorites WHERE article_id = $1 ORDER BY user_id`, [
          articleId,
        ])
      ).map((row: { user_id: number }) => row.user_id);
      const [{ favorites_count: count, slug }] = await one.db.query(
        `SELECT favorites_count, slug FROM articles WHERE id = $1`,
        [articleId],
      );
      expect(count).toBe(favoriters.length);
      totalLikes += favoriters.length;

      const seen = await one.http().get(`/api/articles/${slug}`).expect(200);
      expect(seen.body.article.favoritesCount).toBe(favoriters.length);
      // Each fan's flag matches Postgres (this also rebuilds a lost favorites set).
      for (const fan of fans) {
        const read = await one
          .http()
          .get(`/api/articles/${slug}`)
          .set(authHeader(fan.token))
          .expect(200);
        expect(read.body.article.favorited).toBe(
          favoriters.includes(await userId(one, fan.username)),
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // background set rebuilds
    // Each fan's favorites set, where loaded, holds exactly their favorites in Postgres.
    for (const fan of fans) {
      const fanId = await userId(one, fan.username);
      const favorited: number[] = (
        await one.db.query(
          `SELECT article_id FROM favorites WHERE user_id = $1 ORDER BY article_id`,
          [fanId],
        )
      ).map((row: { article_id: number }) => row.article_id);
      const members = await one.redis.sMembers(keys.favorites(fanId));
      if (members.length) {
        expect(
          members
            .filter((m) => m !== '#')
            .map(Number)
            .sort((a, b) => a - b),
        ).toEqual(favorited);
      }
    }
    // A write confirmed late (a loaded machine: a Redis timeout, or past OUTBOX_GRACE_MS) is
    // applied by a relay, which recounts the author and drops the hash for a lazy refill: wait
    // until no outbox row is left, so the read below fills the hash and nothing drops it after.
    const outboxRows = async (): Promise<number> =>
      Number((await one.db.query(`SELECT count(*)::int AS n FROM cache_outbox`))[0].n);
    expect(await pollUntil(outboxRows, (rows) => rows === 0, 15_000)).toBe(0);
    const profile = await one.http().get(`/api/profiles/${author.username}`).expect(200);
    expect(profile.body.profile.favoritesReceivedCount).toBe(totalLikes);
    // The read fills the hash; a fill whose write timed out on a loaded machine is retried by the
    // next read, so read again until the hash is there.
    const likesInHash = await pollUntil(
      async () => {
        await one.http().get(`/api/profiles/${author.username}`).expect(200);
        return one.redis.hGet(keys.userCounts(authorId), 'likes');
      },
      (likes) => likes !== null,
      5_000,
    );
    expect(likesInHash).toBe(String(totalLikes));
    expect(Number(await one.redis.zScore(keys.leaderboard('likes'), String(authorId)))).toBe(
      totalLikes,
    );
  });
});
