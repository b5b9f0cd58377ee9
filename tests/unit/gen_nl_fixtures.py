#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Record real rtnetlink messages for tests/unit/nl_fixtures.h.

Run once, as root, inside tests/isolate.sh (a private network namespace),
then clang-format the header:
    tests/isolate.sh python3 tests/unit/gen_nl_fixtures.py > tests/unit/nl_fixtures.h
It subscribes to the groups fwd listens to, makes one change per step with
ip(8), and prints the first message of the wanted type each step produced,
byte for byte, so the parsers are tested against what the kernel really
sends rather than against messages built by the same hands as the parser.
"""
import socket
import subprocess
import struct
import sys
import time

SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
GROUPS = (1, 5, 7, 3, 24, 8, 11, 32)  # LINK, IPV4_IFADDR, IPV4_ROUTE,
#            NEIGH, IPV4_NETCONF, IPV4_RULE, IPV6_ROUTE, NEXTHOP

NAMES = {16: "RTM_NEWLINK", 17: "RTM_DELLINK", 20: "RTM_NEWADDR",
         21: "RTM_DELADDR", 24: "RTM_NEWROUTE", 25: "RTM_DELROUTE",
         28: "RTM_NEWNEIGH", 29: "RTM_DELNEIGH", 80: "RTM_NEWNETCONF",
         32: "RTM_NEWRULE", 33: "RTM_DELRULE", 104: "RTM_NEWNEXTHOP",
         105: "RTM_DELNEXTHOP"}

# (fixture name, wanted type, substring the message must contain, commands)
STEPS = [
    ("link_new", 16, b"fxa", [
        "ip link add fxa type veth peer name fxb",
        "ip link set fxa address 02:00:00:00:aa:01 mtu 1400",
        "ip link set fxb address 02:00:00:00:bb:01",
        "ip link set fxb up", "ip link set fxa up"]),
    ("netconf_fwd", 80, b"", ["sysctl -qw net.ipv4.conf.fxa.forwarding=1"]),
    ("addr_new", 20, b"", ["ip addr add 10.1.0.1/24 dev fxa"]),
    ("route_connected", 24, socket.inet_aton("10.1.0.0"), None),
    ("neigh_new", 28, b"", [
        "ip neigh replace 10.1.0.2 lladdr 02:00:00:00:00:02 dev fxa "
        "nud reachable"]),
    ("neigh_perm", 28, b"", [
        "ip neigh replace 10.1.0.3 lladdr 02:00:00:00:00:03 dev fxa "
        "nud permanent"]),
    ("route_host_gw", 24, b"", ["ip route add 10.9.0.5/32 via 10.1.0.2"]),
    ("route_multipath", 24, b"", [
        "ip route add 10.8.0.0/24 nexthop via 10.1.0.2 "
        "nexthop via 10.1.0.3"]),
    ("route_blackhole", 24, b"", ["ip route add blackhole 10.7.0.0/16"]),
    ("route_mtu", 24, b"", ["ip route add 10.6.0.0/24 via 10.1.0.2 mtu 1300"]),
    ("nexthop_single", 104, b"", [
        "ip nexthop add id 5 via 10.1.0.2 dev fxa",
        "ip nexthop add id 7 via 10.1.0.3 dev fxa"]),
    ("nexthop_group", 104, b"", ["ip nexthop add id 6 group 5/7"]),
    ("nexthop_blackhole", 104, b"", ["ip nexthop add id 8 blackhole"]),
    ("route_nhid", 24, b"", ["ip route add 10.5.0.0/24 nhid 5"]),
    ("nexthop_del", 105, b"", ["ip nexthop del id 8"]),
    ("route6_multipath", 24, socket.inet_pton(socket.AF_INET6, "2001:db8:5::"), [
        "ip -6 addr add 2001:db8:1::1/64 dev fxa nodad",
        "ip -6 route add 2001:db8:5::/64 nexthop via 2001:db8:1::2 "
        "nexthop via 2001:db8:1::3"]),
    ("neigh_noarp", 28, b"", [
        "ip neigh replace 10.1.0.4 lladdr 02:00:00:00:00:04 dev fxa "
        "nud noarp"]),
    ("neigh_del", 29, b"", ["ip neigh del 10.1.0.2 dev fxa"]),
    ("route_del", 25, b"", ["ip route del 10.9.0.5/32"]),
    ("addr_del", 21, b"", ["ip addr del 10.1.0.1/24 dev fxa"]),
    ("rule_default_main", 32, b"", [
        "ip rule del pref 32766", "ip rule add pref 32766 lookup main"]),
    ("rule_from", 32, b"", ["ip rule add from 10.9.0.0/16 lookup 100 "
                            "pref 100"]),
    ("rule_fwmark", 32, b"", ["ip rule add fwmark 7 lookup 101 pref 101"]),
    ("link_del", 17, b"fxa", ["ip link del fxa"]),
]


def messages(buf):
    off = 0
    while off + 16 <= len(buf):
        ln, typ = struct.unpack_from("=IH", buf, off)
        if ln < 16 or off + ln > len(buf):
            break
        yield typ, buf[off:off + ln]
        off += (ln + 3) & ~3


def drain(s):
    out = []
    while True:
        try:
            out.extend(messages(s.recv(65536)))
        except BlockingIOError:
            return out


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.bind((0, 0))
    for g in GROUPS:
        s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)
    s.setblocking(False)
    print("/* SPDX-License-Identifier: GPL-2.0 */")
    print("/*\n * nl_fixtures.h - rtnetlink messages recorded from a real "
          "kernel\n * by tests/unit/gen_nl_fixtures.py (do not edit).\n */")
    print("#ifndef NL_FIXTURES_H\n#define NL_FIXTURES_H\n")
    print("#include <stdint.h>\n")
    step = []
    for name, want, needle, cmds in STEPS:
        if cmds is not None:
            for c in cmds:
                subprocess.run(c, shell=True, check=True)
            time.sleep(0.05)
            step = drain(s)
        got = [m for t, m in step if t == want and needle in m]
        if not got:
            sys.exit("no %s for %s" % (NAMES[want], name))
        # the link's last message carries its final state (up, MAC, MTU)
        m = got[-1] if name == "link_new" else got[0]
        print("/* %s: %s */" % (NAMES[want], "; ".join(cmds or ["(same step)"])))
        print("static const uint8_t fx_%s[] __attribute__((aligned(4))) = {"
              % name)
        for i in range(0, len(m), 12):
            print("\t" + " ".join("0x%02x," % b for b in m[i:i + 12]))
        print("};\n")
    print("#endif /* NL_FIXTURES_H */")


main()
