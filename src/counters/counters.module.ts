import { Global, Module } from '@nestjs/common';
import { UserCountersService } from './user-counters.service.js';

/** Per-user counts and leaderboards, fed by the feature modules that own each metric. */
@Global()
@Module({
  providers: [UserCountersService],
  exports: [UserCountersService],
})
export class CountersModule {}
