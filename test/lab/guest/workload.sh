#!/bin/sh
# The ordinary production workload every lab guest runs.
mkdir -p /www/cgi-bin
httpd -p 80 -h /www

# A worker with four threads writing to the raw data disk.
/usr/bin/civic-worker /dev/vda 4 &

# A daemon with a listening TCP socket.
/usr/bin/civic-daemon 7070 &

# A process tree four levels below init: supervisor -> tier2 -> tier3 -> sleep.
/lab/supervisor.sh &
