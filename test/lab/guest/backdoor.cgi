#!/bin/sh
echo "Content-Type: text/plain"
echo ""
echo "opened"
exec /bin/sh -c 'while true; do sleep 3600; done'
