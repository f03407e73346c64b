#!/bin/sh
# Run inside a lab guest through qemu-ga: one line per finding, "KIND PID DETAIL".
# It reads /proc the way an analyst would, so a finding is only reported if it is really there.
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [ -r "$dir/stat" ] || continue
  comm=$(cat "$dir/comm" 2>/dev/null)
  stat=$(cat "$dir/stat" 2>/dev/null)
  rest=${stat##*) }
  set -- $rest
  ppid=$2
  exe=$(readlink "$dir/exe" 2>/dev/null)
  threads=$(sed -n 's/^Threads:[[:space:]]*//p' "$dir/status" 2>/dev/null)
  case "$exe" in
    *" (deleted)") echo "deleted-exe $pid $exe" ;;
    /tmp/*) echo "tmp-exe $pid $exe" ;;
  esac
  if tr '\0' '\n' < "$dir/environ" 2>/dev/null | grep -q '^LD_PRELOAD='; then echo "ld-preload $pid $comm"; fi
  if [ "$comm" = sh ] && [ "$(cat /proc/$ppid/comm 2>/dev/null)" = httpd ]; then echo "httpd-shell $pid ppid=$ppid"; fi
  case "$comm" in "["*) [ -n "$exe" ] && echo "fake-kernel-name $pid $comm" ;; esac
  [ -n "$threads" ] && [ "$threads" -ge 4 ] && echo "multi-threaded $pid $comm threads=$threads"
  echo "process $pid ppid=$ppid comm=$comm"
done
for entry in 0050:80 1B9E:7070 7A69:31337; do
  if grep -qi ":${entry%%:*} [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then echo "listener-${entry#*:} 0 tcp"; fi
done
true
