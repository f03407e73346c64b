#!/bin/sh
/bin/sleep 100000
echo "sleep ended"
