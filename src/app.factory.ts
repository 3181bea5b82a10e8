import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import {
  RealWorldExceptionFilter,
  replyToFrameworkError,
} from './common/realworld-exception.filter.js';
import { replyToClientError } from './common/client-errors.js';
import { requestIdOf } from './common/request-id.js';
import { registerSecurityHeaders } from './common/security-headers.js';
import { installBodyParsers } from './common/body-parsers.js';
import { corsOptions } from './common/cors.js';
import { createValidationPipe } from './common/validation.js';
import { docsEnabled, trustProxy } from './config/env-readers.js';
import { validateEnv } from './config/env.schema.js';

/**
 * Builds the whole HTTP application; `main.ts` listens on it, the e2e tests drive it in-process.
 * Keeping both on this one function means the tests exercise exactly what production runs.
 */
export async function createApp(
  options: AppModuleOptions & { docs?: boolean } = {},
): Promise<NestFastifyApplication> {
  // Validated here too because the adapter needs the body limit before Nest's config module runs.
  const env = validateEnv({ ...process.env, ...options.env });
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    genReqId: requestIdOf,
    requestIdHeader: false,
    trustProxy: trustProxy(env),
    frameworkErrors: replyToFrameworkError,
    clientErrorHandler: replyToClientError,
    // Nest's logger (pino) logs requests; Fastify's own would log them twice.
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    // The API's own parsers (src/common/body-parsers.ts) replace Nest's defaults.
    { bufferLogs: true, bodyParser: false },
  );
  installBodyParsers(app.getHttpAdapter().getInstance());
  app.useLogger(app.get(Logger));
  registerSecurityHeaders(app);
  // Every answer carries its request id, so a client can quote it and we can find the log line.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.header('x-request-id', request.id);
      done();
    });
  app.setGlobalPrefix('api', {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      // Bull Board (src/queue/board): a UI for people, beside /docs rather than under /api.
      { path: 'admin/queues', method: RequestMethod.ALL },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new RealWorldExceptionFilter());
  app.enableCors(corsOptions(env));
  app.enableShutdownHooks();

  if (options.docs !== false && docsEnabled(env)) setUpDocs(app);
  return app;
}

/** OpenAPI document and Swagger UI at /docs. */
function setUpDocs(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, openApiDocument(app));
}

/** The app's OpenAPI document (served at /docs-json; the fuzz tests drive every route in it). */
export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Conduit API')
      .setDescription('RealWorld (Conduit) API with follows, stats and leaderboards extensions')
      .setVersion('1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization' }, 'Token')
      .build(),
  );
}
