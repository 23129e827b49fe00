#!/usr/bin/env python3
"""A Zuul stand-in written with kazoo: the Nodepool-facing half of a Zuul scheduler/executor.

It follows spec/zk-protocol.md §6 (Zuul >= 5, "Zmod" semantics) or, with --z19, the 2019
scheduler (ephemeral requests, no user_data). Use it as a CLI (one JSON document on stdout) or
import it (ZuulStandin) from other Python test code.

  zuul_standin.py --hosts H [--chroot /c] [--tls-cert C --tls-key K --tls-ca A] COMMAND

Commands:
  request --label L [--label L2 ...] [--priority 200] [--relative-priority 0]
          [--tenant T] [--provider P] [--wait] [--timeout S] [--use] [--job-seconds S]
          [--release | --hold COMMENT] [--z19]
      Submit a node request. --wait: until fulfilled/failed. --use: accept the nodes like the
      executor (check allocated_to, lock blocking 30 s, delete the request, set in-use).
      --release: set used and unlock. --hold: set hold (+ hold_job, comment) and unlock.
      Prints {"request_id", "state", "created": <doc>, "final": <doc>, "nodes": {...}, ...}.
  cancel --id ID          delete a request without locking it (what Zuul does)
  show-request --id ID    print the request document
  show-node --id ID       print the node document
  list-requests           print all requests
  audit                   check every request and node against what Zuul and the CLI need
                          (spec §7): {"ok": bool, "problems": [...]}
  system-id               print (and create if missing) Zuul's system id from /zuul-system

Exit status: 0 on success (including a failed request: see "state"), 2 on a timeout.
"""
import argparse
import json
import re
import sys
import time
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout, NoNodeError

REQUEST_ROOT = "/nodepool/requests"
REQUEST_LOCK_ROOT = "/nodepool/requests-lock"
NODE_ROOT = "/nodepool/nodes"
SYSTEM_ROOT = "/zuul-system"


class StandinError(Exception):
    pass


class ZuulStandin:
    def __init__(self, hosts, chroot=None, tls=None, timeout=10.0):
        if chroot:
            hosts = hosts + chroot
        kwargs = {}
        if tls:
            kwargs = dict(use_ssl=True, certfile=tls["cert"], keyfile=tls["key"], ca=tls["ca"], verify_certs=True)
        self.zk = KazooClient(hosts=hosts, timeout=timeout, **kwargs)
        self.zk.start(timeout=30)
        self.node_locks = {}

    def close(self):
        self.zk.stop()
        self.zk.close()

    # -- identity --------------------------------------------------------------------------
    def system_id(self):
        """Zmod's /zuul-system {"system_id": <uuid4 hex>} (zuul/zk/system.py)."""
        try:
            data, _ = self.zk.get(SYSTEM_ROOT)
            return json.loads(data)["system_id"]
        except NoNodeError:
            sid = uuid.uuid4().hex
            try:
                self.zk.create(SYSTEM_ROOT, json.dumps({"system_id": sid}).encode("utf8"), makepath=True)
            except Exception:
                data, _ = self.zk.get(SYSTEM_ROOT)
                return json.loads(data)["system_id"]
            return sid

    # -- requests --------------------------------------------------------------------------
    def submit(self, labels, priority=200, relative_priority=0, tenant="example", provider=None, z19=False):
        now = time.time()
        if z19:
            # Z19 NodeRequest.toDict + zk.submitNodeRequest: ephemeral, seven keys
            doc = {"node_types": labels, "requestor": "zuul01.example.com", "created_time": now,
                   "provider": provider, "state": "requested", "state_time": now,
                   "relative_priority": relative_priority}
        else:
            # Zmod NodeRequest.toDict order, persistent; span_info with >53-bit integers
            doc = {
                "requestor_data": {
                    "build_set_uuid": uuid.uuid4().hex, "tenant_name": tenant,
                    "pipeline_name": "check", "job_uuid": uuid.uuid4().hex, "job_name": "tox-py311",
                    "span_info": {"name": "RequestNodes", "trace_id": uuid.uuid4().int,
                                  "span_id": uuid.uuid4().int >> 64, "trace_flags": 1,
                                  "start_time": time.time_ns(), "parent": None},
                },
                "node_types": labels, "requestor": self.system_id(), "created_time": now,
                "provider": provider, "state": "requested", "state_time": now,
                "relative_priority": relative_priority, "event_id": uuid.uuid4().hex,
                "tenant_name": tenant,
            }
        path = self.zk.create("%s/%s-" % (REQUEST_ROOT, "{:0>3}".format(priority)),
                              json.dumps(doc).encode("utf8"), makepath=True, sequence=True,
                              ephemeral=z19)
        return path.split("/")[-1], doc

    def get_request(self, request_id):
        try:
            data, stat = self.zk.get("%s/%s" % (REQUEST_ROOT, request_id))
        except NoNodeError:
            return None
        return json.loads(data)

    def wait_request(self, request_id, timeout):
        """Block until the request is fulfilled or failed (a DataWatch, as Z19 does)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            doc = self.get_request(request_id)
            if doc is None:
                raise StandinError("request %s disappeared" % request_id)
            if doc.get("state") in ("fulfilled", "failed"):
                return doc
            event = self.zk.handler.event_object()
            if self.zk.exists("%s/%s" % (REQUEST_ROOT, request_id), watch=lambda e: event.set()):
                event.wait(min(1.0, max(0.0, deadline - time.time())))
        raise TimeoutError("request %s not answered within %ss" % (request_id, timeout))

    def delete_request(self, request_id):
        try:
            self.zk.delete("%s/%s" % (REQUEST_ROOT, request_id))
        except NoNodeError:
            pass

    def list_requests(self):
        out = {}
        for rid in sorted(self.zk.get_children(REQUEST_ROOT) if self.zk.exists(REQUEST_ROOT) else []):
            out[rid] = self.get_request(rid)
        return out

    # -- nodes -----------------------------------------------------------------------------
    def get_node(self, node_id):
        try:
            data, stat = self.zk.get("%s/%s" % (NODE_ROOT, node_id))
        except NoNodeError:
            return None
        return json.loads(data)

    def accept_nodes(self, request_id, request_doc, z19=False):
        """Zmod acceptNodes: check allocation, lock blocking 30 s, check again, delete request."""
        for node_id in request_doc["nodes"]:
            node = self.get_node(node_id)
            if node is None or node.get("allocated_to") != request_id:
                raise StandinError("node %s not allocated to %s: %r" % (node_id, request_id, node))
            lock = self.zk.Lock("%s/%s/lock" % (NODE_ROOT, node_id))
            try:
                if not lock.acquire(blocking=True, timeout=30):
                    raise StandinError("could not lock node %s" % node_id)
            except LockTimeout:
                self.unlock_nodes()
                raise StandinError("timed out locking node %s" % node_id)
            self.node_locks[node_id] = lock
            node = self.get_node(node_id)
            if node.get("allocated_to") != request_id:
                self.unlock_nodes()
                raise StandinError("node %s re-allocated while locking" % node_id)
        self.delete_request(request_id)

    def set_node(self, node_id, **changes):
        """Zuul writes back every key it read, changing only its own (Node.toDict)."""
        node = self.get_node(node_id)
        node.update(changes)
        if "state" in changes:
            node["state_time"] = time.time()
        self.zk.set("%s/%s" % (NODE_ROOT, node_id), json.dumps(node).encode("utf8"))
        return node

    def use_nodes(self, node_ids, z19=False):
        for node_id in node_ids:
            if z19:
                self.set_node(node_id, state="in-use")
            else:
                self.set_node(node_id, state="in-use", id=node_id,
                              user_data={"zuul_system": self.system_id(),
                                         "project_name": "opendev.org/example/project"})

    def return_nodes(self, node_ids):
        for node_id in node_ids:
            node = self.get_node(node_id)
            if node and node.get("state") == "in-use":
                self.set_node(node_id, state="used")
        self.unlock_nodes()

    def hold_nodes(self, node_ids, comment, expiration=None):
        for node_id in node_ids:
            changes = dict(state="hold", hold_job="example opendev.org/example/project tox-py311 .*",
                           comment=comment)
            if expiration is not None:
                changes["hold_expiration"] = expiration
            self.set_node(node_id, **changes)
        self.unlock_nodes()

    def unlock_nodes(self):
        for lock in self.node_locks.values():
            lock.release()
        self.node_locks = {}


REQUEST_STATES = {"requested", "pending", "fulfilled", "failed"}
NODE_STATES = {"init", "building", "testing", "ready", "in-use", "used", "hold", "deleting",
               "failed", "aborted", "deleted"}
RESERVED_NODE_KEYS = {"name", "label", "lock", "aliases", "_state", "_keys"}
CONTENDER = re.compile(r"^[0-9a-f]{32}__lock__\d{10}$")


def audit(z):
    """Everything a Zuul (Zmod and Z19) and the nodepool CLI need from the tree (spec §7)."""
    problems = []
    zk = z.zk

    def bad(path, msg):
        problems.append("%s: %s" % (path, msg))

    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    for rid in (zk.get_children(REQUEST_ROOT) if zk.exists(REQUEST_ROOT) else []):
        path = "%s/%s" % (REQUEST_ROOT, rid)
        if not re.match(r"^\d{3}-\d{10}$", rid):
            bad(path, "request id is not <PPP>-<seq10>")
        doc = z.get_request(rid)
        if doc is None:
            continue
        # Zmod's NodeRequest.fromDict indexes these directly
        for key in ("state", "state_time", "node_types", "requestor", "requestor_data",
                    "provider", "event_id"):
            if key not in doc:
                bad(path, "missing key %s" % key)
        if doc.get("state") not in REQUEST_STATES:
            bad(path, "invalid state %r" % doc.get("state"))
        if not number(doc.get("state_time")):
            bad(path, "state_time is not a number")
        for key in ("node_types", "nodes", "declined_by"):
            if key in doc and not (isinstance(doc[key], list) and all(isinstance(x, str) for x in doc[key])):
                bad(path, "%s is not a list of strings" % key)
        if not isinstance(doc.get("relative_priority", 0), int):
            bad(path, "relative_priority is not an int")
        if doc.get("state") == "fulfilled" and len(doc.get("nodes", [])) != len(doc.get("node_types", [])):
            bad(path, "fulfilled with nodes not matching node_types")
    for nid in (zk.get_children(NODE_ROOT) if zk.exists(NODE_ROOT) else []):
        path = "%s/%s" % (NODE_ROOT, nid)
        if not re.match(r"^\d{10}$", nid):
            bad(path, "node id is not a 10-digit sequence")
        doc = z.get_node(nid)
        if doc is None:
            continue
        if doc.get("state") not in NODE_STATES:
            bad(path, "invalid state %r" % doc.get("state"))
        if not number(doc.get("state_time")):
            bad(path, "state_time is not a number")
        for key in RESERVED_NODE_KEYS & set(doc):
            bad(path, "reserved key %s" % key)
        if not isinstance(doc.get("type"), (list, str)):
            bad(path, "type is not a list")
        port = doc.get("connection_port")
        if not (isinstance(port, int) or isinstance(port, dict)):
            bad(path, "connection_port is neither int nor dict")
        if "ssh_port" not in doc:
            bad(path, "no ssh_port (Z19 reads it)")
        if not isinstance(doc.get("host_keys", []), list):
            bad(path, "host_keys is not a list")
        for key in ("attributes", "resources"):
            if doc.get(key) is not None and not isinstance(doc[key], dict):
                bad(path, "%s is neither dict nor null" % key)
        if doc.get("state") == "ready":
            for key in ("interface_ip", "username", "connection_type", "provider"):
                if key not in doc:
                    bad(path, "ready without %s" % key)
        lock = path + "/lock"
        if zk.exists(lock):
            for child in zk.get_children(lock):
                if not CONTENDER.match(child):
                    bad(lock, "child %s is not a kazoo contender name" % child)
    return {"ok": not problems, "problems": problems}


def cmd_request(z, a):
    labels = a.label
    t0 = time.time()
    rid, created = z.submit(labels, a.priority, a.relative_priority, a.tenant, a.provider, a.z19)
    out = {"request_id": rid, "state": "requested", "created": created, "labels": labels}
    if not a.wait:
        return out
    final = z.wait_request(rid, a.timeout)
    out.update(state=final["state"], final=final, wait_seconds=round(time.time() - t0, 3))
    if final["state"] == "failed":
        z.delete_request(rid)  # Zuul deletes failed requests at once
        out["deleted"] = True
        return out
    out["nodes"] = {nid: z.get_node(nid) for nid in final["nodes"]}
    if not a.use:
        return out
    z.accept_nodes(rid, final, a.z19)
    out["request_deleted"] = z.get_request(rid) is None
    z.use_nodes(final["nodes"], a.z19)
    out["in_use"] = {nid: z.get_node(nid) for nid in final["nodes"]}
    out["lock_contenders"] = {nid: sorted(z.zk.get_children("%s/%s/lock" % (NODE_ROOT, nid)))
                              for nid in final["nodes"]}
    if a.job_seconds:
        time.sleep(a.job_seconds)
    if a.hold is not None:
        z.hold_nodes(final["nodes"], a.hold)
        out["held"] = {nid: z.get_node(nid) for nid in final["nodes"]}
    elif a.release:
        z.return_nodes(final["nodes"])
        out["returned"] = {nid: z.get_node(nid) for nid in final["nodes"]}
    else:
        z.unlock_nodes()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", required=True)
    p.add_argument("--chroot")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-ca")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("request")
    r.add_argument("--label", action="append", required=True)
    r.add_argument("--priority", type=int, default=200)
    r.add_argument("--relative-priority", type=int, default=0)
    r.add_argument("--tenant", default="example")
    r.add_argument("--provider")
    r.add_argument("--wait", action="store_true")
    r.add_argument("--timeout", type=float, default=60.0)
    r.add_argument("--use", action="store_true")
    r.add_argument("--job-seconds", type=float, default=0.0)
    r.add_argument("--release", action="store_true")
    r.add_argument("--hold")
    r.add_argument("--z19", action="store_true")
    for name in ("cancel", "show-request", "show-node"):
        sub.add_parser(name).add_argument("--id", required=True)
    sub.add_parser("list-requests")
    sub.add_parser("audit")
    sub.add_parser("system-id")
    a = p.parse_args(argv)
    tls = None
    if a.tls_cert:
        tls = {"cert": a.tls_cert, "key": a.tls_key, "ca": a.tls_ca}
    z = ZuulStandin(a.hosts, a.chroot, tls)
    status = 0
    try:
        if a.cmd == "request":
            out = cmd_request(z, a)
        elif a.cmd == "cancel":
            z.delete_request(a.id)
            out = {"cancelled": a.id}
        elif a.cmd == "show-request":
            out = z.get_request(a.id)
        elif a.cmd == "show-node":
            out = z.get_node(a.id)
        elif a.cmd == "list-requests":
            out = z.list_requests()
        elif a.cmd == "audit":
            out = audit(z)
        else:
            out = {"system_id": z.system_id()}
    except TimeoutError as e:
        out, status = {"error": str(e)}, 2
    except StandinError as e:
        out, status = {"error": str(e)}, 1
    finally:
        z.close()
    print(json.dumps(out))
    return status


if __name__ == "__main__":
    sys.exit(main())
