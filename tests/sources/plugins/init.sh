#!/bin/sh
# Test plugin `init`: leaves a marker in the working directory for `generate` to read.
set -e
echo "initialized-by-init" > .plugin-init-marker
