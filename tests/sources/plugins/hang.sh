#!/bin/sh
# Test plugin that never finishes on its own (stopped by the timeout).
sleep 60
echo "too late"
