#!/bin/sh
# CGI headers end in CRLF: strict HTTP clients (Node) reject bare LF.
printf 'Content-Type: text/plain\r\n\r\n'
echo "civic-lab ok $(hostname) $(cat /proc/uptime)"
