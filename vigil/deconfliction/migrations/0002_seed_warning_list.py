"""Seed the warning list: private and reserved IP ranges, public resolvers, free-mail domains."""

import ipaddress

from django.db import migrations

RESERVED_V4 = {
    "0.0.0.0/8": "this network (RFC 791)",
    "10.0.0.0/8": "private (RFC 1918)",
    "100.64.0.0/10": "carrier-grade NAT (RFC 6598)",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local",
    "172.16.0.0/12": "private (RFC 1918)",
    "192.0.0.0/24": "IETF protocol assignments",
    "192.0.2.0/24": "documentation (TEST-NET-1)",
    "192.88.99.0/24": "6to4 relay anycast (deprecated)",
    "192.168.0.0/16": "private (RFC 1918)",
    "198.18.0.0/15": "benchmarking",
    "198.51.100.0/24": "documentation (TEST-NET-2)",
    "203.0.113.0/24": "documentation (TEST-NET-3)",
    "224.0.0.0/4": "multicast",
    "240.0.0.0/4": "reserved",
    "255.255.255.255/32": "broadcast",
}
RESERVED_V6 = {
    "::/128": "unspecified",
    "::1/128": "loopback",
    "::ffff:0:0/96": "IPv4-mapped",
    "64:ff9b::/96": "IPv4/IPv6 translation",
    "100::/64": "discard-only",
    "2001::/23": "IETF protocol assignments",
    "2001:db8::/32": "documentation",
    "fc00::/7": "unique local",
    "fe80::/10": "link-local",
    "ff00::/8": "multicast",
}
RESOLVERS = {
    "8.8.8.8": "Google Public DNS",
    "8.8.4.4": "Google Public DNS",
    "2001:4860:4860::8888": "Google Public DNS",
    "2001:4860:4860::8844": "Google Public DNS",
    "1.1.1.1": "Cloudflare DNS",
    "1.0.0.1": "Cloudflare DNS",
    "2606:4700:4700::1111": "Cloudflare DNS",
    "2606:4700:4700::1001": "Cloudflare DNS",
    "9.9.9.9": "Quad9 DNS",
    "149.112.112.112": "Quad9 DNS",
    "2620:fe::fe": "Quad9 DNS",
    "208.67.222.222": "OpenDNS",
    "208.67.220.220": "OpenDNS",
    "94.140.14.14": "AdGuard DNS",
    "94.140.15.15": "AdGuard DNS",
    "64.6.64.6": "Verisign DNS",
    "64.6.65.6": "Verisign DNS",
}
FREE_MAIL = """
gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com rocketmail.com
hotmail.com hotmail.co.uk hotmail.fr outlook.com live.com msn.com aol.com
icloud.com me.com mac.com proton.me protonmail.com protonmail.ch pm.me
gmx.com gmx.net gmx.de web.de mail.com mail.ru inbox.ru list.ru bk.ru
yandex.ru yandex.com qq.com 163.com 126.com sina.com zoho.com
tutanota.com tuta.io hushmail.com fastmail.com comcast.net
""".split()


def seed(apps, schema_editor):
    Entry = apps.get_model("deconfliction", "WarningListEntry")
    rows = []
    for cidr, note in {**RESERVED_V4, **RESERVED_V6}.items():
        net = ipaddress.ip_network(cidr)
        rows.append(Entry(type="ip", value=str(net), note=f"Reserved range: {note}"))
    for ip, note in RESOLVERS.items():
        rows.append(
            Entry(type="ip", value=str(ipaddress.ip_address(ip)), note=f"Public resolver: {note}")
        )
    for domain in FREE_MAIL:
        rows.append(Entry(type="domain", value=domain, note="Free-mail provider"))
    Entry.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    Entry = apps.get_model("deconfliction", "WarningListEntry")
    Entry.objects.filter(added_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("deconfliction", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
