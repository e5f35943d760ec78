/**
 * What the response classifier is shown about a response: the method, the status and, when the
 * response carries one (gRPC: trailers-only responses in the head, others in the trailers),
 * `grpc-status`, so that the gRPC classifiers of `@switchyard/balancers` work as the router's
 * `responseClassifier`. HTTP classifiers ignore the extra field.
 */
import type { ClassifierInput } from '@switchyard/balancers';

type FieldsIn = Readonly<Record<string, string | readonly string[] | undefined>> | undefined;

/** The classifier input for a response; `grpc-status` is read from `trailers`, else from `headers`. */
export function classifierInput(
  method: string,
  status: number,
  headers: FieldsIn,
  trailers?: FieldsIn,
): ClassifierInput & { readonly grpcStatus?: string } {
  const grpc = trailers?.['grpc-status'] ?? headers?.['grpc-status'];
  if (grpc === undefined) return { method, status };
  return { method, status, grpcStatus: typeof grpc === 'string' ? grpc : grpc[0] };
}
