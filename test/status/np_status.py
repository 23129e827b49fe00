#!/usr/bin/env python3
"""Prints Nodepool's own (NP24 nodepool/status.py) table and JSON output for every status
listing, read without caches as the `nodepool` CLI reads them, so the TypeScript listings can be
compared with them character for character.

  NODEPOOL_SRC=... np_status.py --hosts H/chroot --tls-cert C --tls-key K --tls-ca A
"""
import argparse
import json
import os
import sys
import types

sys.path.insert(0, os.environ["NODEPOOL_SRC"])
# nodeutils imports paramiko for ssh-keyscan only; the readers never use it
sys.modules.setdefault("paramiko", types.ModuleType("paramiko"))

from nodepool import status  # noqa: E402
from nodepool.zk import ZooKeeperClient  # noqa: E402
from nodepool.zk.zookeeper import ZooKeeper  # noqa: E402

LIST_FIELDS = ['id', 'provider', 'label', 'server_id', 'public_ipv4', 'ipv6',
               'state', 'age', 'locked']


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--tls-ca", required=True)
    a = p.parse_args()
    client = ZooKeeperClient(a.hosts, tls_cert=a.tls_cert, tls_key=a.tls_key,
                             tls_ca=a.tls_ca)
    client.connect()
    zk = ZooKeeper(client, enable_cache=False)
    out = {}
    for name in ('node_list', 'request_list', 'dib_image_list', 'image_list',
                 'image_status', 'label_list'):
        results = getattr(status, name)(zk)
        out[name] = {'pretty': status.output(results, 'pretty'),
                     'json': status.output(results, 'json')}
    out['list'] = status.output(status.node_list(zk), 'pretty', LIST_FIELDS)
    client.disconnect()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
