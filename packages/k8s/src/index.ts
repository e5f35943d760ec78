/** @packageDocumentation A small Kubernetes API client on undici: in-cluster, kubeconfig or URL; list+watch informers with resourceVersion, bookmarks and 410 relists. */
export const PACKAGE_NAME = '@switchyard/k8s';
