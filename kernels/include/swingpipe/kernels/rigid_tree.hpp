#pragma once
// A rigid-body kinematic tree as plain data (design.md §2: kernels never include MuJoCo). The
// engine exports it once from an mjModel (engine::export_tree); the CUDA induced-acceleration
// kernels and the __host__ __device__ functions of kernels/common/rigid_tree_math.hpp compute
// from it what MuJoCo's position stages compute: body poses, the joint-space inertia M(q)
// (composite rigid bodies) and the gravity force G(q) (recursive Newton-Euler at rest), plus
// site Jacobians and the velocity-product acceleration J'(q, qd) qd of sites.
//
// Conventions are MuJoCo's: body 0 is the world; every body's parent has a smaller index; joints
// of a body are applied in order; hinge and slide joints take one coordinate and dof, ball
// joints a unit quaternion (w, x, y, z) and 3 dofs (angular velocity in the child frame), free
// joints a position and quaternion (7) and 6 dofs (linear velocity in the world frame, then
// angular velocity in the body frame); hinge and slide coordinates are offsets from qpos0.
#include <cstdint>
#include <string>
#include <vector>

namespace swingpipe::iaa {

/// MuJoCo's mjtJoint values.
enum class JointType : int32_t { free = 0, ball = 1, slide = 2, hinge = 3 };

struct TreeBody {
  int32_t parent = 0;
  int32_t joint_adr = 0, joint_num = 0;  ///< this body's joints
  int32_t dof_adr = 0, dof_num = 0;      ///< this body's dofs
  int32_t chain_dof = -1;     ///< last dof of this body or its nearest ancestor with dofs; -1 none
  double pos[3] = {0, 0, 0};  ///< frame offset from the parent's frame
  double quat[4] = {1, 0, 0, 0};   ///< frame rotation relative to the parent's frame
  double ipos[3] = {0, 0, 0};      ///< centre of mass in the body frame
  double iquat[4] = {1, 0, 0, 0};  ///< principal axes of inertia in the body frame
  double mass = 0;
  double inertia[3] = {0, 0, 0};  ///< principal moments about the centre of mass
};

struct TreeJoint {
  int32_t type = static_cast<int32_t>(JointType::hinge);
  int32_t body = 0;
  int32_t qpos_adr = 0, dof_adr = 0;
  double pos[3] = {0, 0, 0};   ///< anchor in the body frame
  double axis[3] = {0, 0, 1};  ///< hinge / slide axis in the body frame
};

/// A point on a body (a MuJoCo site) whose Jacobian and acceleration are wanted.
struct TreeSite {
  std::string name;
  int32_t body = 0;
  double pos[3] = {0, 0, 0};  ///< in the body frame
};

struct KinematicTree {
  int32_t nq = 0, nv = 0;
  std::vector<TreeBody> bodies;  ///< bodies[0] is the world
  std::vector<TreeJoint> joints;
  std::vector<double> qpos0;          ///< nq
  std::vector<double> armature;       ///< nv, added to M's diagonal
  std::vector<int32_t> dof_body;      ///< nv
  std::vector<int32_t> dof_parent;    ///< nv, -1 at a root
  double gravity[3] = {0, 0, -9.81};  ///< zero when the model disables gravity
  std::vector<TreeSite> sites;

  /// InputError naming the first inconsistency (sizes, parent order, joint types, addresses).
  void validate() const;
};

}  // namespace swingpipe::iaa
