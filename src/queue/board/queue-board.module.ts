import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule, InjectBullBoard, type BullBoardInstance } from '@bull-board/nestjs';
import {
  type DynamicModule,
  Module,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AuthModule } from '../../auth/auth.module.js';
import { UsersModule } from '../../users/users.module.js';
import { QueueCatalog } from '../queue-catalog.js';
import { QueueBoardAuth, QUEUE_BOARD_PATH, isBoardUrl } from './queue-board-auth.js';

/**
 * Bull Board at /admin/queues for admins: every queue of the app (QueueCatalog), with retry/clean/
 * promote from the UI. Its routes are a Fastify plugin; QueueBoardAuth admits requests to them in
 * an onRequest hook on the whole server (hooks of the root instance reach plugins' routes).
 */
@Module({})
export class QueueBoardModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly admission: QueueBoardAuth,
    private readonly catalog: QueueCatalog,
    @InjectBullBoard() private readonly board: BullBoardInstance,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: QueueBoardModule,
      imports: [
        AuthModule,
        UsersModule,
        BullBoardModule.forRoot({
          route: QUEUE_BOARD_PATH,
          adapter: FastifyAdapter,
          boardOptions: { uiConfig: { boardTitle: 'Conduit queues' } },
        }),
      ],
      providers: [QueueBoardAuth],
    };
  }

  onApplicationBootstrap(): void {
    for (const queue of this.catalog.queues) this.board.addQueue(new BullMQAdapter(queue));
  }

  onModuleInit(): void {
    // An application context (dist/worker.js, CLIs) has no HTTP server: nothing to guard.
    const instance = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!instance) return;
    instance.addHook('onRequest', async (request, reply) => {
      if (isBoardUrl(request.url) && !(await this.admission.admit(request, reply))) return reply;
    });
  }
}
