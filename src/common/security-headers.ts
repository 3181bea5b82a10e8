import helmet from 'helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Security headers on every answer (nosniff, frame-ancestors/X-Frame-Options, HSTS, referrer
 * policy, CSP...) through helmet. The CSP is the one Swagger UI at /docs renders under:
 * its scripts are same-origin files (no inline script), its page carries inline <style> blocks
 * and its icons are data: URLs. JSON answers are not rendered, so the policy costs them nothing.
 *
 * helmet's middleware is built once here and run from an onRequest hook. @fastify/helmet (used
 * before) rebuilds it on every request, re-parsing the CSP directives: about 4 % of the CPU of a
 * list page in a profile, paid by every route.
 */
export function registerSecurityHeaders(app: NestFastifyApplication): void {
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Errors are thrown by helmet 8 (not passed to the callback): none can arise once it is built.
  fastify.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, () => done());
  });
}
