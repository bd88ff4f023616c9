#!/bin/sh
# Test plugin `parameters.dynamic`: announces one parameter as a JSON array.
echo '[{"name": "dyn", "title": "from the command", "string": "d"}]'
