#!/bin/sh
echo "Content-Type: text/plain"
echo ""
echo "civic-lab ok $(hostname) $(cat /proc/uptime)"
