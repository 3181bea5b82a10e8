import { Inject } from '@nestjs/common';

/** Injection token of the app's one Redis client. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

export const InjectRedis = (): ParameterDecorator => Inject(REDIS_CLIENT);
