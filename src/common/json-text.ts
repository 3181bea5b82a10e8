import { Header } from '@nestjs/common';

/**
 * A response body already serialized as JSON, typed by the shape it encodes. Returned from a
 * handler marked @JsonTextResponse(), Fastify sends it as it is (a string with a JSON content type
 * is not serialized again). For hot routes that write their JSON from cached pieces.
 */
export type JsonText<T> = string & { readonly __encodes?: T };

/** The content type Fastify gives the JSON it serializes itself: the bytes are the same. */
export const JsonTextResponse = (): MethodDecorator =>
  Header('Content-Type', 'application/json; charset=utf-8');
