#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "opened"
exec /bin/sh -c 'while true; do sleep 3600; done'
