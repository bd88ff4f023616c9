#!/bin/sh
# Test plugin `generate`: concatenates the app directory's YAML files as one stream.
set -e
for f in *.yaml; do
  echo "---"
  cat "$f"
done
