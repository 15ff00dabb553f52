#!/usr/bin/env python3
"""tools/bench-peers.sh iaa: the Python suite's induced-acceleration pattern against swingpipe.

Arguments: swingpipe-binary out-dir [--model FILE] [--repeat R].

One simulated swing (`swingpipe simulate`, seed 2026, 500 Hz) of the model (default
configs/models/golfer_full.xml: nv 27, 21 actuators, 27 right-hand sides per frame). The peer is
the Python suite's pattern with PyPI's `mujoco`: per frame mj_forward, then one mj_solveM per
contributor (6 + one per actuator), over the recorded forces. swingpipe's figures come from
`swingpipe bench` (iaa/cpu/nv:N: M(q) from the position stages + one tree-sparse factorization and
one multi-right-hand-side solve per frame, the swing's frames repeated to 20 000, all cores; and
iaa/cpu/threads:1/nv:N), by wall clock and by CPU time per frame (the fair view on a busy box).
Both sides check closure (contributions sum to the recorded qacc), and the peer's club-head peaks
per contributor are compared with `swingpipe induced-accel`.
"""
import argparse
import json, os, subprocess, sys, time
import numpy as np
import mujoco

ap = argparse.ArgumentParser(prog="bench-peers.sh iaa")
ap.add_argument("bin")
ap.add_argument("out")
ap.add_argument("--model", default="configs/models/golfer_full.xml")
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()
bin_, out, model_path, repeat = args.bin, args.out, args.model, args.repeat
if not os.path.isfile(model_path):
    sys.exit(f"bench-peers iaa: no model file {model_path}")
lib = os.path.join(out, "iaa_peer.db")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(lib + suffix):
        os.remove(lib + suffix)
sim = json.loads(subprocess.run([bin_, "--library", lib, "--json", "simulate", "--model", model_path,
                                 "--count", "1", "--seed", "2026", "--progress", "never"],
                                check=True, capture_output=True, text=True).stdout)
rid = str(sim["first_id"])
doc_path = os.path.join(out, "iaa_swing.json")
subprocess.run([bin_, "--library", lib, "library", "export", rid, doc_path], check=True,
               capture_output=True)
doc = json.load(open(doc_path))
ch = {name: np.array([np.nan if v is None else v for v in col], dtype=np.float64)
      for name, col in zip(doc["channels"], doc["data"])}

m = mujoco.MjModel.from_xml_path(model_path)
d = mujoco.MjData(m)
nv, nu = m.nv, m.nu
def jname(j):
    return mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_JOINT, j)
qnames, dnames = [None] * m.nq, [None] * nv
for j in range(m.njnt):
    t = m.jnt_type[j]
    nq_j, nv_j = (7, 6) if t == mujoco.mjtJoint.mjJNT_FREE else (4, 3) if t == mujoco.mjtJoint.mjJNT_BALL else (1, 1)
    for k in range(nq_j):
        qnames[m.jnt_qposadr[j] + k] = jname(j) if nq_j == 1 else f"{jname(j)}[{k}]"
    for k in range(nv_j):
        dnames[m.jnt_dofadr[j] + k] = jname(j) if nv_j == 1 else f"{jname(j)}[{k}]"
anames = [mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_ACTUATOR, i) for i in range(nu)]
def block(prefix, names):
    return np.stack([ch[prefix + n] for n in names], axis=1)
qpos, qvel, qacc = block("qpos:", qnames), block("qvel:", dnames), block("qacc:", dnames)
ctrl = block("ctrl:", anames)
G, bias = block("gravity:", dnames), block("bias:", dnames)
passive, constraint = block("passive:", dnames), block("constraint:", dnames)
applied, actuator = block("applied:", dnames), block("actuator:", dnames)
force = block("force:", anames)
moment = np.zeros((qpos.shape[0], nu, nv))
for a, an in enumerate(anames):
    for v, dn in enumerate(dnames):
        key = f"moment:{an}:{dn}"
        if key in ch:
            moment[:, a, v] = ch[key]
n = qpos.shape[0]
k = 6 + nu

def contributions(f):
    """The Python suite's pattern: mj_forward, then one mj_solveM per contributor."""
    d.qpos[:] = qpos[f]; d.qvel[:] = qvel[f]; d.ctrl[:] = ctrl[f]; d.qfrc_applied[:] = applied[f]
    mujoco.mj_forward(m, d)
    forces = [-G[f], -(bias[f] - G[f]), passive[f], constraint[f], applied[f], actuator[f]]
    forces += [moment[f, a] * force[f, a] for a in range(nu)]
    x = np.empty((k, nv))
    for c, F in enumerate(forces):
        mujoco.mj_solveM(m, d, x[c:c + 1], F.reshape(1, nv))
    return x

best = best_cpu = float("inf")
for _ in range(repeat):
    t0, c0 = time.perf_counter(), time.process_time()
    X = [contributions(f) for f in range(n)]
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)
X = np.array(X)
closure = np.max(np.abs(X[:, :6].sum(axis=1) - qacc) / np.maximum(np.abs(X[:, :6]).max(axis=1), np.abs(qacc)).max(axis=1, keepdims=True))

# Club-head peaks per contributor, for the agreement check (not timed).
site = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, "club_head")
jac = np.zeros((3, nv))
acc = np.stack([ch[f"site_acc:club_head[{e}]"] for e in range(3)], axis=1)
peaks = np.zeros(k)
for f in range(n):
    d.qpos[:] = qpos[f]
    mujoco.mj_kinematics(m, d); mujoco.mj_comPos(m, d)
    mujoco.mj_jacSite(m, d, jac, None, site)
    a = X[f] @ jac.T
    a[1] += acc[f] - jac @ qacc[f]          # J'qd belongs to velocity
    peaks = np.maximum(peaks, np.linalg.norm(a, axis=1))

sp = json.loads(subprocess.run([bin_, "--library", lib, "--json", "induced-accel", rid, "--per-actuator",
                                "--models", os.path.dirname(os.path.abspath(model_path))],
                               check=True, capture_output=True, text=True).stdout)[0]
names = sp["contributors"]
sp_peaks = np.array([sp["sites"]["club_head"]["contributors"][c]["peak"] for c in names])
agree = float(np.max(np.abs(sp_peaks - peaks) / np.maximum(np.abs(peaks), 1e-9)))

bench = json.loads(subprocess.run([bin_, "bench", f"--benchmark_filter=^iaa/cpu/(threads:1/)?nv:{nv}(/|$)",
                                   "--benchmark_format=json", "--benchmark_min_time=0.5"],
                                  check=True, capture_output=True, text=True).stdout)
# Google Benchmark appends "/real_time" to cases timed by wall clock.
fps = {b["name"].removesuffix("/real_time"): b["frames_per_second"] for b in bench["benchmarks"]}
cpu_us = {b["name"].removesuffix("/real_time"): b.get("cpu_us_per_frame", float("nan"))
          for b in bench["benchmarks"]}
peer_fps = n / best
peer_cpu_us = 1e6 * best_cpu / n
print(f"Induced accelerations, {os.path.basename(model_path)} (nv {nv}, {k} right-hand sides), "
      f"{n} recorded frames, best of {repeat}")
print(f"  {'mujoco ' + mujoco.__version__ + ' (mj_forward + mj_solveM each)':<52} {peer_fps:12.0f} frames/s  "
      f"{1e6 / peer_fps:7.1f} us/frame  (1 thread)")
for name, v in sorted(fps.items()):
    print(f"  {'swingpipe ' + name:<52} {v:12.0f} frames/s  {1e6 / v:7.2f} us/frame")
best_sp = fps.get(f"iaa/cpu/nv:{nv}", float("nan"))
print(f"  speed-up swingpipe (all cores) / peer: {best_sp / peer_fps:.1f}x; "
      f"one core: {fps.get(f'iaa/cpu/threads:1/nv:{nv}', float('nan')) / peer_fps:.1f}x")
# On a shared machine wall clock depends on the other work; CPU time per frame does not (much).
one = cpu_us.get(f"iaa/cpu/threads:1/nv:{nv}", float("nan"))
print(f"  CPU time per frame: peer {peer_cpu_us:.1f} us, swingpipe one thread {one:.2f} us "
      f"({peer_cpu_us / one:.1f}x), all threads {cpu_us.get(f'iaa/cpu/nv:{nv}', float('nan')):.2f} us "
      f"(summed over threads); by CPU time 2 idle cores would give ~{2e6 / one:.0f} frames/s")
print(f"  closure of the peer's contributions: {closure.max():.2e}; club-head peaks agree to {agree:.2e}")
if not (closure.max() < 1e-8 and agree < 1e-6):
    sys.exit("bench-peers: the peer and swingpipe disagree")
