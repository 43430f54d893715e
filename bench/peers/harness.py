#!/usr/bin/env python3
"""Side-by-side GraphQL benchmark: graphcloud against peer servers, one machine, one run.

Run it through run.sh (see README.md). Servers run one at a time; each gets the same
deterministic data set and the same three workloads, driven by autocannon 9.

Everything this script starts is tracked by PID and ended on exit (also on Ctrl-C or
SIGTERM). It writes only to a throw-away run dir and a cache dir
(default <tmp>/graphcloud-bench-peers, or $BENCH_PEERS_CACHE): npm installs, the
baseline's cargo target dir, and a copy of every result table.
"""
from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import json
import os
import platform
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))  # bench/peers/ lives at the repository root
CACHE = os.environ.get("BENCH_PEERS_CACHE") or os.path.join(tempfile.gettempdir(), "graphcloud-bench-peers")

N_PEOPLE = 2000
N_FRIENDS = 5
LIST_FIRST = 100
W3_INDEX = 1234  # the one fixed person W3 fetches
BATCH = 200  # graphcloud load batch size

ALL_SERVERS = ["postgraphile", "yoga", "baseline", "graphcloud"]
ALL_WORKLOADS = ["W1", "W2", "W3"]
WORKLOAD_TEXT = {
    "W1": f"list {LIST_FIRST} people, 4 scalar fields",
    "W2": f"W1 + {N_FRIENDS} nested friends x 3 fields",
    "W3": "one person by fixed id, with friends",
}

GC_EMAIL = "bench@example.com"
GC_PASSWORD = "bench-peers-password"

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A failure with a message meant for the person running the benchmark."""


def log(msg: str) -> None:
    print(f"[peers {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tail(path: str, n: int = 25) -> str:
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join("    " + l for l in lines[-n:])
    except OSError:
        return "    (no log)"


# --------------------------------------------------------------------------- /proc helpers

def proc_stat(pid: int):
    """Fields of /proc/PID/stat after the command name (index 0 = state, 1 = ppid)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    return s[s.rfind(")") + 2:].split()


def alive(pid: int, start_ident: str | None = None) -> bool:
    f = proc_stat(pid)
    if not f or f[0] in ("Z", "X"):
        return False
    return start_ident is None or f[19] == start_ident


def children_map() -> dict[int, list[int]]:
    m: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = proc_stat(int(d))
            if f:
                m.setdefault(int(f[1]), []).append(int(d))
    return m


def proc_tree(pid: int | None) -> list[int]:
    """pid and all its live descendants."""
    if not pid or not alive(pid):
        return []
    m = children_map()
    out, i = [pid], 0
    while i < len(out):
        out.extend(m.get(out[i], []))
        i += 1
    return [p for p in out if alive(p)]


def session_members(sid: int) -> list[int]:
    """Live processes in session sid: what a process started with its own session left
    behind, even children that were re-parented after it exited."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = proc_stat(int(d))
            if f and f[0] not in ("Z", "X") and int(f[3]) == sid:
                out.append(int(d))
    return out


def _parent_death_signal():
    """preexec_fn: the kernel sends SIGTERM to the child if this harness dies (even SIGKILL)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for p in pids:
        f = proc_stat(p)
        if f:
            total += int(f[11]) + int(f[12])
    return total


def reset_hwm(pids: list[int]) -> bool:
    """Resets VmHWM to the current RSS (Linux clear_refs "5"); False where not allowed."""
    ok = bool(pids)
    for p in pids:
        try:
            with open(f"/proc/{p}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


def status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class PssSampler(threading.Thread):
    """Peak of the summed PSS of a changing set of processes, sampled every 0.25 s.
    Used for PostgreSQL, whose backends share memory (summing their RSS would overcount)."""

    def __init__(self, pids_fn):
        super().__init__(daemon=True)
        self.pids_fn, self.peak_kib, self._halt = pids_fn, 0, threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.peak_kib = max(self.peak_kib, sum(pss_kib(p) for p in self.pids_fn()))
            self._halt.wait(0.25)

    def finish(self) -> int:
        self._halt.set()
        self.join(5)
        return self.peak_kib


# --------------------------------------------------------------------------- process bookkeeping

class Runner:
    """Starts processes in their own sessions and ends exactly those (by PID) on cleanup."""

    def __init__(self):
        self.cleanups: list = []  # LIFO stack of (label, callable)

    def at_cleanup(self, label, fn):
        self.cleanups.append((label, fn))

    def spawn(self, name, argv, log_path, env=None, cwd=None, stdout_path=None,
              tie_to_harness=True) -> subprocess.Popen:
        """Own session (a terminal's Ctrl-C reaches only the harness, which then ends it);
        tie_to_harness adds a parent-death signal (not used while helper threads run)."""
        logf = open(log_path, "ab")
        outf = open(stdout_path, "wb") if stdout_path else logf
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=outf, stderr=logf,
                                 env=env, cwd=cwd, start_new_session=True,
                                 preexec_fn=_parent_death_signal if tie_to_harness else None)
        except OSError as e:
            raise BenchError(f"cannot start {name} ({argv[0]}): {e}")
        finally:
            logf.close()
            if stdout_path:
                outf.close()
        self.at_cleanup(f"process {name} pid {p.pid}", lambda: self.stop(p))
        return p

    @staticmethod
    def stop(p: subprocess.Popen, grace: float = 10.0) -> None:
        """SIGTERM the process, then its leftover descendants; SIGKILL whatever outlives grace.
        Every PID is checked against its start time first, so a reused PID is never signalled."""
        owned = set(proc_tree(p.pid)) | set(session_members(p.pid))
        if p.poll() is not None and not owned:
            return
        tree = {q: f[19] for q in owned for f in [proc_stat(q)] if f}
        for sig_targets in ([p.pid], [q for q in tree if q != p.pid]):
            for q in sig_targets:
                if q in tree and alive(q, tree[q]):
                    try:
                        os.kill(q, signal.SIGTERM)
                    except OSError:
                        pass
            deadline = time.time() + grace / 2
            while time.time() < deadline and any(alive(q, tree[q]) for q in sig_targets if q in tree):
                p.poll()
                time.sleep(0.05)
        for q, ident in tree.items():
            if alive(q, ident):
                try:
                    os.kill(q, signal.SIGKILL)
                except OSError:
                    pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def mkdtemp(self, prefix: str) -> str:
        d = tempfile.mkdtemp(prefix=prefix)
        self.at_cleanup(f"dir {d}", lambda: shutil.rmtree(d, ignore_errors=True))
        return d

    def cleanup(self) -> None:
        while self.cleanups:
            label, fn = self.cleanups.pop()
            try:
                fn()
            except Exception as e:  # keep cleaning the rest
                log(f"cleanup of {label} failed: {e}")


# --------------------------------------------------------------------------- HTTP

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def http_post(url: str, body: bytes, headers: dict | None = None, timeout: float = 60):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    req = urllib.request.Request(url, data=body, method="POST", headers=h)
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def gql_body(query: str, variables: dict | None = None) -> bytes:
    doc = {"query": query}
    if variables is not None:
        doc["variables"] = variables
    return json.dumps(doc, separators=(",", ":")).encode()


def gql(url: str, query: str, variables=None, headers=None, timeout: float = 120):
    """(status, parsed JSON or None, raw bytes); connection errors raise OSError."""
    status, raw = http_post(url, gql_body(query, variables), headers, timeout)
    try:
        return status, json.loads(raw), raw
    except ValueError:
        return status, None, raw


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None, name: str, log_path: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{name} exited with status {proc.returncode} before listening on "
                             f"127.0.0.1:{port}; last log lines:\n{tail(log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f} s; "
                     f"last log lines:\n{tail(log_path)}")


# --------------------------------------------------------------------------- data set & expectations

def build_dataset() -> list[dict]:
    people = []
    for i in range(N_PEOPLE):
        friends = []
        for j in range(N_FRIENDS):
            f = (i * 7 + j * 13 + 1) % N_PEOPLE
            if f == i:
                f = (f + 1) % N_PEOPLE
            friends.append(f)
        assert len(set(friends)) == N_FRIENDS, (i, friends)
        people.append({"idx": i, "id": str(i), "name": f"Person {i}", "age": 18 + i % 60,
                       "email": f"p{i}@example.com", "friends": sorted(friends)})
    return people


def dg_queries(w3_id: str) -> dict[str, str]:
    """The Dgraph-style API (yoga, baseline, graphcloud)."""
    nested = "friends { id name age }"
    return {
        "W1": f"query {{ queryPerson(first: {LIST_FIRST}) {{ id name age email }} }}",
        "W2": f"query {{ queryPerson(first: {LIST_FIRST}) {{ id name age email {nested} }} }}",
        "W3": f"query {{ getPerson(id: {json.dumps(w3_id)}) {{ id name age email {nested} }} }}",
    }


def pg_queries() -> dict[str, str]:
    """PostGraphile v4's generated API over tables person and friendship."""
    nested = "friendshipsByPersonId { nodes { personByFriendId { id name age } } }"
    return {
        "W1": f"query {{ allPeople(first: {LIST_FIRST}) {{ nodes {{ id name age email }} }} }}",
        "W2": f"query {{ allPeople(first: {LIST_FIRST}) {{ nodes {{ id name age email {nested} }} }} }}",
        "W3": f"query {{ personById(id: {W3_INDEX}) {{ id name age email {nested} }} }}",
    }


def expected_dg_bytes(ds: list[dict], w: str) -> bytes:
    """What a Dgraph-style server answers, compact JSON in selection order (the bytes the
    baseline sends; graphql-js servers such as yoga produce exactly these)."""
    def person(p, with_friends):
        o = {"id": p["id"], "name": p["name"], "age": p["age"], "email": p["email"]}
        if with_friends:
            o["friends"] = [{"id": ds[f]["id"], "name": ds[f]["name"], "age": ds[f]["age"]} for f in p["friends"]]
        return o

    if w == "W3":
        data = {"getPerson": person(ds[W3_INDEX], True)}
    else:
        data = {"queryPerson": [person(p, w == "W2") for p in ds[:LIST_FIRST]]}
    return json.dumps({"data": data}, separators=(",", ":")).encode()


def normalize(shape: str, w: str, data: dict) -> list[dict]:
    """Response data -> [{id, name, age, email, friends?: [{id, name, age}]}]."""
    if shape == "pg":
        people = [data["personById"]] if w == "W3" else data["allPeople"]["nodes"]
    else:
        people = [data["getPerson"]] if w == "W3" else data["queryPerson"]
    out = []
    for p in people:
        if p is None:
            continue
        q = {"id": p["id"], "name": p["name"], "age": p["age"], "email": p["email"]}
        if shape == "pg" and "friendshipsByPersonId" in p:
            q["friends"] = [e["personByFriendId"] for e in p["friendshipsByPersonId"]["nodes"]]
        elif shape != "pg" and "friends" in p:
            q["friends"] = p["friends"]
        out.append(q)
    return out


def validate(shape: str, w: str, status: int, raw: bytes, id2idx, ds: list[dict]) -> list[str]:
    """Checks one response against the data set; returns problems (empty = fine)."""
    if status != 200:
        return [f"HTTP {status}: {raw[:300]!r}"]
    try:
        doc = json.loads(raw)
    except ValueError:
        return [f"not JSON: {raw[:300]!r}"]
    if not isinstance(doc, dict):
        return [f"not a JSON object: {raw[:300]!r}"]
    if doc.get("errors"):
        return [f"GraphQL errors: {json.dumps(doc['errors'])[:300]}"]
    try:
        people = normalize(shape, w, doc.get("data") or {})
    except (KeyError, TypeError) as e:
        return [f"unexpected response shape ({e!r}): {raw[:300]!r}"]
    problems = []
    want = 1 if w == "W3" else LIST_FIRST
    if len(people) != want:
        problems.append(f"{len(people)} people returned, want {want}")
    seen = set()
    for p in people:
        idx = id2idx(p["id"])
        if idx is None:
            problems.append(f"unknown id {p['id']!r}")
            continue
        seen.add(idx)
        d = ds[idx]
        if (p["name"], p["age"], p["email"]) != (d["name"], d["age"], d["email"]):
            problems.append(f"id {p['id']!r}: got {(p['name'], p['age'], p['email'])}, want {(d['name'], d['age'], d['email'])}")
        if w in ("W2", "W3"):
            fr = p.get("friends")
            if not isinstance(fr, list):
                problems.append(f"id {p['id']!r}: no friends list")
                continue
            got = {}
            for f in fr:
                fi = id2idx(f["id"]) if isinstance(f, dict) else None
                if fi is None or (f.get("name"), f.get("age")) != (ds[fi]["name"], ds[fi]["age"]):
                    problems.append(f"id {p['id']!r}: bad friend {f!r}")
                else:
                    got[fi] = True
            if sorted(got) != d["friends"]:
                problems.append(f"id {p['id']!r}: friends {sorted(got)}, want {d['friends']}")
    if len(seen) != len(people):
        problems.append("duplicate people in the list")
    if w == "W3" and people and id2idx(people[0]["id"]) != W3_INDEX:
        problems.append(f"W3 returned person {people[0]['id']!r}, want index {W3_INDEX}")
    return problems


# --------------------------------------------------------------------------- setup (cached)

def sha256_files(paths: list[str], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        if os.path.exists(p):
            with open(p, "rb") as f:
                h.update(p.encode() + b"\0" + f.read())
    return h.hexdigest()


def npm_setup(name: str) -> str:
    """Installs bench/peers/<name>/package.json (+ lock) into CACHE/<name>; copies its
    *.cjs scripts there. Skips the install when package files and node version are unchanged."""
    src, dst = os.path.join(HERE, name), os.path.join(CACHE, name)
    os.makedirs(dst, exist_ok=True)
    pkg = [os.path.join(src, "package.json"), os.path.join(src, "package-lock.json")]
    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    stamp = sha256_files(pkg, node_version)
    stamp_path = os.path.join(dst, ".installed")
    if not (os.path.exists(stamp_path) and open(stamp_path).read() == stamp
            and os.path.isdir(os.path.join(dst, "node_modules"))):
        log(f"npm: installing {name} into {dst}")
        shutil.rmtree(os.path.join(dst, "node_modules"), ignore_errors=True)
        for p in pkg:
            if os.path.exists(p):
                shutil.copy(p, dst)
        has_lock = os.path.exists(pkg[1])
        env = dict(os.environ, npm_config_cache=os.path.join(CACHE, "npm-cache"), npm_config_update_notifier="false")
        cmd = ["npm", "ci" if has_lock else "install", "--no-audit", "--no-fund", "--loglevel=error"]
        r = subprocess.run(cmd, cwd=dst, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError(f"npm {cmd[1]} for {name} failed:\n{(r.stdout + r.stderr)[-3000:]}")
        with open(stamp_path, "w") as f:
            f.write(stamp)
    for f in glob.glob(os.path.join(src, "*.cjs")):
        shutil.copy(f, dst)
    return dst


def pkg_version(node_dir: str, pkg: str) -> str:
    try:
        with open(os.path.join(node_dir, "node_modules", pkg, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def cargo_build_baseline() -> str:
    target = os.path.join(CACHE, "baseline-axum-target")
    src = os.path.join(HERE, "baseline-axum")
    log("cargo: building baseline-axum (release)")
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    r = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=src, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    binary = os.path.join(target, "release", "baseline-axum")
    if r.returncode != 0 or not os.access(binary, os.X_OK):
        raise BenchError(f"cargo build --release of {src} failed:\n{r.stdout[-3000:]}")
    return binary


def graphcloud_build(path: str) -> str:
    """cargo build --release in the graphcloud checkout; returns target/release/graphcloud."""
    path = os.path.abspath(path)
    binary = os.path.join(path, "target", "release", "graphcloud")
    skip = "leave graphcloud out with --servers postgraphile,yoga,baseline"
    if not os.path.isfile(os.path.join(path, "Cargo.toml")):
        raise BenchError(f"graphcloud: {path} is not a Cargo project (no Cargo.toml), so there is no "
                         f"{binary} to benchmark. Pass --graphcloud PATH of a graphcloud checkout, or {skip}.")
    log(f"cargo: building graphcloud in {path} (cargo build --release)")
    r = subprocess.run(["cargo", "build", "--release"], cwd=path, stdin=subprocess.DEVNULL,
                       stdout=sys.stderr, stderr=sys.stderr)
    if not os.access(binary, os.X_OK):
        raise BenchError(f"graphcloud binary missing: {binary} does not exist after `cargo build --release` "
                         f"in {path} (exit {r.returncode}). The benchmark needs that binary with its "
                         f"`user create` and `serve` subcommands (see bench/peers/README.md); or {skip}.")
    if r.returncode != 0:
        raise BenchError(f"graphcloud: `cargo build --release` in {path} failed (exit {r.returncode}); "
                         f"refusing to benchmark a stale {binary}. Fix the build, or {skip}.")
    return binary


def pg_bindir() -> str:
    def best():
        found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
        found.sort(key=lambda p: [int(x) for x in p.split("/")[4].split(".") if x.isdigit()])
        for p in reversed(found):
            d = os.path.dirname(p)
            if all(os.access(os.path.join(d, b), os.X_OK) for b in ("pg_ctl", "postgres", "psql")):
                return d
        return None

    d = best()
    if d is None and os.geteuid() == 0 and shutil.which("apt-get"):
        log("PostgreSQL server binaries not found; apt-get install -y postgresql")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", "postgresql"]
        if subprocess.run(cmd, env=env, stdout=sys.stderr, stderr=sys.stderr).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=sys.stderr, stderr=sys.stderr)
            subprocess.run(cmd, env=env, stdout=sys.stderr, stderr=sys.stderr)
        d = best()
    if d is None:
        raise BenchError("postgraphile needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); "
                         "install them with `apt-get install -y postgresql`")
    return d


# --------------------------------------------------------------------------- load generation

def run_load(ctx, name: str, url: str, headers: dict, body: bytes, duration: float, expect: bytes | None):
    spec_path = os.path.join(ctx.run_dir, f"load-{name}.json")
    out_path = os.path.join(ctx.run_dir, f"load-{name}.out")
    spec = {"url": url, "connections": ctx.args.connections, "duration": duration,
            "headers": dict({"Content-Type": "application/json"}, **headers), "body": body.decode()}
    if expect is not None:
        spec["expectBody"] = expect.decode()
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    log_path = os.path.join(ctx.run_dir, "autocannon.log")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = ctx.runner.spawn("autocannon", ["node", ctx.loadgen, spec_path], log_path, stdout_path=out_path,
                         tie_to_harness=False)  # the PSS sampler thread may be running
    try:
        p.wait(timeout=duration + 120)
    except subprocess.TimeoutExpired:
        ctx.runner.stop(p)
        raise BenchError(f"autocannon did not finish within {duration + 120:.0f} s")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise BenchError(f"autocannon failed (exit {p.returncode}):\n{tail(log_path)}")
    with open(out_path) as f:
        res = json.loads(f.read())
    res["loadgen_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return res


# --------------------------------------------------------------------------- servers

class Server:
    name = "?"
    shape = "dg"  # response shape: "dg" (Dgraph-style) or "pg" (PostGraphile)

    def __init__(self, ctx):
        self.ctx, self.proc, self.log_path = ctx, None, os.path.join(ctx.run_dir, f"{self.name}.log")

    def start(self) -> None:
        raise NotImplementedError

    def request(self, w: str):
        """(url, extra headers, body bytes) for workload w."""
        raise NotImplementedError

    def id2idx(self, value):
        try:
            i = int(value)
        except (TypeError, ValueError):
            return None
        return i if 0 <= i < N_PEOPLE and str(i) == str(value) else None

    def main_pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc else []

    def db_pids(self) -> list[int]:
        return []

    def version(self) -> str:
        return ""

    def stop(self) -> None:
        if self.proc:
            Runner.stop(self.proc)


class Baseline(Server):
    name = "baseline"

    def start(self):
        ds, q = self.ctx.dataset, dg_queries(str(W3_INDEX))
        argv = [self.ctx.baseline_bin]
        self.port = free_port()
        argv += ["--listen", f"127.0.0.1:{self.port}"]
        for w in ALL_WORKLOADS:
            req, resp = (os.path.join(self.ctx.run_dir, f"baseline-{w}.{x}") for x in ("req", "resp"))
            with open(req, "wb") as f:
                f.write(gql_body(q[w]))
            with open(resp, "wb") as f:
                f.write(expected_dg_bytes(ds, w))
            argv += ["--pair", req, resp]
        self.proc = self.ctx.runner.spawn(self.name, argv, self.log_path)
        wait_port(self.port, self.proc, self.name, self.log_path)

    def request(self, w):
        return f"http://127.0.0.1:{self.port}/graphql", {}, gql_body(dg_queries(str(W3_INDEX))[w])

    def version(self):
        r = subprocess.run(["rustc", "--version"], capture_output=True, text=True)
        return f"axum 0.8 answering precomputed bodies, {r.stdout.strip() or 'rustc ?'}"


class Yoga(Server):
    name = "yoga"

    def start(self):
        self.port = free_port()
        argv = ["node", os.path.join(self.ctx.yoga_dir, "server.cjs"), "--port", str(self.port),
                "--data", self.ctx.dataset_path]
        env = dict(os.environ, NODE_ENV="production")
        self.proc = self.ctx.runner.spawn(self.name, argv, self.log_path, env=env)
        wait_port(self.port, self.proc, self.name, self.log_path)

    def request(self, w):
        return f"http://127.0.0.1:{self.port}/graphql", {}, gql_body(dg_queries(str(W3_INDEX))[w])

    def version(self):
        d = self.ctx.yoga_dir
        return f"graphql-yoga {pkg_version(d, 'graphql-yoga')}, graphql-js {pkg_version(d, 'graphql')}"


class PgCluster:
    """A throw-away PostgreSQL cluster: initdb + pg_ctl on a free port in a temp dir."""

    def __init__(self, ctx):
        self.ctx, self.pid, self.ident, self.port = ctx, None, None, None

    def start(self):
        ctx = self.ctx
        self.bindir = pg_bindir()
        root = ctx.runner.mkdtemp("bench-peers-pg-")
        self.root, self.data = root, os.path.join(root, "data")
        self.prefix = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as postgres (or nobody)
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pw = pwd.getpwnam("nobody")
            os.chown(root, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", pw.pw_name, "--"]
        log_path = os.path.join(ctx.run_dir, "postgres-setup.log")
        self.port = free_port()
        b = lambda x: os.path.join(self.bindir, x)
        self._run([b("initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--no-locale", "--no-sync"], log_path, "initdb")
        opts = (f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off")
        ctx.runner.at_cleanup("postgres cluster", self.stop)
        self._run([b("pg_ctl"), "-D", self.data, "-l", os.path.join(root, "server.log"), "-o", opts,
                   "-w", "-t", "60", "start"], log_path, "pg_ctl start")
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            self.pid = int(f.readline())
        self.ident = proc_stat(self.pid)[19]

    def _run(self, argv, log_path, what):
        with open(log_path, "ab") as f:
            r = subprocess.run(self.prefix + argv, stdin=subprocess.DEVNULL, stdout=f, stderr=f)
        if r.returncode != 0:
            raise BenchError(f"PostgreSQL {what} failed (exit {r.returncode}):\n{tail(log_path)}")

    def psql(self, sql_path: str):
        log_path = os.path.join(self.ctx.run_dir, "postgres-setup.log")
        with open(log_path, "ab") as f:
            r = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                                "-f", sql_path], stdin=subprocess.DEVNULL, stdout=f, stderr=f)
        if r.returncode != 0:
            raise BenchError(f"psql {sql_path} failed:\n{tail(log_path)}")

    def pids(self) -> list[int]:
        return proc_tree(self.pid) if self.pid and alive(self.pid, self.ident) else []

    def stop(self):
        if not self.pid or not alive(self.pid, self.ident):
            return
        tree = {q: proc_stat(q)[19] for q in self.pids() if proc_stat(q)}
        with open(os.devnull, "wb") as devnull:
            subprocess.run(self.prefix + [os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast",
                                          "-w", "-t", "30", "stop"], stdin=subprocess.DEVNULL,
                           stdout=devnull, stderr=devnull)
        for q, ident in tree.items():  # only if pg_ctl could not stop them
            if alive(q, ident):
                try:
                    os.kill(q, signal.SIGKILL)
                except OSError:
                    pass

    def version(self) -> str:
        r = subprocess.run([os.path.join(self.bindir, "postgres"), "--version"], capture_output=True, text=True)
        return r.stdout.strip().replace("postgres (PostgreSQL) ", "PostgreSQL ")


class PostGraphile(Server):
    name = "postgraphile"
    shape = "pg"

    def start(self):
        ctx = self.ctx
        self.pg = PgCluster(ctx)
        self.pg.start()
        sql = os.path.join(ctx.run_dir, "postgres-seed.sql")
        with open(sql, "w") as f:
            f.write(
                "CREATE TABLE person (id integer PRIMARY KEY, name text NOT NULL, age integer, email text);\n"
                "CREATE INDEX person_name_idx ON person USING hash (name);\n"
                "CREATE TABLE friendship (\n"
                "  person_id integer NOT NULL REFERENCES person (id),\n"
                "  friend_id integer NOT NULL REFERENCES person (id),\n"
                "  PRIMARY KEY (person_id, friend_id));\n"
                "CREATE INDEX friendship_friend_id_idx ON friendship (friend_id);\n"
                "COPY person (id, name, age, email) FROM stdin;\n")
            for p in ctx.dataset:
                f.write(f"{p['idx']}\t{p['name']}\t{p['age']}\t{p['email']}\n")
            f.write("\\.\nCOPY friendship (person_id, friend_id) FROM stdin;\n")
            for p in ctx.dataset:
                for fr in p["friends"]:
                    f.write(f"{p['idx']}\t{fr}\n")
            f.write("\\.\nANALYZE;\n")
        log(f"postgres: cluster on 127.0.0.1:{self.pg.port} (pid {self.pg.pid}), seeding {N_PEOPLE} people")
        self.pg.psql(sql)
        self.port = free_port()
        cli = os.path.join(ctx.pg_dir, "node_modules", "postgraphile", "cli.js")
        if not os.path.exists(cli):
            cli = os.path.realpath(os.path.join(ctx.pg_dir, "node_modules", ".bin", "postgraphile"))
        argv = ["node", cli, "--connection", f"postgres://postgres@127.0.0.1:{self.pg.port}/postgres",
                "--schema", "public", "--host", "127.0.0.1", "--port", str(self.port), "--disable-query-log"]
        env = dict(os.environ, NODE_ENV="production")
        self.proc = ctx.runner.spawn(self.name, argv, self.log_path, env=env)
        wait_port(self.port, self.proc, self.name, self.log_path)

    def request(self, w):
        return f"http://127.0.0.1:{self.port}/graphql", {}, gql_body(pg_queries()[w])

    def id2idx(self, value):
        return value if isinstance(value, int) and 0 <= value < N_PEOPLE else None

    def db_pids(self):
        return self.pg.pids()

    def version(self):
        d = self.ctx.pg_dir
        return (f"postgraphile {pkg_version(d, 'postgraphile')}, graphql-js {pkg_version(d, 'graphql')}, "
                f"{self.pg.version()}")

    def stop(self):
        super().stop()
        if getattr(self, "pg", None):
            self.pg.stop()


class Graphcloud(Server):
    """Driven only through its public interface (CLI + control-plane and backend HTTP)."""
    name = "graphcloud"

    SCHEMA = ("type Person { id: ID! name: String! @search(by: [hash]) age: Int @search "
              "email: String friends: [Person] }")

    def start(self):
        ctx = self.ctx
        binary = ctx.graphcloud_bin
        data_dir = ctx.runner.mkdtemp("bench-peers-graphcloud-")
        env = dict(os.environ, GRAPHCLOUD_PASSWORD=GC_PASSWORD)
        with open(self.log_path, "ab") as f:
            try:
                r = subprocess.run([binary, "user", "create", "--data-dir", data_dir, "--email", GC_EMAIL],
                                   env=env, stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=120)
            except subprocess.TimeoutExpired:
                raise BenchError("graphcloud user create did not finish within 120 s")
        if r.returncode != 0:
            raise BenchError(f"graphcloud user create exited {r.returncode}:\n{tail(self.log_path)}")
        p1, p2 = free_port(), free_port()
        while p2 == p1:
            p2 = free_port()
        self.control = f"http://127.0.0.1:{p1}/graphql"
        self.backend_port = p2
        self.proc = ctx.runner.spawn(self.name, [binary, "serve", "--data-dir", data_dir,
                                                 "--control-addr", f"127.0.0.1:{p1}",
                                                 "--backend-addr", f"127.0.0.1:{p2}",
                                                 "--base-domain", "localhost"], self.log_path)
        wait_port(p1, self.proc, "graphcloud control plane", self.log_path)
        wait_port(p2, self.proc, "graphcloud backend listener", self.log_path)

        login = (f"query {{ login(email: {json.dumps(GC_EMAIL)}, password: {json.dumps(GC_PASSWORD)}) "
                 f"{{ token }} }}")
        data = self._ok("login", self.control, login)
        token = (data.get("login") or {}).get("token")
        if not token:
            raise BenchError(f"graphcloud login returned no token: {data}")
        create = "mutation($input: NewDeployment!) { createDeployment(input: $input) { uid url jwtToken } }"
        data = self._ok("createDeployment", self.control, create,
                        {"input": {"name": "bench", "zone": "us-east-1", "deploymentMode": "graphql"}},
                        {"Authorization": f"Bearer {token}"})
        dep = data.get("createDeployment") or {}
        if not dep.get("url") or not dep.get("jwtToken"):
            raise BenchError(f"graphcloud createDeployment returned no url/jwtToken: {dep}")
        netloc = dep["url"].split("://", 1)[-1].split("/", 1)[0]
        self.host_header, self.subdomain = netloc, netloc.split(":", 1)[0].split(".", 1)[0]
        log(f"graphcloud: deployment {dep.get('uid')} at {netloc} (routing: {ctx.args.graphcloud_routing})")
        self.auth = {"X-Auth-Token": dep["jwtToken"]}

        # Schema: the backend may still be provisioning, so retry for a while.
        admin_url, admin_h = self.endpoint("/admin")
        update = ("mutation($sch: String!) { updateGQLSchema(input: {set: {schema: $sch}}) "
                  "{ gqlSchema { schema } } }")
        self._retry("updateGQLSchema", 120, lambda: self._ok(
            "updateGQLSchema", admin_url, update, {"sch": self.SCHEMA}, admin_h))
        self.load_data()

    def endpoint(self, path: str):
        """(url, headers) for a backend path such as /graphql or /admin."""
        p2 = self.backend_port
        if self.ctx.args.graphcloud_routing == "path":
            return f"http://127.0.0.1:{p2}/backends/{self.subdomain}{path}", dict(self.auth)
        return f"http://127.0.0.1:{p2}{path}", dict(self.auth, Host=self.host_header)

    def _ok(self, what, url, query, variables=None, headers=None):
        try:
            status, doc, raw = gql(url, query, variables, headers)
        except OSError as e:
            raise BenchError(f"graphcloud {what}: {e}")
        if status != 200 or not isinstance(doc, dict) or doc.get("errors") or not isinstance(doc.get("data"), dict):
            raise BenchError(f"graphcloud {what}: HTTP {status}: {raw[:500]!r}")
        return doc["data"]

    def _retry(self, what, seconds, fn):
        deadline, said = time.time() + seconds, False
        while True:
            try:
                return fn()
            except BenchError as e:
                if self.proc is not None and self.proc.poll() is not None:
                    raise BenchError(f"{e}; graphcloud serve exited {self.proc.returncode}:\n{tail(self.log_path)}")
                if time.time() > deadline:
                    raise BenchError(f"{e} (still failing after {seconds} s of retries)")
                if not said:
                    log(f"graphcloud: {what} not accepted yet, retrying for up to {seconds} s: {str(e)[:200]}")
                    said = True
                time.sleep(1)

    def load_data(self):
        ds = self.ctx.dataset
        url, h = self.endpoint("/graphql")
        t0 = time.time()
        add = "mutation($input: [AddPersonInput!]!) { addPerson(input: $input) { person { id name } } }"
        uid_of: dict[int, str] = {}
        for start in range(0, N_PEOPLE, BATCH):
            chunk = [{"name": p["name"], "age": p["age"], "email": p["email"]} for p in ds[start:start + BATCH]]
            # The first batch may race the schema taking effect; later ones must succeed at once.
            run = lambda: self._ok("addPerson", url, add, {"input": chunk}, h)
            data = self._retry("addPerson", 30, run) if start == 0 else run()
            for p in (data.get("addPerson") or {}).get("person") or []:
                if p.get("name", "").startswith("Person "):
                    uid_of[int(p["name"][7:])] = p["id"]
        missing = [i for i in range(N_PEOPLE) if i not in uid_of]
        if missing:
            raise BenchError(f"graphcloud addPerson returned no id for {len(missing)} people (e.g. {missing[:5]})")
        for start in range(0, N_PEOPLE, BATCH):
            parts = []
            for p in ds[start:start + BATCH]:
                friends = ", ".join(f"{{id: {json.dumps(uid_of[f])}}}" for f in p["friends"])
                parts.append(f"u{p['idx']}: updatePerson(input: {{filter: {{id: [{json.dumps(uid_of[p['idx']])}]}}, "
                             f"set: {{friends: [{friends}]}}}}) {{ numUids }}")
            data = self._ok("updatePerson", url, "mutation { " + " ".join(parts) + " }", None, h)
            absent = [k for k in (f"u{p['idx']}" for p in ds[start:start + BATCH]) if data.get(k) is None]
            if absent:
                raise BenchError(f"graphcloud updatePerson: no result for {absent[:5]}")
        self.uid_of = uid_of
        self.idx_of = {u: i for i, u in uid_of.items()}
        log(f"graphcloud: loaded {N_PEOPLE} people and {N_PEOPLE * N_FRIENDS} friend edges "
            f"in {time.time() - t0:.1f} s")

    def request(self, w):
        url, h = self.endpoint("/graphql")
        return url, h, gql_body(dg_queries(self.uid_of[W3_INDEX])[w])

    def id2idx(self, value):
        return self.idx_of.get(value) if isinstance(value, str) else None

    def version(self):
        path = os.path.abspath(self.ctx.args.graphcloud)
        r = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        rev = r.stdout.strip() or "no git revision"
        return f"graphcloud @ {rev} ({path})"


SERVER_CLASSES = {"postgraphile": PostGraphile, "yoga": Yoga, "baseline": Baseline, "graphcloud": Graphcloud}


# --------------------------------------------------------------------------- one server's turn

def measure_server(ctx, server: Server) -> list[dict]:
    rows = []
    args = ctx.args
    log(f"== {server.name}: starting")
    t0 = time.time()
    try:
        server.start()
    except Exception as e:  # any failure of one server leaves the others to run
        if not isinstance(e, BenchError):
            e = BenchError(f"{type(e).__name__}: {e}")
        log(f"{server.name}: FAILED to start: {e}")
        first = (str(e).splitlines() or [""])[0][:200]
        return [{"server": server.name, "workload": w, "ok": False, "failure": f"start failed: {first}"}
                for w in args.workloads]
    log(f"{server.name}: ready after {time.time() - t0:.1f} s (pid {server.proc.pid})")
    ctx.versions[server.name] = server.version()
    for w in args.workloads:
        row = {"server": server.name, "workload": w, "ok": False}
        rows.append(row)
        try:
            url, headers, body = server.request(w)
            status, raw = http_post(url, body, headers)
            problems = validate(server.shape, w, status, raw, server.id2idx, ctx.dataset)
            row["bytes"] = len(raw)
            if problems:
                row["failure"] = "invalid response: " + "; ".join(problems[:3])
                log(f"{server.name} {w}: INVALID response: {problems[:5]}\n    body: {raw[:400]!r}")
                continue
            if server.shape == "dg":
                row["identical_to_baseline"] = raw == expected_dg_bytes(ctx.dataset, w)
            status2, raw2 = http_post(url, body, headers)
            # Deterministic servers answer byte-identical bodies: then autocannon checks every
            # response under load against this one (mismatches count as errors).
            row["stable_body"] = status2 == 200 and raw2 == raw
            expect = raw if row["stable_body"] else None
            if args.warmup > 0:
                log(f"{server.name} {w}: warm-up {args.warmup:g} s")
                run_load(ctx, f"{server.name}-{w}-warmup", url, headers, body, args.warmup, None)
            main, db = server.main_pids(), server.db_pids()
            row["hwm_reset"] = reset_hwm(main)
            cpu0, db0 = cpu_ticks(main), cpu_ticks(db)
            sampler = PssSampler(server.db_pids) if db else None
            if sampler:
                sampler.start()
            log(f"{server.name} {w}: measuring {args.duration:g} s, {args.connections} connections")
            res = run_load(ctx, f"{server.name}-{w}", url, headers, body, args.duration, expect)
            db_peak = sampler.finish() if sampler else 0
            main_now = server.main_pids()
            if not main_now:
                raise BenchError(f"{server.name} died during the run:\n{tail(server.log_path)}")
            hwm = sum(status_kib(p, "VmHWM") for p in main_now)
            secs = max(res["duration_s"] or args.duration, 0.001)
            row.update({
                "ok": True,
                "rps": res["reqs_per_s_avg"],
                "p50_ms": res["latency_ms"]["p50"],
                "p99_ms": res["latency_ms"]["p99"],
                "non2xx": res["non2xx"], "errors": res["errors"], "timeouts": res["timeouts"],
                "mismatches": res["mismatches"],
                "peak_rss_mib": hwm / 1024,
                "db_peak_pss_mib": db_peak / 1024 if db else None,
                "server_cpu_pct": 100 * (cpu_ticks(main_now) - cpu0) / CLK_TCK / secs,
                "db_cpu_pct": 100 * (cpu_ticks(server.db_pids()) - db0) / CLK_TCK / secs if db else None,
                "loadgen_cpu_pct": 100 * res["loadgen_cpu_s"] / secs,
                "wire_bytes_per_req": res["wire_bytes_total"] / res["reqs_total"] if res["reqs_total"] else None,
                "load": res,
            })
            log(f"{server.name} {w}: {row['rps']:.0f} req/s, p50 {row['p50_ms']:.2f} ms, "
                f"p99 {row['p99_ms']:.2f} ms, errors {error_count(row)}")
        except Exception as e:  # one workload's failure leaves the others to run
            row["ok"] = False
            row["failure"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            log(f"{server.name} {w}: FAILED: {e}")
    return rows


def error_count(row) -> int:
    return sum(row.get(k) or 0 for k in ("non2xx", "errors", "mismatches"))


# --------------------------------------------------------------------------- report

def fmt_num(v, digits=2):
    return "–" if v is None else f"{v:,.{digits}f}"


def render(ctx, rows: list[dict], meta: dict) -> str:
    gc = {r["workload"]: r["rps"] for r in rows if r["server"] == "graphcloud" and r.get("ok")}
    with_ratio = any(r["server"] == "graphcloud" for r in rows)
    out = [f"### GraphQL peers benchmark, {meta['date']}", ""]
    out.append(f"- machine: {meta['machine']}; load average (1 min) {meta['load_start']:.2f} before, "
               f"{meta['load_end']:.2f} after")
    out.append(f"- load: autocannon {meta['autocannon']}, {ctx.args.connections} connections, "
               f"{ctx.args.duration:g} s per run after a {ctx.args.warmup:g} s warm-up, POST JSON, "
               f"one server at a time; data: {N_PEOPLE} people x {N_FRIENDS} friends")
    out.append("- workloads: " + "; ".join(f"{w} = {WORKLOAD_TEXT[w]}" for w in ctx.args.workloads))
    for name, v in ctx.versions.items():
        out.append(f"- {name}: {v}")
    out.append("")
    head = ["server", "workload", "req/s", "p50 ms", "p99 ms", "errors", "bytes", "peak RSS MiB"]
    if with_ratio:
        head.append("graphcloud ÷ server")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|")
    for r in rows:
        if not r.get("ok"):
            cells = [r["server"], r["workload"], "FAILED", "–", "–", "–",
                     str(r.get("bytes", "–")), "–"]
            if with_ratio:
                cells.append("–")
            out.append("| " + " | ".join(cells) + " |")
            continue
        n = error_count(r)
        if n:
            parts = [f"{k} {r[k]}" for k in ("non2xx", "errors", "timeouts", "mismatches") if r.get(k)]
            err = f"{n} ({', '.join(parts)})"
        else:
            err = "0"
        rss = fmt_num(r["peak_rss_mib"], 1)
        if not r.get("hwm_reset"):
            rss += "*"
        if r.get("db_peak_pss_mib") is not None:
            rss += f" + {r['db_peak_pss_mib']:.1f} pg"
        cells = [r["server"], r["workload"], fmt_num(r["rps"], 0), fmt_num(r["p50_ms"]), fmt_num(r["p99_ms"]),
                 err, str(r["bytes"]), rss]
        if with_ratio:
            g = gc.get(r["workload"])
            cells.append(f"{g / r['rps']:.2f}x" if g and r["rps"] else "–")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    # CPU split: shows who the 2 cores went to (a load generator near 100 % caps the row).
    out.append("| server | workload | server CPU % | db CPU % | autocannon CPU % | wire bytes/resp | body check |")
    out.append("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        if not r.get("ok"):
            continue
        check = "every response compared" if r.get("stable_body") else "first response only (body varies)"
        if r.get("identical_to_baseline"):
            check += ", byte-identical to baseline"
        out.append(f"| {r['server']} | {r['workload']} | {fmt_num(r['server_cpu_pct'], 0)} | "
                   f"{fmt_num(r['db_cpu_pct'], 0)} | {fmt_num(r['loadgen_cpu_pct'], 0)} | "
                   f"{fmt_num(r['wire_bytes_per_req'], 0)} | {check} |")
    notes = []
    for r in rows:
        if not r.get("ok"):
            notes.append(f"- {r['server']} {r['workload']}: {r.get('failure', 'failed')}")
    if any(r.get("ok") and not r.get("hwm_reset") for r in rows):
        notes.append("- `*` peak RSS is the process's lifetime peak (VmHWM could not be reset before the run)")
    if meta["load_start"] > 0.5:
        notes.append(f"- the machine was busy before the run (load average {meta['load_start']:.2f}); "
                     "compare only ratios within this table")
    out.append("")
    out.append("peak RSS = VmHWM of the server's process tree during the measured run (reset before it); "
               "`+ N pg` = peak summed PSS of the PostgreSQL processes. bytes = response body size.")
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(notes)
    return "\n".join(out) + "\n"


def machine_line() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}"


# --------------------------------------------------------------------------- main

class Ctx:
    pass


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/peers/run.sh", description=__doc__.split("\n\n")[0])
    ap.add_argument("--servers", default=",".join(ALL_SERVERS),
                    help=f"comma-separated, run in this order (default {','.join(ALL_SERVERS)})")
    ap.add_argument("--graphcloud", default=REPO, metavar="PATH",
                    help="graphcloud checkout to build and run (default: the repository holding this harness)")
    ap.add_argument("--duration", type=float, default=10, metavar="S", help="seconds per measured run (default 10)")
    ap.add_argument("--warmup", type=float, default=2, metavar="S", help="unmeasured seconds before each run (default 2)")
    ap.add_argument("--connections", type=int, default=16, help="autocannon connections (default 16)")
    ap.add_argument("--workloads", default=",".join(ALL_WORKLOADS), help="subset of W1,W2,W3")
    ap.add_argument("--graphcloud-routing", choices=["host", "path"], default="host",
                    help="reach the graphcloud backend by Host header (default) or /backends/<subdomain> path")
    ap.add_argument("--keep-temp", action="store_true", help="keep the run dir (logs, seed SQL, bodies)")
    a = ap.parse_args(argv)
    a.servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    a.workloads = [w.strip().upper() for w in a.workloads.split(",") if w.strip()]
    bad = [s for s in a.servers if s not in SERVER_CLASSES] + [w for w in a.workloads if w not in ALL_WORKLOADS]
    if bad or not a.servers or not a.workloads:
        ap.error(f"unknown or empty --servers/--workloads entries: {bad}")
    if len(set(a.servers)) != len(a.servers):
        ap.error("a server is listed twice in --servers")
    if a.duration <= 0 or a.warmup < 0 or a.connections < 1:
        ap.error("--duration must be > 0, --warmup >= 0, --connections >= 1")
    return a


def main(argv) -> int:
    args = parse_args(argv)
    for tool in ["node", "npm"] + (["cargo"] if {"baseline", "graphcloud"} & set(args.servers) else []):
        if not shutil.which(tool):
            log(f"error: `{tool}` is not on PATH")
            return 2
    os.makedirs(CACHE, exist_ok=True)
    lock = open(os.path.join(CACHE, ".run.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        log(f"error: another bench/peers run holds {lock.name}; runs must not overlap")
        return 2

    ctx = Ctx()
    ctx.args, ctx.runner, ctx.versions = args, Runner(), {}
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine_line(),
            "load_start": os.getloadavg()[0]}

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    rows: list[dict] = []
    try:
        # graphcloud first: a missing binary must fail the run before anything else is spent.
        if "graphcloud" in args.servers:
            ctx.graphcloud_bin = graphcloud_build(args.graphcloud)
        ctx.loadgen = os.path.join(npm_setup("loadgen"), "load.cjs")
        meta["autocannon"] = pkg_version(os.path.dirname(ctx.loadgen), "autocannon")
        if "yoga" in args.servers:
            ctx.yoga_dir = npm_setup("yoga")
        if "postgraphile" in args.servers:
            ctx.pg_dir = npm_setup("postgraphile")
            pg_bindir()
        if "baseline" in args.servers:
            ctx.baseline_bin = cargo_build_baseline()
        ctx.run_dir = tempfile.mkdtemp(prefix="bench-peers-run-")
        if args.keep_temp:
            log(f"run dir (kept): {ctx.run_dir}")
        else:
            ctx.runner.at_cleanup("run dir", lambda: shutil.rmtree(ctx.run_dir, ignore_errors=True))
        ctx.dataset = build_dataset()
        ctx.dataset_path = os.path.join(ctx.run_dir, "dataset.json")
        with open(ctx.dataset_path, "w") as f:
            json.dump({"people": [{k: p[k] for k in ("id", "name", "age", "email", "friends")} for p in ctx.dataset]}, f)

        for name in args.servers:
            server = SERVER_CLASSES[name](ctx)
            try:
                rows.extend(measure_server(ctx, server))
            finally:
                server.stop()
                log(f"{name}: stopped")
    except BenchError as e:
        log(f"error: {e}")
        return 2
    except KeyboardInterrupt as e:
        log(f"interrupted ({e}); cleaning up")
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # let cleanup finish
            signal.signal(sig, signal.SIG_IGN)
        ctx.runner.cleanup()

    meta["load_end"] = os.getloadavg()[0]
    table = render(ctx, rows, meta)
    print(table, flush=True)
    results = os.path.join(CACHE, "results")
    os.makedirs(results, exist_ok=True)
    stem = os.path.join(results, "peers-" + datetime.now().strftime("%Y%m%d-%H%M%S"))
    with open(stem + ".md", "w") as f:
        f.write(table)
    with open(stem + ".json", "w") as f:
        json.dump({"meta": meta, "args": vars(args), "versions": ctx.versions, "rows": rows}, f, indent=1, default=str)
    log(f"results saved: {stem}.md / .json")
    return 0 if rows and all(r.get("ok") and error_count(r) == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
