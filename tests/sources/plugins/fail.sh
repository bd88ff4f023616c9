#!/bin/sh
# Test plugin that fails: some stdout, an error on stderr, exit code 3.
echo "partial output"
echo "line one of the error" >&2
echo "helm: template render failed: values.yaml: missing key" >&2
exit 3
