/**
 * @packageDocumentation
 * HTTP/2 and gRPC pieces of the router (`@switchyard/router/h2`): the HTTP/1.1 ↔ HTTP/2 message
 * mapping, the upstream HTTP/2 pool (node:http2), router errors as trailers-only gRPC responses,
 * and `grpc-timeout` parsing. The router's server and client stacks do not use them yet.
 */
export type { GrpcStatusCode, GrpcTrailersOnly } from './h2/grpc-status.js';
export {
  decodeGrpcMessage,
  encodeGrpcMessage,
  GrpcStatus,
  grpcErrorResponse,
  grpcStatusForCode,
  isGrpcRequest,
} from './h2/grpc-status.js';
export type { GrpcDeadlineOptions, GrpcTimeout } from './h2/grpc-timeout.js';
export { formatGrpcTimeout, parseGrpcTimeout, requestDeadlineMs } from './h2/grpc-timeout.js';
export type { Fields, H1RequestHead, H2RequestRead, OutFields } from './h2/message-map.js';
export {
  connectionNames,
  endToEndFields,
  forwardableTrailers,
  h1RequestToH2,
  h1ResponseToH2,
  h2RequestToH1,
  h2ResponseToH1,
  teAllowsTrailers,
  trailerAnnouncement,
} from './h2/message-map.js';
export type { H2PoolOptions } from './h2/pool.js';
export { H2Pool } from './h2/pool.js';
