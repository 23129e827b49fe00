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
  submit --label L [--label L2 ...] --count N [--priority 200] [--relative-priority 0]
         [--tenant T]
      Submit N identical requests exactly as `request` does (Zmod, persistent), one at a time
      in order on one connection. Prints {"request_ids": [...]} in submission order.
  revise --id ID --relative-priority R
      What Zuul does to revise a waiting request (spec §1.4; Zmod reviseRequest): lock
      /nodepool/requests-lock/<id> non-blocking, give up if held, re-read, rewrite with the new
      relative_priority (every other key kept; compare-and-set on the version read) only if
      still "requested", unlock. Prints {"revised": bool, "why": str|null, "request": <doc>|null};
      why is null, "request not found", "request is locked", "state is <state>" or
      "request changed while revising".
  drain --ids ID1,ID2,... [--ids-file F] [--timeout 120] [--job-seconds 0] [--workers 8]
      Play Zuul for a backlog: a DataWatch per request; each request seen fulfilled is handed
      to a pool of W threads that accept its nodes (as `request --use`), set them in-use, sleep
      job-seconds, set them used and unlock; each failed one is deleted. F holds ids separated
      by commas/whitespace, a JSON list, or `submit`'s output. Prints {"fulfilled": [{"id",
      "nodes", "mzxid", "seen"}...] in the order seen (mzxid: of the request version first seen
      fulfilled, i.e. the launcher's fulfilling write; seen: time.time()), "failed": [ids],
      "missing": [ids not finished at the timeout, including ones seen fulfilled whose nodes
      were not returned yet], "errors": [str]} (a request that disappears unanswered, or whose
      nodes cannot be accepted, is finished with an error).

Exit status: 0 on success (including a failed request: see "state"), 1 on a protocol error
(a JSON {"error": ...}; for drain: "errors" is not empty), 2 on a timeout (drain: "missing" is
not empty; what was seen is still printed).
"""
import argparse
import functools
import json
import queue
import re
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, LockTimeout, NoNodeError

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
    def submit(self, labels, priority=200, relative_priority=0, tenant="example", provider=None, z19=False,
               requestor=None):
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
                "node_types": labels, "requestor": requestor or self.system_id(), "created_time": now,
                "provider": provider, "state": "requested", "state_time": now,
                "relative_priority": relative_priority, "event_id": uuid.uuid4().hex,
                "tenant_name": tenant,
            }
        path = self.zk.create("%s/%s-" % (REQUEST_ROOT, "{:0>3}".format(priority)),
                              json.dumps(doc).encode("utf8"), makepath=True, sequence=True,
                              ephemeral=z19)
        return path.split("/")[-1], doc

    def submit_many(self, labels, count, priority=200, relative_priority=0, tenant="example"):
        """`count` Zmod requests, one at a time in order (ids ascend in submission order)."""
        requestor = self.system_id()
        return [self.submit(labels, priority, relative_priority, tenant, requestor=requestor)[0]
                for _ in range(count)]

    def revise_request(self, request_id, relative_priority):
        """Zuul's reviseRequest (spec §1.4): non-blocking request lock, re-read, rewrite if requested."""
        path = "%s/%s" % (REQUEST_ROOT, request_id)

        def result(revised, why, doc):
            return {"revised": revised, "why": why, "request": doc}

        if not self.zk.exists(path):  # Zuul only revises requests it has (no stray lock parent)
            return result(False, "request not found", None)
        lock = self.zk.Lock("%s/%s" % (REQUEST_LOCK_ROOT, request_id))
        try:
            locked = lock.acquire(blocking=False)
        except NoNodeError:
            locked = False
        if not locked:  # "It may be locked by nodepool, which is fine."
            return result(False, "request is locked", self.get_request(request_id))
        try:
            try:
                data, stat = self.zk.get(path)
            except NoNodeError:
                return result(False, "request not found", None)
            doc = json.loads(data)
            if doc.get("state") != "requested":
                return result(False, "state is %s" % doc.get("state"), doc)
            doc["relative_priority"] = relative_priority
            try:
                # Zmod storeNodeRequest: whole document, compare-and-set on the version read
                self.zk.set(path, json.dumps(doc).encode("utf8"), version=stat.version)
            except (BadVersionError, NoNodeError):
                return result(False, "request changed while revising", self.get_request(request_id))
            return result(True, None, doc)
        finally:
            lock.release()

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

    def accept_nodes(self, request_id, request_doc, z19=False, locks=None):
        """Zmod acceptNodes: check allocation, lock blocking 30 s, check again, delete request.

        The node locks go into `locks` (default self.node_locks; pass a dict per request when
        accepting several requests at once from different threads)."""
        locks = self.node_locks if locks is None else locks
        for node_id in request_doc["nodes"]:
            node = self.get_node(node_id)
            if node is None or node.get("allocated_to") != request_id:
                raise StandinError("node %s not allocated to %s: %r" % (node_id, request_id, node))
            lock = self.zk.Lock("%s/%s/lock" % (NODE_ROOT, node_id))
            try:
                if not lock.acquire(blocking=True, timeout=30):
                    raise StandinError("could not lock node %s" % node_id)
            except LockTimeout:
                self.unlock_nodes(locks)
                raise StandinError("timed out locking node %s" % node_id)
            locks[node_id] = lock
            node = self.get_node(node_id)
            if node.get("allocated_to") != request_id:
                self.unlock_nodes(locks)
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

    def return_nodes(self, node_ids, locks=None):
        for node_id in node_ids:
            node = self.get_node(node_id)
            if node and node.get("state") == "in-use":
                self.set_node(node_id, state="used")
        self.unlock_nodes(locks)

    def hold_nodes(self, node_ids, comment, expiration=None):
        for node_id in node_ids:
            changes = dict(state="hold", hold_job="example opendev.org/example/project tox-py311 .*",
                           comment=comment)
            if expiration is not None:
                changes["hold_expiration"] = expiration
            self.set_node(node_id, **changes)
        self.unlock_nodes()

    def unlock_nodes(self, locks=None):
        locks = self.node_locks if locks is None else locks
        for lock in list(locks.values()):
            lock.release()
        locks.clear()


class Drainer:
    """Zuul working through a backlog of requests (the `drain` command).

    One DataWatch per request. The watch callbacks (kazoo's event thread) only record what they
    see and queue work; a pool of daemon threads accepts, uses and returns the nodes of each
    fulfilled request (each with its own node locks) and deletes each failed request."""

    GRACE = 5.0  # seconds to let running work finish after the timeout

    def __init__(self, z, ids, job_seconds=0.0, workers=8):
        self.z = z
        self.ids = list(ids)
        self.job_seconds = job_seconds
        self.workers = max(1, workers)
        self.mutex = threading.Lock()
        self.idle = threading.Condition(self.mutex)
        self.unfinished = set(self.ids)
        self.answered = set()  # seen fulfilled/failed/gone: their watch is over
        self.inflight = 0
        self.all_done = threading.Event()
        self.stopping = threading.Event()
        self.work = queue.Queue()
        self.fulfilled, self.failed, self.errors = [], [], []

    def run(self, timeout):
        """Returns (result dict, timed_out)."""
        deadline = time.time() + timeout
        if not self.unfinished:
            self.all_done.set()
        threads = [threading.Thread(target=self._worker, name="drain-%d" % i, daemon=True)
                   for i in range(self.workers)]
        for t in threads:
            t.start()
        for rid in self.ids:
            self.z.zk.DataWatch("%s/%s" % (REQUEST_ROOT, rid), functools.partial(self._on_change, rid))
        finished = self.all_done.wait(max(0.0, deadline - time.time()))
        if not finished:
            self.stopping.set()  # queued work is skipped, a job sleep ends now
            with self.idle:
                self.idle.wait_for(lambda: self.inflight == 0, self.GRACE)
        for _ in threads:
            self.work.put(None)
        for t in threads:
            t.join(0.0 if not finished else self.GRACE)
        with self.mutex:
            out = {"fulfilled": list(self.fulfilled), "failed": list(self.failed),
                   "missing": [rid for rid in self.ids if rid in self.unfinished],
                   "errors": list(self.errors)}
        return out, bool(out["missing"])

    def _finish(self, rid):  # with self.mutex held
        self.unfinished.discard(rid)
        if not self.unfinished:
            self.all_done.set()

    def _on_change(self, rid, data, stat, event=None):
        """DataWatch callback: must not block and must not raise (kazoo retries a TypeError)."""
        try:
            with self.mutex:
                if rid in self.answered or self.stopping.is_set():
                    return False
                if stat is None:
                    self.answered.add(rid)
                    self.errors.append("request %s is gone (deleted or never created) before it was answered" % rid)
                    self._finish(rid)
                    return False
                doc = json.loads(data)
                state = doc.get("state")
                if state not in ("fulfilled", "failed"):
                    return None  # keep watching
                self.answered.add(rid)
                if state == "fulfilled":
                    self.fulfilled.append({"id": rid, "nodes": doc.get("nodes"), "mzxid": stat.mzxid,
                                           "seen": time.time()})
                else:
                    self.failed.append(rid)
                self.inflight += 1
                self.work.put((state, rid, doc))
                return False
        except Exception as e:  # e.g. a znode that is not JSON: report it, keep watching
            with self.mutex:
                self.errors.append("request %s: %s: %s" % (rid, type(e).__name__, e))
            return None

    def _worker(self):
        while True:
            item = self.work.get()
            if item is None:
                return
            state, rid, doc = item
            try:
                if self.stopping.is_set():
                    continue  # left unfinished: reported missing
                if state == "failed":
                    self.z.delete_request(rid)  # Zuul deletes failed requests at once
                else:
                    self._use(rid, doc)
                with self.mutex:
                    self._finish(rid)
            except Exception as e:
                with self.mutex:
                    self.errors.append("request %s: %s" % (rid, e))
                    self._finish(rid)
            finally:
                with self.idle:
                    self.inflight -= 1
                    self.idle.notify_all()

    def _use(self, rid, doc):
        locks = {}
        try:
            self.z.accept_nodes(rid, doc, locks=locks)
            self.z.use_nodes(doc["nodes"])
            if self.job_seconds:
                self.stopping.wait(self.job_seconds)
            self.z.return_nodes(doc["nodes"], locks=locks)
        except Exception:
            try:
                self.z.unlock_nodes(locks)
            except Exception:
                pass
            raise


def read_ids(ids, ids_file):
    """Ids from --ids (comma separated) and --ids-file (a JSON list, submit's output, or ids
    separated by commas/whitespace), in order, without duplicates."""
    out = []
    if ids:
        out += [i for i in ids.split(",") if i.strip()]
    if ids_file:
        with open(ids_file) as f:
            text = f.read()
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            doc = doc.get("request_ids")
        if isinstance(doc, list):
            out += [str(i) for i in doc]
        else:
            out += [i for i in re.split(r"[\s,]+", text) if i]
    return list(dict.fromkeys(i.strip() for i in out))


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


def cmd_drain(z, a):
    if a.ids is None and a.ids_file is None:
        raise StandinError("drain needs --ids or --ids-file")
    ids = read_ids(a.ids, a.ids_file)
    out, timed_out = Drainer(z, ids, a.job_seconds, a.workers).run(a.timeout)
    return out, (2 if timed_out else 1 if out["errors"] else 0)


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
    s = sub.add_parser("submit")
    s.add_argument("--label", action="append", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--priority", type=int, default=200)
    s.add_argument("--relative-priority", type=int, default=0)
    s.add_argument("--tenant", default="example")
    v = sub.add_parser("revise")
    v.add_argument("--id", required=True)
    v.add_argument("--relative-priority", type=int, required=True)
    d = sub.add_parser("drain")
    d.add_argument("--ids")
    d.add_argument("--ids-file")
    d.add_argument("--timeout", type=float, default=120.0)
    d.add_argument("--job-seconds", type=float, default=0.0)
    d.add_argument("--workers", type=int, default=8)
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
        elif a.cmd == "submit":
            if a.count < 0:
                raise StandinError("--count must be >= 0")
            out = {"request_ids": z.submit_many(a.label, a.count, a.priority, a.relative_priority,
                                                a.tenant)}
        elif a.cmd == "revise":
            out = z.revise_request(a.id, a.relative_priority)
        elif a.cmd == "drain":
            out, status = cmd_drain(z, a)
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
