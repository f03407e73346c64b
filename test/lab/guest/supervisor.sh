#!/bin/sh
# Restarts its child like a real supervisor would: init -> supervisor -> tier2 -> tier3 -> sleep.
while true; do
  /bin/sh /lab/tier2.sh
  sleep 5
done
