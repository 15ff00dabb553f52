#!/usr/bin/env python3
"""`swingpipe serve` against its peer (tools/bench-peers.sh server): req/s and p99 under wrk.

The peer is the Python suite's stack, FastAPI on uvicorn (tools/bench-peers/server_app.py), on
the same library and keys database. Both servers get the demo library (`swingpipe demo-data`)
and one key made by `swingpipe keys create` (bcrypt cost 12, scope read). Before timing, the
peer's GET /v1/library/stats must equal swingpipe's (the same statistics of the same file).

Measured, one after the other, with `wrk -t T -c C -d D --latency --timeout 30s` on loopback
(wrk and the server share the machine's cores):
  swingpipe   /health, /v1/library/stats (key cache warm)
  peer cached /health, /v1/library/stats (a verified-key cache like swingpipe's: no bcrypt)
  peer suite  /v1/library/stats as the suite answers it: bcrypt and a usage write per request
              (a few requests a second: wrk runs --suite-duration, default 30 s)
The peer runs W uvicorn worker processes (default: the number of cores), each with the default
thread pool for its sync route; swingpipe runs http.threads = C with no rate limit.
Prints a table and writes OUT/server.json.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def get(url, key=None, timeout=60):
    req = urllib.request.Request(url)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, proc, deadline_s=60):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench-peers server: {url} exited with {proc.returncode} before serving")
        try:
            get(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            # Not listening yet: wait for the process (returns as soon as it dies) a moment.
            try:
                proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
    raise SystemExit(f"bench-peers server: {url} did not answer within {deadline_s} s")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[m.group(2)]
    return float(m.group(1)) * scale


def wrk(args, url, key=None):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}", "--latency",
           "--timeout", "30s"]
    if key:
        cmd += ["-H", f"Authorization: Bearer {key}"]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    requests = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "url": url,
        "requests": int(requests.group(1)) if requests else 0,
        "req_per_s": float(rps.group(1)) if rps else 0.0,
        "p99_ms": to_ms(p99.group(1)) if p99 else float("nan"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "wrk": out,
    }


def same_stats(a, b):
    if a.keys() != b.keys():
        return False
    for k, v in a.items():
        w = b[k]
        if isinstance(v, float) or isinstance(w, float):
            if v is None or w is None or abs(v - w) > 1e-9 * max(1.0, abs(v)):
                return False
        elif v != w:
            return False
    return True


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin")
    ap.add_argument("out")
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--recordings", type=int, default=24)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="uvicorn workers")
    ap.add_argument("--suite-duration", default="30s",
                    help="wrk duration for the peer as the suite runs (one bcrypt per request: "
                         "a few requests a second, so longer than --duration)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench-peers server: wrk is not installed (apt-get install wrk)")

    work = tempfile.mkdtemp(prefix="bench-peers-server-")
    procs = []
    try:
        lib, keys_db = os.path.join(work, "library.db"), os.path.join(work, "keys.db")
        subprocess.run([args.bin, "--quiet", "--library", lib, "demo-data", "--count",
                        str(args.recordings)], check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([args.bin, "--json", "keys", "--keys-db", keys_db, "create",
                                  "--name", "bench", "--scopes", "read"],
                                 check=True, capture_output=True, text=True).stdout
        key = json.loads(created)["secret"]

        # swingpipe
        port = free_port()
        config = {
            "listen": {"host": "127.0.0.1", "port": port},
            "data": {"library": lib, "keys_database": keys_db,
                     "tasks_database": os.path.join(work, "tasks.db"),
                     "output_dir": os.path.join(work, "out")},
            "http": {"threads": args.connections, "rate_limit_per_second": 0},
        }
        with open(os.path.join(work, "server.json"), "w") as f:
            json.dump(config, f)
        log = open(os.path.join(work, "swingpipe.log"), "w")
        sp = subprocess.Popen([args.bin, "--quiet", "serve", "--config",
                               os.path.join(work, "server.json")], stdout=log, stderr=log)
        procs.append(sp)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/health", sp)
        status, body = get(base + "/v1/library/stats", key)  # pays the one bcrypt
        ours = json.loads(body)
        results = {"swingpipe": {"health": wrk(args, base + "/health"),
                                 "stats": wrk(args, base + "/v1/library/stats", key)}}
        stop(sp)

        def peer(mode):
            port = free_port()
            env = dict(os.environ, PEER_LIBRARY=lib, PEER_KEYS_DB=keys_db, PEER_MODE=mode)
            log = open(os.path.join(work, f"peer-{mode}.log"), "w")
            p = subprocess.Popen([sys.executable, "-m", "uvicorn", "server_app:app", "--app-dir", HERE,
                                  "--host", "127.0.0.1", "--port", str(port), "--workers",
                                  str(args.workers), "--log-level", "warning", "--no-access-log"],
                                 env=env, stdout=log, stderr=log)
            procs.append(p)
            url = f"http://127.0.0.1:{port}"
            wait_ready(url + "/health", p)
            return p, url

        p, url = peer("cached")
        theirs = json.loads(get(url + "/v1/library/stats", key)[1])
        if not same_stats(ours, theirs):
            raise SystemExit("bench-peers server: the peer's statistics differ from swingpipe's:\n"
                             f"  swingpipe {ours}\n  peer      {theirs}")
        for _ in range(args.workers * 2):  # each worker process has its own cache
            get(url + "/v1/library/stats", key)
        results["peer_cached"] = {"health": wrk(args, url + "/health"),
                                  "stats": wrk(args, url + "/v1/library/stats", key)}
        stop(p)
        p, url = peer("suite")
        suite_args = argparse.Namespace(**vars(args))
        suite_args.duration = args.suite_duration
        results["peer_suite"] = {"stats": wrk(suite_args, url + "/v1/library/stats", key)}
        stop(p)
        usage = subprocess.run([args.bin, "--json", "keys", "--keys-db", keys_db, "list"],
                               check=True, capture_output=True, text=True).stdout
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(work, ignore_errors=True)

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
                 "?")
    print(f"machine: {model}, {os.cpu_count()} cores, load average after the runs {load}")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency; "
          f"{args.recordings} demo recordings; peer: FastAPI + uvicorn, {args.workers} workers")
    print(f"{'server':<12} {'route':<20} {'req/s':>10} {'p99 ms':>9} {'requests':>9} {'errors':>7}")
    for server, routes in results.items():
        for route, r in routes.items():
            errs = r["non_2xx"] + r["socket_errors"]
            rps = f"{r['req_per_s']:.0f}" if r["req_per_s"] >= 100 else f"{r['req_per_s']:.2f}"
            print(f"{server:<12} {route:<20} {rps:>10} {r['p99_ms']:>9.2f} "
                  f"{r['requests']:>9} {errs:>7}")
    ours_rps = results["swingpipe"]["stats"]["req_per_s"]
    ratios = []
    for peer_name in ("peer_cached", "peer_suite"):
        theirs_rps = results[peer_name]["stats"]["req_per_s"]
        ratios.append(f"/ {peer_name} = " + (f"{ours_rps / theirs_rps:.1f}x" if theirs_rps > 0 else
                                             "n/a (no request completed: use a longer duration)"))
    print("authenticated stats: swingpipe " + ", ".join(ratios))
    summary = {k: {r: {f: v for f, v in x.items() if f != "wrk"} for r, x in routes.items()}
               for k, routes in results.items()}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "server.json"), "w") as f:
        json.dump({"machine": model, "cores": os.cpu_count(), "load_after": load,
                   "args": vars(args), "results": summary,
                   "keys_list_after": json.loads(usage)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
