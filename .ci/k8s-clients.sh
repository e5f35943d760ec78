#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for the real-client tests of the testkit's Kubernetes
# API server (packages/testkit/test/{kubectl,python-client,client-node}.test.ts):
# - python3-kubernetes (apt): the official Python client, imported by the system python3;
# - kubectl: not installed here (it is not in Debian's archive); when absent the kubectl tests
#   skip and say so. @kubernetes/client-node comes from the lockfile (pnpm install).
# Idempotent; called by .ci/run before the tests.
set -euo pipefail

missing=()
if ! /usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1; then
  missing+=(python3-kubernetes)
fi
if ((${#missing[@]})); then
  echo "k8s-clients: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if command -v kubectl >/dev/null 2>&1; then
  echo "k8s-clients: kubectl $(kubectl version --client 2>/dev/null | head -n1 | sed 's/Client Version: //')"
else
  echo "k8s-clients: kubectl not found; the kubectl tests will be skipped"
fi
