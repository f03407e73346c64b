#!/bin/sh
/bin/sh /lab/tier3.sh
echo "tier3 ended"
