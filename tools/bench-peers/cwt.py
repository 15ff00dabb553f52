#!/usr/bin/env python3
"""tools/bench-peers.sh cwt: fCWT, ssqueezepy and PyWavelets against `swingpipe cwt`.

Arguments: swingpipe-binary out-dir [--lengths 14,16,18] [--scales 64,256] [--threads T]
[--repeat R] [--pywt-max 16]. tools/bench-peers.sh documents the setup.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

ap = argparse.ArgumentParser(prog="bench-peers.sh cwt")
ap.add_argument("bin")
ap.add_argument("out")
ap.add_argument("--lengths", default="14,16,18", help="log2 of the signal lengths")
ap.add_argument("--scales", default="64,256", help="scale counts")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--pywt-max", type=int, default=16, help="largest log2 length for PyWavelets")
args = ap.parse_args()
binary, out = args.bin, args.out
lengths = [int(v) for v in args.lengths.split(",")]
scale_counts = [int(v) for v in args.scales.split(",")]
threads, repeat, pywt_max = args.threads, args.repeat, args.pywt_max
# Thread counts must be set before numpy, numba (ssqueezepy) and fCWT load.
os.environ["OMP_NUM_THREADS"] = str(threads)
os.environ["NUMBA_NUM_THREADS"] = str(threads)
os.environ["MPLBACKEND"] = "Agg"

import numpy as np  # noqa: E402

FS = 1000  # fCWT's Scales take an integer sample rate
F0, F1 = FS / 256, FS / 4
W0 = 4 * math.pi  # fCWT's Morlet(2.0): e^{-t^2/8} e^{i 2 pi t}
ROUNDS = 3
os.makedirs(out, exist_ok=True)


def best(fn):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def freqs(count):
    return F0 * (F1 / F0) ** (np.arange(count) / (count - 1))


def run_fcwt(x, count):
    import fcwt
    here = os.getcwd()
    wisdom = os.path.join(out, "fcwt-wisdom")
    os.makedirs(wisdom, exist_ok=True)
    os.chdir(wisdom)  # fCWT reads and writes its wisdom files (n<N>_t<T>.wis) here
    try:
        n = x.size
        size = 1 << int(math.ceil(math.log2(n)))
        if not os.path.exists(f"n{size}_t{threads}.wis"):
            plan = fcwt.FCWT(fcwt.Morlet(2.0), threads, True, True)
            plan.create_FFT_optimization_plan(size, "FFTW_MEASURE")
        morl = fcwt.Morlet(2.0)
        scales = fcwt.Scales(morl, fcwt.FCWT_LOGSCALES, FS, F0, F1, count)
        engine = fcwt.FCWT(morl, threads, True, True)
        output = np.zeros((count, n), dtype=np.complex64)
        t_complex = best(lambda: engine.cwt(x, scales, output))
        t_power = best(lambda: (engine.cwt(x, scales, output),
                                np.add(np.square(output.real), np.square(output.imag))))
        t_default = best(lambda: fcwt.cwt(x, FS, F0, F1, count, nthreads=threads, scaling="log"))
        return t_complex, t_power, t_default
    finally:
        os.chdir(here)


def run_ssq(x, count):
    import ssqueezepy
    wavelet = ssqueezepy.Wavelet(("morlet", {"mu": W0}), dtype="float32")
    scales = np.sort(W0 * FS / (2 * math.pi * freqs(count))).astype(np.float32)  # ascending
    return best(lambda: ssqueezepy.cwt(x, wavelet, scales=scales, fs=FS, l1_norm=False,
                                       padtype="zero", astensor=False))


def run_pywt(x, count):
    import pywt
    # cmorB-C: (pi B)^-1/2 e^{-t^2/B} e^{i 2 pi C t}; B = 2, C = w0 / (2 pi) = 2.
    scales = 2.0 * FS / freqs(count)
    return best(lambda: pywt.cwt(x, scales, "cmor2.0-2.0", method="fft"))


def run_swingpipe(npy, count, output):
    cmd = [binary, "--json", "-q", "cwt", npy, "--sample-rate", str(FS), "--fmin", repr(F0),
           "--fmax", repr(F1), "--count", str(count), "--omega0", repr(W0), "--output", output,
           "--precision", "float32", "--threads", str(threads), "--repeat", str(repeat),
           "--fftw-wisdom", os.path.join(out, "swingpipe.wisdom")]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)["seconds"]


import fcwt  # noqa: E402  (fail early when the peers are missing)
import pywt  # noqa: E402
import ssqueezepy  # noqa: E402

print(f"CWT, one float32 channel of uniform noise, frequencies geometric {F0:g}..{F1:g} Hz at "
      f"fs = {FS} Hz, Morlet w0 = 4 pi, complex64 output unless noted, {threads} thread(s), "
      f"best of {repeat}; M coefficients/s (frequencies x samples per second)")
header = (f"{'length':>7} {'scales':>6} | {'copy':>6} {'fCWT':>6} {'fCWT()':>6} {'ssq':>6} "
          f"{'pywt':>6} {'sp':>6} | {'fCWT P':>6} {'sp P':>6} | {'sp/fCWT':>7} {'P/P':>5} "
          f"{'sp/pywt':>7}")
print(header)
rng = np.random.default_rng(42)
rows = []
for lg in lengths:
    n = 1 << lg
    x = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    npy = os.path.join(out, f"cwt_signal_2^{lg}.npy")
    np.save(npy, x)
    for count in scale_counts:
        coefs = count * n / 1e6
        a = np.zeros((count, n), dtype=np.complex64)
        b = np.empty_like(a)
        t_copy = best(lambda: np.copyto(b, a))
        # fCWT and swingpipe alternate for ROUNDS rounds (best of all), so that both meet the
        # same machine load; the slower peers run once (best of `repeat`).
        t_fc = t_fc_power = t_fc_default = t_sp = t_sp_power = math.inf
        for _ in range(ROUNDS):
            a_, b_, c_ = run_fcwt(x, count)
            t_fc, t_fc_power, t_fc_default = min(t_fc, a_), min(t_fc_power, b_), min(t_fc_default, c_)
            t_sp = min(t_sp, run_swingpipe(npy, count, "complex"))
            t_sp_power = min(t_sp_power, run_swingpipe(npy, count, "power"))
        t_ssq = run_ssq(x, count)
        t_pywt = run_pywt(x, count) if lg <= pywt_max else math.nan
        r = dict(length=n, scales=count, copy=coefs / t_copy, fcwt=coefs / t_fc,
                 fcwt_default=coefs / t_fc_default, ssqueezepy=coefs / t_ssq,
                 pywt=coefs / t_pywt, swingpipe=coefs / t_sp, fcwt_power=coefs / t_fc_power,
                 swingpipe_power=coefs / t_sp_power)
        rows.append(r)
        print(f"{'2^' + str(lg):>7} {count:>6} | {r['copy']:6.0f} {r['fcwt']:6.0f} "
              f"{r['fcwt_default']:6.0f} {r['ssqueezepy']:6.0f} {r['pywt']:6.1f} "
              f"{r['swingpipe']:6.0f} | {r['fcwt_power']:6.0f} {r['swingpipe_power']:6.0f} | "
              f"{r['swingpipe'] / r['fcwt']:6.2f}x {r['swingpipe_power'] / r['fcwt_power']:4.2f}x "
              f"{r['swingpipe'] / r['pywt']:6.1f}x", flush=True)
with open(os.path.join(out, "cwt.json"), "w") as f:
    json.dump(rows, f, indent=1)
print(f"(columns: copy = numpy copy of an output-sized complex64 array; fCWT = with wisdom; "
      f"fCWT() = its default fcwt.cwt() call; P = power |W|^2; results in {out}/cwt.json)")
