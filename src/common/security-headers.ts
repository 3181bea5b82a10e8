import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Security headers on every answer (nosniff, frame-ancestors/X-Frame-Options, HSTS, referrer
 * policy, CSP...) through @fastify/helmet. The CSP is the one Swagger UI at /docs renders under:
 * its scripts are same-origin files (no inline script), its page carries inline <style> blocks
 * and its icons are data: URLs. JSON answers are not rendered, so the policy costs them nothing.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication): Promise<void> {
  await app.register(helmet, {
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
}
