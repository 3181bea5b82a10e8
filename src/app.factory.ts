import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import {
  RealWorldExceptionFilter,
  replyToFrameworkError,
} from './common/realworld-exception.filter.js';
import { requestIdOf } from './common/request-id.js';
import { createValidationPipe } from './common/validation.js';
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
    frameworkErrors: replyToFrameworkError,
    // Nest's logger (pino) logs requests; Fastify's own would log them twice.
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
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
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new RealWorldExceptionFilter());
  app.enableCors({
    origin: env.CORS_ORIGIN === '*' ? true : env.CORS_ORIGIN.split(',').map((o) => o.trim()),
    exposedHeaders: ['x-request-id'],
  });
  app.enableShutdownHooks();

  if (options.docs !== false) setUpDocs(app);
  return app;
}

/** OpenAPI document and Swagger UI at /docs. */
function setUpDocs(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Conduit API')
      .setDescription('RealWorld (Conduit) API with follows, stats and leaderboards extensions')
      .setVersion('1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization' }, 'Token')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
