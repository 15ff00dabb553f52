// Induced accelerations on the GPU (induced_accel.hpp: compute_cuda). Per chunk of frames:
//   1. tree_kernel, one thread per frame: kinematics, composite-rigid-body M(q) and RNE G(q)
//      (kernels/common/rigid_tree_math.hpp, the code the CPU tests check against MuJoCo), the
//      contributor forces as right-hand sides, site Jacobians and J'qd;
//   2. solve_kernel, one warp per frame: Cholesky of M in shared memory, then the triangular
//      solves with one right-hand side per lane (32 at a time), the site projections and the
//      closure measure.
// Inputs are packed per chunk into pinned host memory and copied in one transfer; two streams
// alternate, so a chunk's copies overlap the other's kernels.
#include <math_constants.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/rigid_tree_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/induced_accel.hpp"

namespace swingpipe::iaa {
namespace {

using cuda_util::DeviceArray;
using cuda_util::Stream;

constexpr int kMaxNv =
    64;                   ///< the solve keeps M (nv x nv) and 32 right-hand sides in shared memory
constexpr int kPad = 33;  ///< shared row stride of the right-hand sides (no bank conflicts)

/// Per-thread scratch of tree_kernel (local memory), by size class.
template <int Bodies, int Joints, int Dofs>
struct Limits {
  static constexpr int scratch = 48 * Bodies + 6 * Joints + 13 * Dofs;
  static bool fits(int nb, int nj, int nv) { return nb <= Bodies && nj <= Joints && nv <= Dofs; }
};
constexpr int kMaxBodies = 64, kMaxJoints = 96;
using Small = Limits<32, 48, 48>;
using Large = Limits<kMaxBodies, kMaxJoints, kMaxNv>;

struct DeviceSite {
  int32_t body;
  double pos[3];
};

struct Params {
  tree::TreeView tree;
  const DeviceSite* sites;
  int ns, nq, nv, nu, k, per_actuator, npairs;
  const int32_t* pair_act;
  const int32_t* pair_dof;
  int64_t frames;
  const double *qpos, *qvel, *qacc, *bias, *passive, *constraint, *applied, *actuator, *force,
      *moments;
  double* M;          ///< frames x nv x nv
  double* J;          ///< frames x ns x 3 x nv
  double* X;          ///< frames x k x nv: forces in, contributions out
  double* site;       ///< frames x ns x k x 3
  double* site_bias;  ///< frames x ns x 3
  double* closure;    ///< frames
  int* failed;        ///< set when an M is not positive definite
};

template <class L>
__global__ void tree_kernel(Params P) {
  double s[L::scratch];
  const tree::TreeView& t = P.tree;
  const int nv = P.nv;
  const tree::Frame fr = tree::carve(t, s);
  double* G = fr.end;
  for (int64_t f = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; f < P.frames;
       f += int64_t{gridDim.x} * blockDim.x) {
    tree::kinematics(t, P.qpos + f * P.nq, fr.xpos, fr.xquat, fr.xmat, fr.xanchor, fr.xaxis);
    tree::com_inertia(t, fr.xpos, fr.xquat, fr.xmat, fr.xanchor, fr.xaxis, fr.cinert, fr.cdof);
    tree::mass_matrix(t, fr.cinert, fr.cdof, fr.crb, P.M + f * nv * nv);
    tree::gravity_force(t, fr.cinert, fr.cdof, fr.cacc, G);
    double* X = P.X + f * P.k * nv;
    const double* bias = P.bias + f * nv;
    const double* rows[4] = {P.passive + f * nv, P.constraint + f * nv, P.applied + f * nv,
                             P.actuator + f * nv};
    for (int i = 0; i < nv; ++i) {
      X[i] = -G[i];
      X[nv + i] = -(bias[i] - G[i]);
      for (int r = 0; r < 4; ++r) X[(2 + r) * nv + i] = rows[r][i];
    }
    if (P.per_actuator) {
      double* act = X + kBaseContributors * nv;
      for (int i = 0; i < P.nu * nv; ++i) act[i] = 0;
      for (int p = 0; p < P.npairs; ++p)
        act[P.pair_act[p] * nv + P.pair_dof[p]] +=
            P.moments[f * P.npairs + p] * P.force[f * P.nu + P.pair_act[p]];
    }
    if (P.ns == 0) continue;
    tree::velocities(t, P.qvel + f * nv, fr.cdof, fr.cvel, fr.cdof_dot);
    for (int si = 0; si < P.ns; ++si) {
      double p[3];
      tree::point_position(p, fr.xpos, fr.xmat, P.sites[si].body, P.sites[si].pos);
      tree::point_jacobian(t, fr.cdof, P.sites[si].body, p, P.J + (f * P.ns + si) * 3 * nv);
      tree::point_bias_acceleration(t, P.qvel + f * nv, fr.cvel, fr.cdof_dot, fr.cacc,
                                    P.sites[si].body, p, P.site_bias + (f * P.ns + si) * 3);
    }
  }
}

__device__ double warp_max(double v) {
  for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__global__ void solve_kernel(Params P) {
  extern __shared__ double shared[];
  const int nv = P.nv, k = P.k;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  double* A = shared + warp * (nv * nv + nv * kPad);
  double* R = A + nv * nv;
  const int64_t f = blockIdx.x * int64_t{blockDim.x / 32} + warp;
  if (f >= P.frames) return;  // whole warps leave together

  // Load M and factor it: A = L L^T, L in the lower triangle.
  const double* M = P.M + f * nv * nv;
  for (int e = lane; e < nv * nv; e += 32) A[e] = M[e];
  __syncwarp();
  bool ok = true;
  for (int j = 0; j < nv; ++j) {
    const double d = A[j * nv + j];
    ok = ok && d > 0;
    const double ljj = sqrt(fmax(d, 1e-300));
    __syncwarp();
    if (lane == 0) A[j * nv + j] = ljj;
    for (int i = j + 1 + lane; i < nv; i += 32) A[i * nv + j] /= ljj;
    __syncwarp();
    for (int i = j + 1 + lane; i < nv; i += 32) {
      const double lij = A[i * nv + j];
      for (int c = j + 1; c <= i; ++c) A[i * nv + c] -= lij * A[c * nv + j];
    }
    __syncwarp();
  }
  if (!ok) {
    if (lane == 0) atomicExch(P.failed, 1);
    return;
  }

  double* X = P.X + f * k * nv;
  for (int c0 = 0; c0 < k; c0 += 32) {
    const int width = min(32, k - c0);
    for (int idx = lane; idx < width * nv; idx += 32) {
      const int cc = idx / nv, i = idx % nv;
      R[i * kPad + cc] = X[(c0 + cc) * nv + i];
    }
    __syncwarp();
    if (lane < width) {
      for (int i = 0; i < nv; ++i) {  // L y = b
        double v = R[i * kPad + lane];
        for (int m = 0; m < i; ++m) v -= A[i * nv + m] * R[m * kPad + lane];
        R[i * kPad + lane] = v / A[i * nv + i];
      }
      for (int i = nv - 1; i >= 0; --i) {  // L^T x = y
        double v = R[i * kPad + lane];
        for (int m = i + 1; m < nv; ++m) v -= A[m * nv + i] * R[m * kPad + lane];
        R[i * kPad + lane] = v / A[i * nv + i];
      }
      const int c = c0 + lane;
      for (int si = 0; si < P.ns; ++si) {
        const double* J = P.J + (f * P.ns + si) * 3 * nv;
        const double* b = P.site_bias + (f * P.ns + si) * 3;
        double* out = P.site + ((f * P.ns + si) * k + c) * 3;
        for (int e = 0; e < 3; ++e) {
          double v = c == 1 ? b[e] : 0.0;
          for (int i = 0; i < nv; ++i) v += J[e * nv + i] * R[i * kPad + lane];
          out[e] = v;
        }
      }
    }
    __syncwarp();
    if (c0 == 0) {  // closure over the six base contributors
      double err = 0, scale = 1e-300;
      bool nan = false;  // fmax drops NaN: track it apart, as frame_closure does
      for (int i = lane; i < nv; i += 32) {
        double sum = 0;
        for (int c = 0; c < kBaseContributors; ++c) {
          sum += R[i * kPad + c];
          scale = fmax(scale, fabs(R[i * kPad + c]));
        }
        const double q = P.qacc[f * nv + i];
        nan = nan || isnan(sum) || isnan(q);
        scale = fmax(scale, fabs(q));
        err = fmax(err, fabs(sum - q));
      }
      err = warp_max(err);
      scale = warp_max(scale);
      nan = __any_sync(0xffffffffu, nan);
      if (lane == 0) P.closure[f] = nan ? CUDART_NAN : err / scale;
    }
    for (int idx = lane; idx < width * nv; idx += 32) {
      const int cc = idx / nv, i = idx % nv;
      X[(c0 + cc) * nv + i] = R[i * kPad + cc];
    }
    __syncwarp();
  }
}

/// Page-locked host memory.
class Pinned {
 public:
  explicit Pinned(std::size_t count) {
    if (count)
      CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&ptr_), count * sizeof(double),
                               cudaHostAllocDefault));
  }
  ~Pinned() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;
  double* get() const { return ptr_; }

 private:
  double* ptr_ = nullptr;
};

template <class T>
DeviceArray<T> upload(const std::vector<T>& v) {
  DeviceArray<T> d(v.size());
  if (!v.empty())
    CUDA_CHECK(cudaMemcpy(d.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

/// Sizes (doubles per frame) of the packed input and output of a chunk.
struct Layout {
  int64_t nq, nv, nu, k, ns, npairs;
  bool sites, per_actuator;
  int64_t in() const { return nq + (sites ? nv : 0) + 6 * nv + (per_actuator ? nu + npairs : 0); }
  int64_t out() const { return k * nv + ns * k * 3 + ns * 3 + 1; }
  int64_t work() const { return nv * nv + ns * 3 * nv; }
};

/// One of the two alternating chunk pipelines.
struct Slot {
  Stream stream;
  DeviceArray<double> in, out, work;
  std::unique_ptr<Pinned> pin_in, pin_out;
  int64_t first = -1, count = 0;  ///< frames of the chunk in flight (-1: none)
};

template <class L>
void launch_tree(const Params& P, cudaStream_t s) {
  const int threads = 128;
  const int64_t blocks = std::min<int64_t>((P.frames + threads - 1) / threads, 4096);
  tree_kernel<L><<<static_cast<unsigned>(blocks), threads, 0, s>>>(P);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

Result compute_cuda(const KinematicTree& tree, const FrameBatch& b, const Options& opt) {
  tree.validate();
  b.validate(opt.per_actuator);
  if (b.nq != tree.nq || b.nv != tree.nv)
    throw InputError("induced accelerations on CUDA: the batch does not fit the tree");
  if (opt.per_actuator && !b.actuator_moment.empty())
    throw InputError(
        "induced accelerations on CUDA: per-actuator forces need the moment pairs "
        "(engine::frame_batch), not dense moment matrices");
  if (b.nv > kMaxNv)
    throw InputError("induced accelerations on CUDA: nv " + std::to_string(b.nv) +
                     " is above the supported " + std::to_string(kMaxNv));
  const auto nb = static_cast<int>(tree.bodies.size()), nj = static_cast<int>(tree.joints.size());
  const bool small = Small::fits(nb, nj, b.nv);
  if (!Large::fits(nb, nj, b.nv))
    throw InputError("induced accelerations on CUDA: " + std::to_string(nb) + " bodies and " +
                     std::to_string(nj) + " joints are above the supported " +
                     std::to_string(kMaxBodies) + " and " + std::to_string(kMaxJoints));
  std::vector<DeviceSite> sites;
  for (const auto& name : opt.sites) {
    auto it = std::find_if(tree.sites.begin(), tree.sites.end(),
                           [&](const TreeSite& s) { return s.name == name; });
    if (it == tree.sites.end())
      throw InputError("induced accelerations on CUDA: the tree has no site '" + name + "'");
    DeviceSite d{it->body, {it->pos[0], it->pos[1], it->pos[2]}};
    sites.push_back(d);
  }
  if (!sites.empty() && static_cast<int64_t>(b.qvel.size()) != b.frames * b.nv)
    throw InputError("induced accelerations on CUDA: sites need qvel");
  const DeviceInfo dev = cuda_device_info();
  if (!dev.available()) throw BackendError("induced accelerations on CUDA: " + dev.reason);

  const int k = kBaseContributors + (opt.per_actuator ? b.nu : 0);
  const Layout lay{b.nq,
                   b.nv,
                   b.nu,
                   k,
                   static_cast<int64_t>(sites.size()),
                   static_cast<int64_t>(b.moment_pairs.size()),
                   !sites.empty(),
                   opt.per_actuator};
  Result r;
  r.frames = b.frames;
  r.nv = b.nv;
  r.contributors = k;
  r.joint.assign(static_cast<std::size_t>(b.frames * k * b.nv), 0.0);
  r.site.assign(static_cast<std::size_t>(b.frames * lay.ns * k * 3), 0.0);
  r.site_bias.assign(static_cast<std::size_t>(b.frames * lay.ns * 3), 0.0);
  r.closure.assign(static_cast<std::size_t>(b.frames), 0.0);
  if (b.frames == 0) return r;

  // Tree on the device.
  const auto d_bodies = upload(tree.bodies);
  const auto d_joints = upload(tree.joints);
  const auto d_qpos0 = upload(tree.qpos0);
  const auto d_arm = upload(tree.armature);
  const auto d_dof_body = upload(tree.dof_body);
  const auto d_dof_parent = upload(tree.dof_parent);
  const auto d_sites = upload(sites);
  std::vector<int32_t> pa, pd;
  for (const auto& [a, d] : b.moment_pairs) {
    pa.push_back(a);
    pd.push_back(d);
  }
  const auto d_pa = upload(pa);
  const auto d_pd = upload(pd);
  DeviceArray<int> d_failed(1);
  CUDA_CHECK(cudaMemset(d_failed.get(), 0, sizeof(int)));

  Params base{};
  base.tree.nbody = nb;
  base.tree.njnt = nj;
  base.tree.nq = tree.nq;
  base.tree.nv = tree.nv;
  base.tree.bodies = d_bodies.get();
  base.tree.joints = d_joints.get();
  base.tree.qpos0 = d_qpos0.get();
  base.tree.armature = d_arm.get();
  base.tree.dof_body = d_dof_body.get();
  base.tree.dof_parent = d_dof_parent.get();
  for (int e = 0; e < 3; ++e) base.tree.gravity[e] = tree.gravity[e];
  base.sites = d_sites.get();
  base.ns = static_cast<int>(lay.ns);
  base.nq = b.nq;
  base.nv = b.nv;
  base.nu = b.nu;
  base.k = k;
  base.per_actuator = opt.per_actuator ? 1 : 0;
  base.npairs = static_cast<int>(lay.npairs);
  base.pair_act = d_pa.get();
  base.pair_dof = d_pd.get();
  base.failed = d_failed.get();

  // Chunks of at most ~256 MiB of device buffers each.
  const int64_t per_frame = (lay.in() + lay.out() + lay.work()) * 8;
  const int64_t chunk = std::clamp<int64_t>((int64_t{256} << 20) / per_frame, 1, b.frames);
  const int warps = static_cast<int>(
      std::clamp<int64_t>(int64_t{48 * 1024} / ((b.nv * b.nv + b.nv * kPad) * 8), 1, 4));
  const std::size_t shared = static_cast<std::size_t>(warps) * (b.nv * b.nv + b.nv * kPad) * 8;

  Slot slots[2];
  for (auto& s : slots) {
    s.in = DeviceArray<double>(static_cast<std::size_t>(chunk * lay.in()));
    s.out = DeviceArray<double>(static_cast<std::size_t>(chunk * lay.out()));
    s.work = DeviceArray<double>(static_cast<std::size_t>(chunk * lay.work()));
    s.pin_in = std::make_unique<Pinned>(static_cast<std::size_t>(chunk * lay.in()));
    s.pin_out = std::make_unique<Pinned>(static_cast<std::size_t>(chunk * lay.out()));
  }

  // Unpacks a finished chunk into the result.
  auto drain = [&](Slot& s) {
    if (s.first < 0) return;
    s.stream.synchronize();
    const double* o = s.pin_out->get();
    const int64_t n = s.count;
    std::copy_n(o, n * k * b.nv, r.joint.begin() + s.first * k * b.nv);
    o += n * k * b.nv;
    std::copy_n(o, n * lay.ns * k * 3, r.site.begin() + s.first * lay.ns * k * 3);
    o += n * lay.ns * k * 3;
    std::copy_n(o, n * lay.ns * 3, r.site_bias.begin() + s.first * lay.ns * 3);
    o += n * lay.ns * 3;
    std::copy_n(o, n, r.closure.begin() + s.first);
    s.first = -1;
  };

  int64_t index = 0;
  for (int64_t first = 0; first < b.frames; first += chunk, ++index) {
    Slot& s = slots[index % 2];
    drain(s);
    const int64_t n = std::min(chunk, b.frames - first);
    // Pack the chunk's inputs (one host-to-device copy).
    double* in = s.pin_in->get();
    auto pack = [&](std::span<const double> src, int64_t width) {
      const double* p = in;
      std::memcpy(in, src.data() + first * width, static_cast<std::size_t>(n * width) * 8);
      in += n * width;
      return p - s.pin_in->get();
    };
    const int64_t o_qpos = pack(b.qpos, b.nq);
    const int64_t o_qvel = lay.sites ? pack(b.qvel, b.nv) : 0;
    const int64_t o_qacc = pack(b.qacc, b.nv);
    const int64_t o_bias = pack(b.bias, b.nv);
    const int64_t o_pas = pack(b.passive, b.nv);
    const int64_t o_con = pack(b.constraint, b.nv);
    const int64_t o_app = pack(b.applied, b.nv);
    const int64_t o_act = pack(b.actuator, b.nv);
    const int64_t o_frc = opt.per_actuator ? pack(b.actuator_force, b.nu) : 0;
    const int64_t o_mom = opt.per_actuator ? pack(b.moment_values, lay.npairs) : 0;
    const int64_t in_count = in - s.pin_in->get();
    CUDA_CHECK(cudaMemcpyAsync(s.in.get(), s.pin_in->get(), static_cast<std::size_t>(in_count) * 8,
                               cudaMemcpyHostToDevice, s.stream.get()));
    Params P = base;
    P.frames = n;
    const double* din = s.in.get();
    P.qpos = din + o_qpos;
    P.qvel = din + o_qvel;
    P.qacc = din + o_qacc;
    P.bias = din + o_bias;
    P.passive = din + o_pas;
    P.constraint = din + o_con;
    P.applied = din + o_app;
    P.actuator = din + o_act;
    P.force = din + o_frc;
    P.moments = din + o_mom;
    double* dout = s.out.get();
    P.X = dout;
    P.site = P.X + n * k * b.nv;
    P.site_bias = P.site + n * lay.ns * k * 3;
    P.closure = P.site_bias + n * lay.ns * 3;
    P.M = s.work.get();
    P.J = P.M + n * b.nv * b.nv;
    if (small)
      launch_tree<Small>(P, s.stream.get());
    else
      launch_tree<Large>(P, s.stream.get());
    const int64_t blocks = (n + warps - 1) / warps;
    solve_kernel<<<static_cast<unsigned>(blocks), 32 * warps, shared, s.stream.get()>>>(P);
    CUDA_CHECK_LAUNCH();
    const int64_t out_count = n * lay.out();
    CUDA_CHECK(cudaMemcpyAsync(s.pin_out->get(), dout, static_cast<std::size_t>(out_count) * 8,
                               cudaMemcpyDeviceToHost, s.stream.get()));
    s.first = first;
    s.count = n;
  }
  drain(slots[0]);
  drain(slots[1]);
  int failed = 0;
  CUDA_CHECK(cudaMemcpy(&failed, d_failed.get(), sizeof(int), cudaMemcpyDeviceToHost));
  if (failed)
    throw InputError("induced accelerations on CUDA: M(q) of some frame is not positive definite");
  return r;
}

}  // namespace swingpipe::iaa
