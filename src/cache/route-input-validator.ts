import type { ExecutionContext, PipeTransform, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { FastifyRequest } from 'fastify';
import { createValidationPipe } from '../common/validation.js';

interface RouteArgument {
  index: number;
  data?: string;
  pipes?: unknown[];
}

const SCREENED: Partial<Record<number, 'query' | 'param'>> = {
  [RouteParamtypes.QUERY]: 'query',
  [RouteParamtypes.PARAM]: 'param',
};

/**
 * Runs the route's query and path-parameter validation ahead of time. Nest runs interceptors before
 * pipes, so a caching interceptor that answered first would serve a request a cold cache rejects
 * (`?limit=14&foo=bar`): calling this before the lookup makes warm and cold answers equal. It uses
 * the same pipe as the global one, then the argument's own pipes (ParseIntPipe...).
 */
export class RouteInputValidator {
  private readonly pipe = createValidationPipe();

  async validate(context: ExecutionContext): Promise<void> {
    const controller = context.getClass<object>();
    const prototype = controller.prototype as object;
    const handler = context.getHandler();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ??
      {}) as Record<string, RouteArgument>;
    const types = (Reflect.getMetadata('design:paramtypes', prototype, handler.name) ??
      []) as Type[];
    for (const [key, argument] of Object.entries(args)) {
      const type = SCREENED[Number(key.split(':')[0])];
      if (type === undefined) continue;
      const source = (type === 'query' ? request.query : request.params) as Record<string, unknown>;
      const raw = argument.data === undefined ? source : source?.[argument.data];
      const metadata = { type, data: argument.data, metatype: types[argument.index] };
      let value = await this.pipe.transform(raw, metadata);
      for (const pipe of argument.pipes ?? []) {
        if (typeof (pipe as PipeTransform).transform === 'function') {
          value = await (pipe as PipeTransform).transform(value, metadata);
        }
      }
    }
  }
}
