import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authHeader, registerUser, type RegisteredUser } from './support/factories.js';
import { bootApp, resetState, type TestApp } from './support/test-app.js';

describe('Bull Board at /admin/queues and queue metrics', () => {
  let t: TestApp;
  let admin: RegisteredUser;
  let user: RegisteredUser;

  beforeAll(async () => {
    t = await bootApp({ ADMIN_EMAILS: 'queue-admin@example.com' });
    await resetState(t);
    admin = await registerUser(t, { email: 'queue-admin@example.com' });
    user = await registerUser(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('401 without a token, on the page and on its API', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const response = await t.http().get(path).expect(401);
      expect(response.body).toEqual({ errors: { body: ['missing authorization token'] } });
    }
    await t.http().get('/admin/queues').set(authHeader('not-a-jwt')).expect(401);
  });

  it('403 for a signed-in user who is not an admin', async () => {
    const response = await t.http().get('/admin/queues').set(authHeader(user.token)).expect(403);
    expect(response.body).toEqual({ errors: { body: ['admin role required'] } });
  });

  it('200 for an admin: the page, its assets and every queue in its API', async () => {
    const page = await t.http().get('/admin/queues').set(authHeader(admin.token)).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<base href="/admin/queues/"');
    // Helmet's CSP lets the page run: its scripts and styles are same-origin files.
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)![1];
    await t.http().get(`/admin/queues/${script}`).set(authHeader(admin.token)).expect(200);
    await t.http().get(`/admin/queues/${script}`).expect(401);

    const api = await t
      .http()
      .get('/admin/queues/api/queues')
      .set(authHeader(admin.token))
      .expect(200);
    const names = (api.body as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['stats', 'timelines', 'views']);
  });

  it('a browser gets in with the token in the conduit_admin_token cookie; cross-site writes are refused', async () => {
    const cookie = `conduit_admin_token=${admin.token}`;
    await t.http().get('/admin/queues').set('Cookie', cookie).expect(200);
    await t
      .http()
      .get('/admin/queues')
      .set('Cookie', `conduit_admin_token=${user.token}`)
      .expect(403);
    const crossSite = await t
      .http()
      .put('/admin/queues/api/queues/views/pause')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(403);
    expect(crossSite.body).toEqual({ errors: { body: ['cross-site request refused'] } });
  });

  it('/metrics: queue depth per state, job duration histogram, failures counter', async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    for (const queue of ['stats', 'views'])
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(text).toMatch(
          new RegExp(`^queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+$`, 'm'),
        );
    expect(text).toMatch(/^# TYPE queue_job_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE queue_job_failures_total counter$/m);
  });
});
