#pragma once
// Rigid-body tree math shared by the CPU tests and the CUDA induced-acceleration kernels
// (__host__ __device__). Follows MuJoCo 2.2's position and velocity stages (mj_kinematics,
// mj_comPos, mj_crb, mj_rne at rest, mj_comVel), with one difference: spatial quantities are
// referenced at the world origin, not at each tree's subtree centre of mass (M and G do not
// depend on the reference point; only rounding differs).
//
// Spatial motion vectors are [angular; linear at the origin], force vectors [moment about the
// origin; force]. A body's spatial inertia is 10 numbers: the inertia about the origin
// (xx, yy, zz, xy, xz, yz), h = mass * centre of mass (3), mass.
#include <cmath>
#include <cstdint>

#include "common/hd.hpp"
#include "swingpipe/kernels/rigid_tree.hpp"

namespace swingpipe::iaa::tree {

/// Device-friendly view of a KinematicTree (sites are passed separately).
struct TreeView {
  int32_t nbody = 0, njnt = 0, nq = 0, nv = 0;
  const TreeBody* bodies = nullptr;
  const TreeJoint* joints = nullptr;
  const double* qpos0 = nullptr;
  const double* armature = nullptr;
  const int32_t* dof_body = nullptr;
  const int32_t* dof_parent = nullptr;
  double gravity[3] = {0, 0, 0};
};

/// The view of a tree (host code; the tree must outlive the view).
inline TreeView view_of(const KinematicTree& tree) {
  TreeView tv;
  tv.nbody = static_cast<int32_t>(tree.bodies.size());
  tv.njnt = static_cast<int32_t>(tree.joints.size());
  tv.nq = tree.nq;
  tv.nv = tree.nv;
  tv.bodies = tree.bodies.data();
  tv.joints = tree.joints.data();
  tv.qpos0 = tree.qpos0.data();
  tv.armature = tree.armature.data();
  tv.dof_body = tree.dof_body.data();
  tv.dof_parent = tree.dof_parent.data();
  for (int k = 0; k < 3; ++k) tv.gravity[k] = tree.gravity[k];
  return tv;
}

/// Scratch a frame needs, in doubles.
SP_HD int64_t scratch_size(const TreeView& t) {
  return int64_t{3 + 4 + 9 + 10 + 10 + 6 + 6} * t.nbody + int64_t{6} * t.njnt + int64_t{12} * t.nv;
}

/// A frame's scratch_size doubles carved into the arrays of the stages below: per body xpos (3),
/// xquat (4), xmat (9), cinert (10), crb (10), cvel (6), cacc (6); per joint xanchor (3) and
/// xaxis (3); per dof cdof (6) and cdof_dot (6). cvel and cacc double as the 6-per-body scratch of
/// gravity_force and bias_force when no velocities are needed.
struct Frame {
  double *xpos, *xquat, *xmat, *cinert, *crb, *cvel, *cacc, *xanchor, *xaxis, *cdof, *cdof_dot;
  /// One past the last double: where a caller's own per-frame arrays may start.
  double* end;
};

SP_HD Frame carve(const TreeView& t, double* s) {
  const int64_t nb = t.nbody, nj = t.njnt, nv = t.nv;
  Frame f{};
  f.xpos = s;
  f.xquat = f.xpos + 3 * nb;
  f.xmat = f.xquat + 4 * nb;
  f.cinert = f.xmat + 9 * nb;
  f.crb = f.cinert + 10 * nb;
  f.cvel = f.crb + 10 * nb;
  f.cacc = f.cvel + 6 * nb;
  f.xanchor = f.cacc + 6 * nb;
  f.xaxis = f.xanchor + 3 * nj;
  f.cdof = f.xaxis + 3 * nj;
  f.cdof_dot = f.cdof + 6 * nv;
  f.end = f.cdof_dot + 6 * nv;
  return f;
}

// ---- small vector helpers ------------------------------------------------------------------
SP_HD void cross3(double r[3], const double a[3], const double b[3]) {
  const double x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2],
               z = a[0] * b[1] - a[1] * b[0];
  r[0] = x;
  r[1] = y;
  r[2] = z;
}
SP_HD double dot3(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
SP_HD double dot6(const double a[6], const double b[6]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5];
}
/// r = R v (R row-major 3x3)
SP_HD void mat_vec3(double r[3], const double R[9], const double v[3]) {
  const double x = R[0] * v[0] + R[1] * v[1] + R[2] * v[2];
  const double y = R[3] * v[0] + R[4] * v[1] + R[5] * v[2];
  const double z = R[6] * v[0] + R[7] * v[1] + R[8] * v[2];
  r[0] = x;
  r[1] = y;
  r[2] = z;
}

// ---- quaternions (w, x, y, z), as MuJoCo's mju_* functions -------------------------------------
SP_HD void quat_mul(double r[4], const double a[4], const double b[4]) {
  const double w = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
  const double x = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
  const double y = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
  const double z = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
  r[0] = w;
  r[1] = x;
  r[2] = y;
  r[3] = z;
}
SP_HD void quat_normalize(double q[4]) {
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (n < 1e-15) {
    q[0] = 1;
    q[1] = q[2] = q[3] = 0;
    return;
  }
  for (int k = 0; k < 4; ++k) q[k] /= n;
}
SP_HD void quat_to_mat(double R[9], const double q[4]) {
  const double q00 = q[0] * q[0], q01 = q[0] * q[1], q02 = q[0] * q[2], q03 = q[0] * q[3];
  const double q11 = q[1] * q[1], q12 = q[1] * q[2], q13 = q[1] * q[3];
  const double q22 = q[2] * q[2], q23 = q[2] * q[3], q33 = q[3] * q[3];
  R[0] = q00 + q11 - q22 - q33;
  R[4] = q00 - q11 + q22 - q33;
  R[8] = q00 - q11 - q22 + q33;
  R[1] = 2 * (q12 - q03);
  R[2] = 2 * (q13 + q02);
  R[3] = 2 * (q12 + q03);
  R[5] = 2 * (q23 - q01);
  R[6] = 2 * (q13 - q02);
  R[7] = 2 * (q23 + q01);
}
SP_HD void quat_rotate(double r[3], const double q[4], const double v[3]) {
  double R[9];
  quat_to_mat(R, q);
  mat_vec3(r, R, v);
}
SP_HD void axis_angle_quat(double q[4], const double axis[3], double angle) {
  const double s = std::sin(angle * 0.5);
  q[0] = std::cos(angle * 0.5);
  q[1] = axis[0] * s;
  q[2] = axis[1] * s;
  q[3] = axis[2] * s;
}

// ---- spatial algebra ------------------------------------------------------------------------
/// f = I v for spatial inertia I (10 numbers) and motion v.
SP_HD void inert_mul(double f[6], const double I[10], const double v[6]) {
  const double* w = v;
  const double* l = v + 3;
  const double* h = I + 6;
  double hxl[3], hxw[3];
  cross3(hxl, h, l);
  cross3(hxw, h, w);
  f[0] = I[0] * w[0] + I[3] * w[1] + I[4] * w[2] + hxl[0];
  f[1] = I[3] * w[0] + I[1] * w[1] + I[5] * w[2] + hxl[1];
  f[2] = I[4] * w[0] + I[5] * w[1] + I[2] * w[2] + hxl[2];
  f[3] = I[9] * l[0] - hxw[0];
  f[4] = I[9] * l[1] - hxw[1];
  f[5] = I[9] * l[2] - hxw[2];
}
/// r = a x_m b (motion cross product).
SP_HD void cross_motion(double r[6], const double a[6], const double b[6]) {
  double t1[3], t2[3], t3[3];
  cross3(t1, a, b);      // w_a x w_b
  cross3(t2, a, b + 3);  // w_a x v_b
  cross3(t3, a + 3, b);  // v_a x w_b
  r[0] = t1[0];
  r[1] = t1[1];
  r[2] = t1[2];
  r[3] = t2[0] + t3[0];
  r[4] = t2[1] + t3[1];
  r[5] = t2[2] + t3[2];
}

// ---- position stage --------------------------------------------------------------------------
/// Body frames for qpos: xpos (3 per body), xquat (4), xmat (9), and each joint's world anchor
/// and axis (3 per joint), as mj_kinematics.
SP_HD void kinematics(const TreeView& t, const double* qpos, double* xpos, double* xquat,
                      double* xmat, double* xanchor, double* xaxis) {
  xpos[0] = xpos[1] = xpos[2] = 0;
  xquat[0] = 1;
  xquat[1] = xquat[2] = xquat[3] = 0;
  quat_to_mat(xmat, xquat);
  for (int32_t i = 1; i < t.nbody; ++i) {
    const TreeBody& b = t.bodies[i];
    double pos[3], quat[4];
    if (b.joint_num == 1 && t.joints[b.joint_adr].type == static_cast<int32_t>(JointType::free)) {
      const int32_t j = b.joint_adr;
      const double* q = qpos + t.joints[j].qpos_adr;
      for (int k = 0; k < 3; ++k) pos[k] = q[k];
      for (int k = 0; k < 4; ++k) quat[k] = q[3 + k];
      quat_normalize(quat);
      for (int k = 0; k < 3; ++k) xanchor[3 * j + k] = pos[k];
      xaxis[3 * j] = xaxis[3 * j + 1] = 0;
      xaxis[3 * j + 2] = 1;
    } else {
      const int32_t p = b.parent;
      double v[3];
      mat_vec3(v, xmat + 9 * p, b.pos);
      for (int k = 0; k < 3; ++k) pos[k] = xpos[3 * p + k] + v[k];
      quat_mul(quat, xquat + 4 * p, b.quat);
      for (int32_t jj = 0; jj < b.joint_num; ++jj) {
        const int32_t j = b.joint_adr + jj;
        const TreeJoint& jt = t.joints[j];
        double axis[3], anchor[3];
        quat_rotate(axis, quat, jt.axis);
        quat_rotate(anchor, quat, jt.pos);
        for (int k = 0; k < 3; ++k) anchor[k] += pos[k];
        if (jt.type == static_cast<int32_t>(JointType::slide)) {
          const double d = qpos[jt.qpos_adr] - t.qpos0[jt.qpos_adr];
          for (int k = 0; k < 3; ++k) pos[k] += axis[k] * d;
        } else {  // hinge or ball
          double qloc[4];
          if (jt.type == static_cast<int32_t>(JointType::ball)) {
            for (int k = 0; k < 4; ++k) qloc[k] = qpos[jt.qpos_adr + k];
            quat_normalize(qloc);
          } else {
            axis_angle_quat(qloc, jt.axis, qpos[jt.qpos_adr] - t.qpos0[jt.qpos_adr]);
          }
          quat_mul(quat, quat, qloc);
          double off[3];
          quat_rotate(off, quat, jt.pos);
          for (int k = 0; k < 3; ++k) pos[k] = anchor[k] - off[k];
        }
        for (int k = 0; k < 3; ++k) {
          xanchor[3 * j + k] = anchor[k];
          xaxis[3 * j + k] = axis[k];
        }
      }
    }
    quat_normalize(quat);
    for (int k = 0; k < 4; ++k) xquat[4 * i + k] = quat[k];
    for (int k = 0; k < 3; ++k) xpos[3 * i + k] = pos[k];
    quat_to_mat(xmat + 9 * i, quat);
  }
}

/// Spatial inertias about the origin (10 per body; the world's is zero) and motion dofs (6 per
/// dof), as mj_comPos.
SP_HD void com_inertia(const TreeView& t, const double* xpos, const double* xquat,
                       const double* xmat, const double* xanchor, const double* xaxis,
                       double* cinert, double* cdof) {
  for (int k = 0; k < 10; ++k) cinert[k] = 0;
  for (int32_t i = 1; i < t.nbody; ++i) {
    const TreeBody& b = t.bodies[i];
    double c[3], iq[4], R[9];
    mat_vec3(c, xmat + 9 * i, b.ipos);
    for (int k = 0; k < 3; ++k) c[k] += xpos[3 * i + k];
    quat_mul(iq, xquat + 4 * i, b.iquat);
    quat_to_mat(R, iq);
    double* I = cinert + 10 * i;
    const double m = b.mass;
    // I_c = R diag(inertia) R^T, plus m (|c|^2 1 - c c^T)
    const int rows[6] = {0, 1, 2, 0, 0, 1}, cols[6] = {0, 1, 2, 1, 2, 2};
    const double cc = dot3(c, c);
    for (int e = 0; e < 6; ++e) {
      const int r = rows[e], s = cols[e];
      double v = 0;
      for (int k = 0; k < 3; ++k) v += R[3 * r + k] * b.inertia[k] * R[3 * s + k];
      I[e] = v + m * ((r == s ? cc : 0.0) - c[r] * c[s]);
    }
    for (int k = 0; k < 3; ++k) I[6 + k] = m * c[k];
    I[9] = m;
  }
  for (int32_t j = 0; j < t.njnt; ++j) {
    const TreeJoint& jt = t.joints[j];
    double* d = cdof + 6 * jt.dof_adr;
    const double* a = xanchor + 3 * j;
    const double* u = xaxis + 3 * j;
    const double* R = xmat + 9 * jt.body;
    int rot = 0;  // first rotational dof (free: after 3 translations)
    switch (static_cast<JointType>(jt.type)) {
      case JointType::free:
        for (int k = 0; k < 3; ++k) {
          for (int e = 0; e < 6; ++e) d[6 * k + e] = 0;
          d[6 * k + 3 + k] = 1;
        }
        rot = 3;
        [[fallthrough]];
      case JointType::ball:
        for (int k = 0; k < 3; ++k) {
          double* dk = d + 6 * (rot + k);
          const double e[3] = {R[k], R[3 + k], R[6 + k]};  // column k of the body frame
          dk[0] = e[0];
          dk[1] = e[1];
          dk[2] = e[2];
          cross3(dk + 3, a, e);
        }
        break;
      case JointType::slide:
        d[0] = d[1] = d[2] = 0;
        d[3] = u[0];
        d[4] = u[1];
        d[5] = u[2];
        break;
      case JointType::hinge:
        d[0] = u[0];
        d[1] = u[1];
        d[2] = u[2];
        cross3(d + 3, a, u);
        break;
    }
  }
}

/// Joint-space inertia M (nv x nv, row-major, both triangles) by composite rigid bodies, with the
/// armature on the diagonal, as mj_crb + mj_fullM. crb: 10 doubles per body of scratch.
SP_HD void mass_matrix(const TreeView& t, const double* cinert, const double* cdof, double* crb,
                       double* M) {
  for (int64_t k = 0; k < int64_t{10} * t.nbody; ++k) crb[k] = cinert[k];
  for (int32_t i = t.nbody - 1; i > 0; --i) {
    const int32_t p = t.bodies[i].parent;
    if (p > 0)
      for (int k = 0; k < 10; ++k) crb[10 * p + k] += crb[10 * i + k];
  }
  for (int64_t k = 0; k < int64_t{t.nv} * t.nv; ++k) M[k] = 0;
  for (int32_t i = 0; i < t.nv; ++i) {
    double f[6];
    inert_mul(f, crb + 10 * t.dof_body[i], cdof + 6 * i);
    for (int32_t j = i; j >= 0; j = t.dof_parent[j]) {
      const double v = dot6(cdof + 6 * j, f);
      M[int64_t{i} * t.nv + j] = v;
      M[int64_t{j} * t.nv + i] = v;
    }
    M[int64_t{i} * t.nv + i] += t.armature[i];
  }
}

/// The same M in the tree-sparse row layout of iaa::TreeSolver (MuJoCo's qM layout): row i at
/// row_start[i] holds M[i][i], then M[i][j] for the ancestor dofs j of i, nearest first.
SP_HD void mass_matrix_sparse(const TreeView& t, const double* cinert, const double* cdof,
                              double* crb, const int32_t* row_start, double* M) {
  for (int64_t k = 0; k < int64_t{10} * t.nbody; ++k) crb[k] = cinert[k];
  for (int32_t i = t.nbody - 1; i > 0; --i) {
    const int32_t p = t.bodies[i].parent;
    if (p > 0)
      for (int k = 0; k < 10; ++k) crb[10 * p + k] += crb[10 * i + k];
  }
  for (int32_t i = 0; i < t.nv; ++i) {
    double f[6];
    inert_mul(f, crb + 10 * t.dof_body[i], cdof + 6 * i);
    int32_t p = row_start[i];
    for (int32_t j = i; j >= 0; j = t.dof_parent[j]) M[p++] = dot6(cdof + 6 * j, f);
    M[row_start[i]] += t.armature[i];
  }
}

/// G(q) (nv): MuJoCo's qfrc_bias at zero velocity, i.e. minus the generalized gravity force.
/// sub: 6 doubles per body of scratch.
SP_HD void gravity_force(const TreeView& t, const double* cinert, const double* cdof, double* sub,
                         double* G) {
  for (int32_t i = 0; i < t.nbody; ++i) {
    double* s = sub + 6 * i;
    const double* I = cinert + 10 * i;
    cross3(s, I + 6, t.gravity);  // moment of m g at the centre of mass: h x g
    for (int k = 0; k < 3; ++k) s[3 + k] = I[9] * t.gravity[k];
  }
  for (int32_t i = t.nbody - 1; i > 0; --i) {
    const int32_t p = t.bodies[i].parent;
    if (p > 0)
      for (int k = 0; k < 6; ++k) sub[6 * p + k] += sub[6 * i + k];
  }
  for (int32_t i = 0; i < t.nv; ++i) G[i] = -dot6(cdof + 6 * i, sub + 6 * t.dof_body[i]);
}

/// World position of a point given in the frame of `body`.
SP_HD void point_position(double p[3], const double* xpos, const double* xmat, int32_t body,
                          const double local[3]) {
  mat_vec3(p, xmat + 9 * body, local);
  for (int k = 0; k < 3; ++k) p[k] += xpos[3 * body + k];
}

/// Linear Jacobian (3 x nv, row-major) of world point p moving with `body`.
SP_HD void point_jacobian(const TreeView& t, const double* cdof, int32_t body, const double p[3],
                          double* J) {
  for (int64_t k = 0; k < int64_t{3} * t.nv; ++k) J[k] = 0;
  for (int32_t j = t.bodies[body].chain_dof; j >= 0; j = t.dof_parent[j]) {
    const double* d = cdof + 6 * j;
    double wxp[3];
    cross3(wxp, d, p);
    for (int k = 0; k < 3; ++k) J[int64_t{k} * t.nv + j] = d[3 + k] + wxp[k];
  }
}

/// Body velocities cvel (6 per body) and dof derivatives cdof_dot (6 per dof), as mj_comVel.
SP_HD void velocities(const TreeView& t, const double* qvel, const double* cdof, double* cvel,
                      double* cdof_dot) {
  for (int k = 0; k < 6; ++k) cvel[k] = 0;
  for (int32_t i = 1; i < t.nbody; ++i) {
    const TreeBody& b = t.bodies[i];
    double cv[6];
    for (int k = 0; k < 6; ++k) cv[k] = cvel[6 * b.parent + k];
    for (int32_t jj = 0; jj < b.joint_num; ++jj) {
      const TreeJoint& jt = t.joints[b.joint_adr + jj];
      int32_t d = jt.dof_adr;
      const auto type = static_cast<JointType>(jt.type);
      if (type == JointType::free) {
        for (int k = 0; k < 3; ++k) {
          for (int e = 0; e < 6; ++e) {
            cdof_dot[6 * (d + k) + e] = 0;
            cv[e] += cdof[6 * (d + k) + e] * qvel[d + k];
          }
        }
        d += 3;
      }
      if (type == JointType::free || type == JointType::ball) {
        for (int k = 0; k < 3; ++k) cross_motion(cdof_dot + 6 * (d + k), cv, cdof + 6 * (d + k));
        for (int k = 0; k < 3; ++k)
          for (int e = 0; e < 6; ++e) cv[e] += cdof[6 * (d + k) + e] * qvel[d + k];
      } else {
        cross_motion(cdof_dot + 6 * d, cv, cdof + 6 * d);
        for (int e = 0; e < 6; ++e) cv[e] += cdof[6 * d + e] * qvel[d];
      }
    }
    for (int k = 0; k < 6; ++k) cvel[6 * i + k] = cv[k];
  }
}

/// J'(q, qd) qd for world point p moving with `body`: its classical linear acceleration when
/// qacc = 0 and without gravity. cacc: 6 doubles per body of scratch.
SP_HD void point_bias_acceleration(const TreeView& t, const double* qvel, const double* cvel,
                                   const double* cdof_dot, double* cacc, int32_t body,
                                   const double p[3], double out[3]) {
  for (int k = 0; k < 6; ++k) cacc[k] = 0;
  for (int32_t i = 1; i < t.nbody; ++i) {
    const TreeBody& b = t.bodies[i];
    for (int k = 0; k < 6; ++k) cacc[6 * i + k] = cacc[6 * b.parent + k];
    for (int32_t d = b.dof_adr; d < b.dof_adr + b.dof_num; ++d)
      for (int k = 0; k < 6; ++k) cacc[6 * i + k] += cdof_dot[6 * d + k] * qvel[d];
  }
  const double* a = cacc + 6 * body;
  const double* v = cvel + 6 * body;
  double axp[3], wxp[3], vp[3], wxv[3];
  cross3(axp, a, p);
  cross3(wxp, v, p);
  for (int k = 0; k < 3; ++k) vp[k] = v[3 + k] + wxp[k];
  cross3(wxv, v, vp);
  for (int k = 0; k < 3; ++k) out[k] = a[3 + k] + axp[k] + wxv[k];
}

}  // namespace swingpipe::iaa::tree
