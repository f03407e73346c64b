#!/bin/sh
# The echo keeps this shell alive as the parent: a shell may exec its last command in place.
/bin/sleep 100000
echo "sleep ended"
