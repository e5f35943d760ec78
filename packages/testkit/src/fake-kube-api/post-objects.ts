/**
 * Objects from Linkerd's "Linkerd as an ingress controller" post, verbatim, for the tests that
 * check Switchyard runs the post unchanged.
 */

/** The post's hello-world Ingress exactly as printed (extensions/v1beta1, no namespace). */
export const POST_HELLO_WORLD_INGRESS_YAML = `apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: hello-world
  annotations:
    kubernetes.io/ingress.class: "linkerd"
spec:
  backend:
    serviceName: world-v1
    servicePort: http
  rules:
  - host: world.v2
    http:
      paths:
      - backend:
          serviceName: world-v2
          servicePort: http
`;
