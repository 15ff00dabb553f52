#!/usr/bin/env python3
"""RQA against its peers (tools/bench-peers.sh rqa): exactness against pyRQA, then timings.

Data: the x, y, z of a Lorenz-63 trajectory (sigma 10, rho 28, beta 8/3, RK4 with dt = 0.01
after 1000 transient steps), the same generator as `swingpipe bench rqa`, written to CSV with 17
significant digits so that swingpipe reads exactly the values the peers get.

1. check: pyRQA 8.1 (OpenCL on the pocl CPU device, float64) and `swingpipe rqa --convention
   pyrqa` on 1500 points, for the Euclidean, maximum and taxicab metrics, Theiler windows 0, 1
   and 5, auto-recurrence, cross-recurrence (x against the next 1200 points) and joint recurrence
   (x, y against z): the diagonal, vertical and white vertical histograms must be equal and every
   measure within 1e-6 (pyRQA computes the measures in float32). (Theiler 0 and 5 with the
   Euclidean metric only: each pyRQA computation builds its OpenCL kernels anew, seconds each.)
2. timing, n points, absolute eps, Theiler 1, Euclidean, float32 on both:
   pyRQA with variants_kwargs={"optimisations_enabled": True} (its default builds the kernels
   with -cl-opt-disable), swingpipe's CPU backend (`seconds` = the RQA itself, no file I/O), and
   a numpy re-creation of the Python suite's dense method (the dense n x n distance matrix,
   d < eps, RR and DET from the dense boolean matrix, DET on one triangle) at min(n, dense_max)
   points. Each runs in its own process; peak memory is that process's max RSS.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def lorenz(n):
    s = np.array([1.0, 1.0, 1.0])
    dt = 0.01

    def f(v):
        return np.array([10.0 * (v[1] - v[0]), v[0] * (28.0 - v[2]) - v[1],
                         v[0] * v[1] - 8.0 / 3.0 * v[2]])

    def step(s):
        k1 = f(s)
        k2 = f(s + 0.5 * dt * k1)
        k3 = f(s + 0.5 * dt * k2)
        k4 = f(s + dt * k3)
        return s + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    for _ in range(1000):
        s = step(s)
    out = np.empty((n, 3))
    for i in range(n):
        s = step(s)
        out[i] = s
    return out


def write_csv(path, x, names="x,y,z"):
    np.savetxt(path, x, delimiter=",", header=names, comments="", fmt="%.17g")
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def pyrqa_settings(x, y, eps, metric, w, dtype):
    from pyrqa.analysis_type import Classic, Cross
    from pyrqa.neighbourhood import FixedRadius
    from pyrqa.settings import Settings
    from pyrqa.time_series import EmbeddedSeries
    if y is None:
        return Settings(EmbeddedSeries(x, dtype=dtype), analysis_type=Classic,
                        neighbourhood=FixedRadius(eps), similarity_measure=metric,
                        theiler_corrector=w)
    return Settings((EmbeddedSeries(x, dtype=dtype), EmbeddedSeries(y, dtype=dtype)),
                    analysis_type=Cross, neighbourhood=FixedRadius(eps),
                    similarity_measure=metric, theiler_corrector=w)


def pyrqa_result(settings, joint=False, optimised=True):
    from pyrqa.computation import JRQAComputation, RQAComputation
    from pyrqa.opencl import OpenCL
    opencl = OpenCL(platform_id=0, device_ids=(0,))
    factory = JRQAComputation if joint else RQAComputation
    comp = factory.create(settings, verbose=False, opencl=opencl,
                          variants_kwargs={"optimisations_enabled": optimised})
    t0 = time.perf_counter()
    r = comp.run()
    secs = time.perf_counter() - t0
    r.min_diagonal_line_length = 2
    r.min_vertical_line_length = 2
    r.min_white_vertical_line_length = 2
    return r, secs


def histogram(freq):
    """pyRQA's frequency distribution (index = length - 1) as ours (index = length, trimmed)."""
    h = [0] + [int(v) for v in freq]
    while len(h) > 1 and h[-1] == 0:
        h.pop()
    return h if len(h) > 1 else []


def swingpipe(bin_, args):
    out = subprocess.run([bin_, "--json", "-q", "rqa"] + args, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def check(bin_, workdir):
    from pyrqa.metric import EuclideanMetric, MaximumMetric, TaxicabMetric
    from pyrqa.settings import JointSettings
    data = lorenz(2700)
    x = write_csv(os.path.join(workdir, "check_x.csv"), data[:1500])
    y = write_csv(os.path.join(workdir, "check_y.csv"), data[1500:])
    xy = write_csv(os.path.join(workdir, "check_xy.csv"), data[:1500, :2], "x,y")
    metrics = {"euclidean": (EuclideanMetric, 2.0), "maximum": (MaximumMetric, 1.5),
               "manhattan": (TaxicabMetric, 3.0)}
    failures = 0
    checked = 0
    for norm, (metric, eps) in metrics.items():
        for w in ((0, 1, 5) if norm == "euclidean" else (1,)):
            cases = [("auto", pyrqa_settings(x, None, eps, metric, w, np.float64), False,
                      ["check_x.csv"]),
                     ("cross", pyrqa_settings(x, y, eps, metric, w, np.float64), False,
                      ["check_x.csv", "check_y.csv"])]
            joint = JointSettings(pyrqa_settings(xy, None, eps, metric, w, np.float64),
                                  pyrqa_settings(x[:, 2:], None, eps / 2, metric, w, np.float64))
            cases.append(("joint", joint, True, ["check_x.csv"]))
            for kind, settings, is_joint, files in cases:
                r, _ = pyrqa_result(settings, joint=is_joint)
                args = [os.path.join(workdir, f) for f in files] + [
                    "--no-zscore", "--eps", repr(eps), "--norm", norm, "--theiler", str(w),
                    "--convention", "pyrqa"]
                if is_joint:
                    # pyRQA's joint settings take one eps per group; swingpipe takes one absolute
                    # eps for both, so the second group is scaled by 2 to use eps / 2.
                    zx = os.path.join(workdir, "check_joint.csv")
                    write_csv(zx, np.column_stack([x[:, 0], x[:, 1], 2 * x[:, 2]]), "x,y,z2")
                    args = [zx, "--channels", "x,y", "--joint-channels", "z2", "--no-zscore",
                            "--eps", repr(eps), "--norm", norm, "--theiler", str(w),
                            "--convention", "pyrqa"]
                j = swingpipe(bin_, args)
                got = j["histograms"]
                ok = (got["diagonal"] == histogram(r.diagonal_frequency_distribution) and
                      got["vertical"] == histogram(r.vertical_frequency_distribution) and
                      got["white_vertical"] == histogram(r.white_vertical_frequency_distribution))
                pairs = [("rr", r.recurrence_rate), ("det", r.determinism),
                         ("l", r.average_diagonal_line), ("lmax", r.longest_diagonal_line),
                         ("entr", r.entropy_diagonal_lines), ("lam", r.laminarity),
                         ("tt", r.trapping_time), ("vmax", r.longest_vertical_line)]
                for key, want in pairs:
                    a, b = j[key], float(want)
                    if a is None:
                        ok = ok and np.isnan(b)
                    else:
                        ok = ok and abs(a - b) <= 1e-6 * max(1.0, abs(b))
                checked += 1
                if not ok:
                    failures += 1
                    print(f"  MISMATCH {kind} {norm} w={w}: swingpipe "
                          f"{[j[k] for k, _ in pairs]} pyRQA {[float(v) for _, v in pairs]}")
    print(f"check: {checked} cases (auto, cross, joint x Euclidean with Theiler 0/1/5, maximum and taxicab with 1; 1500 points), "
          f"{checked - failures} equal to pyRQA (histograms exactly, measures to 1e-6)")
    return failures == 0


def dense_rqa(x, eps):
    """The Python suite's dense method, re-created with numpy: the whole matrix in memory."""
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1))
    r = d < eps
    np.fill_diagonal(r, False)
    n = len(x)
    rr = r.sum() / (n * n - n)
    det_points = 0
    for k in range(1, n):  # one triangle, as the suite did
        diag = np.diagonal(r, k).astype(np.int8)
        edges = np.diff(np.concatenate([[0], diag, [0]]))
        starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        lengths = ends - starts
        det_points += lengths[lengths >= 2].sum()
    return rr, det_points / max(1, r[np.triu_indices(n, 1)].sum())


def child(mode, path, n, eps, bin_):
    x = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)[:n]
    if mode == "pyrqa":
        # Each pyRQA computation builds its OpenCL kernels (seconds): a 200-point run measures
        # that fixed cost, which is subtracted for the cells/s figure.
        from pyrqa.metric import EuclideanMetric
        _, fixed = pyrqa_result(pyrqa_settings(x[:200], None, eps, EuclideanMetric, 1, np.float32))
        r, secs = pyrqa_result(pyrqa_settings(x, None, eps, EuclideanMetric, 1, np.float32))
        return {"seconds": secs, "fixed": fixed, "rr": float(r.recurrence_rate),
                "det": float(r.determinism)}
    if mode == "dense":
        t0 = time.perf_counter()
        rr, det = dense_rqa(x, eps)
        return {"seconds": time.perf_counter() - t0, "rr": float(rr), "det": float(det)}
    raise SystemExit(f"unknown mode {mode}")


def timed(mode, path, n, eps, bin_):
    """Runs one method in a fresh process (swingpipe: the binary itself); returns its result and
    that process's peak RSS in MiB (wait4)."""
    if mode == "swingpipe":
        cmd = [bin_, "--json", "-q", "rqa", path, "--no-zscore", "--eps", repr(eps),
               "--precision", "float32", "--convention", "pyrqa"]
    else:
        cmd = [sys.executable, __file__, "--child", mode, path, str(n), repr(eps), bin_]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"bench-peers: {mode} failed with exit code {p.returncode}")
    res = json.loads(out) if mode == "swingpipe" else json.loads(out.strip().splitlines()[-1])
    res["peak_mib"] = usage.ru_maxrss / 1024.0
    return res


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, path, n, eps, bin_ = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
        print(json.dumps(child(mode, path, n, eps, bin_)))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("workdir")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--dense-max", type=int, default=10000)
    ap.add_argument("--eps", type=float, default=1.0)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--no-timing", action="store_true")
    a = ap.parse_args()
    ok = True
    if not a.no_check:
        ok = check(a.bin, a.workdir)
    if not a.no_timing:
        path = os.path.join(a.workdir, f"lorenz_{a.n}.csv")
        write_csv(path, lorenz(a.n))
        nd = min(a.n, a.dense_max)
        rows = [("pyRQA 8.1 optimised (pocl CPU)", timed("pyrqa", path, a.n, a.eps, a.bin), a.n),
                ("swingpipe cpu", timed("swingpipe", path, a.n, a.eps, a.bin), a.n),
                ("numpy dense (Python suite's method)", timed("dense", path, nd, a.eps, a.bin), nd)]
        print(f"RQA timing: Lorenz-63 x, y, z, eps = {a.eps}, Theiler 1, Euclidean, float32 "
              f"(dense: float64), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        print("  (RR and DET in pyRQA's convention for pyRQA and swingpipe; the dense method "
              "leaves out the main diagonal and counts DET on one triangle)")
        for name, r, n in rows:
            cells = float(n) * n
            work = r["seconds"] - r.get("fixed", 0.0)
            extra = f" (kernel builds {r['fixed']:.2f} s)" if "fixed" in r else ""
            print(f"  {name:<38} n={n:<7} {r['seconds']:9.3f} s  {cells / work:10.3e} cells/s"
                  f"  peak {r['peak_mib']:8.1f} MiB  RR {r['rr']:.5f}  DET {r['det']:.5f}{extra}")
        py = rows[0][1]["seconds"] - rows[0][1]["fixed"]
        print(f"  swingpipe / pyRQA (cells/s): {py / rows[1][1]['seconds']:.1f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
