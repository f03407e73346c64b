#!/bin/sh
# What an analyst should find on a compromised host. The clean variant never runs this.

# An executable deleted after it started.
cp /usr/bin/civic-sleeper /var/tmp/.cache-sync
/var/tmp/.cache-sync &
sleep 1
rm -f /var/tmp/.cache-sync

# An executable running from /tmp.
cp /usr/bin/civic-sleeper /tmp/updater
/tmp/updater &

# LD_PRELOAD in one process's environment.
echo "not a real library" > /tmp/.libhook.so
LD_PRELOAD=/tmp/.libhook.so /usr/bin/civic-sleeper &

# A listener on the classic backdoor port.
/usr/bin/civic-daemon 31337 &

# A process that calls itself a kernel thread.
/usr/bin/civic-sleeper --name '[kworker/0:2]' &

# A shell left running by the web server: the CGI never finishes, so its parent stays httpd.
cp /lab/backdoor.cgi /www/cgi-bin/backdoor.cgi
wget -q -O /dev/null http://127.0.0.1/cgi-bin/backdoor.cgi </dev/null >/dev/null 2>&1 &
