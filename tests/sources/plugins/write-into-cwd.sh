#!/bin/sh
# Test plugin that writes into its working directory (which must be a scratch copy).
set -e
echo "scribble" > written-by-plugin.txt
echo "apiVersion: v1"
echo "kind: ConfigMap"
echo "metadata: {name: wrote}"
