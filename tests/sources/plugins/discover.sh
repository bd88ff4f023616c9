#!/bin/sh
# Test plugin `discover.find.command`: claims an app directory holding `.use-test-plugin`.
# With an argument, records its ARGOCD_* / KUBE_* / PARAM_* environment into that file.
if [ -n "$1" ]; then
  env | grep -E '^(ARGOCD_|KUBE_|PARAM_)' | sort > "$1"
fi
if [ -f .use-test-plugin ]; then
  echo "yes"
fi
exit 0
