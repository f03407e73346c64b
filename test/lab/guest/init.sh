#!/bin/sh
# PID 1 of every lab guest. The kernel command line picks the personality:
#   civic.variant=clean|compromised   planted oddities or none
#   civic.agent=qga|ssh               how the host reaches the guest
#   civic.net=A.B.C.D/N civic.gw=G    a static address and gateway (default 10.0.2.15/24 via 10.0.2.2)
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/tmp /var/run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp

variant=clean
agent=qga
address=10.0.2.15/24
gateway=10.0.2.2
for word in $(cat /proc/cmdline); do
  case "$word" in
    civic.variant=*) variant="${word#civic.variant=}" ;;
    civic.agent=*) agent="${word#civic.agent=}" ;;
    civic.net=*) address="${word#civic.net=}" ;;
    civic.gw=*) gateway="${word#civic.gw=}" ;;
  esac
done
echo "civic-lab: variant=$variant agent=$agent address=$address gateway=$gateway"

# The cloud kernel ships virtio as modules without modules.dep: the build wrote the dependency order.
for module in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$module.ko" || echo "civic-lab: insmod $module failed"
done

hostname "lab-$variant"
ifconfig lo 127.0.0.1 up
ip addr add "$address" brd + dev eth0
ip link set eth0 up
ip route add default via "$gateway"

if [ "$agent" = qga ]; then
  port=""
  for name_file in /sys/class/virtio-ports/*/name; do
    [ -f "$name_file" ] || continue
    if [ "$(cat "$name_file")" = org.qemu.guest_agent.0 ]; then
      port="/dev/$(basename "$(dirname "$name_file")")"
    fi
  done
  if [ -n "$port" ]; then
    qemu-ga -m virtio-serial -p "$port" -t /run &
  else
    echo "civic-lab: no qemu-ga port found"
  fi
else
  mkdir -p /run/sshd /root/.ssh
  chmod 700 /root/.ssh
  cp /etc/lab/authorized_keys /root/.ssh/authorized_keys
  /usr/sbin/sshd -f /etc/ssh/sshd_config -E /run/sshd.log
fi

/lab/workload.sh
if [ "$variant" = compromised ]; then
  /lab/plant.sh
fi
# The web service with a tuning knob (/etc/civic-web.conf), on :8080.
civic-web-ctl start
echo "civic-lab: ready"

# PID 1 must never exit; waiting also reaps the children it started.
while true; do
  wait
  sleep 60
done
