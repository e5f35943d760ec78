/**
 * @packageDocumentation `@switchyard/balancers/experimental`: the parts the gRPC response
 * classifier is built from (the built-in classifiers by kind, the HTTP → gRPC status mapping, the
 * default retryable codes), for writing a classifier of one's own. Not covered by semver; the root
 * entry's `grpcResponseClassifier` is the stable API.
 */
export { grpcClassifiers, grpcCodeOf, grpcRetryableStatusCodes } from './grpc-classifiers.js';
