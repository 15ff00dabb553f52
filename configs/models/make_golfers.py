#!/usr/bin/env python3
"""Writes the three golfer models of configs/models/ (MJCF, MuJoCo 2.2) from one table.

    python3 configs/models/make_golfers.py [--check]

--check compares the generated text with the files on disk and exits 1 when they differ (a test
runs it, so the committed models always match this script).

Anthropometry: de Leva P. (1996), "Adjustments to Zatsiorsky-Seluyanov's segment inertia
parameters", Journal of Biomechanics 29(9):1223-1230, Table 4 (males): segment mass as a fraction
of body mass, segment length, centre-of-mass position as a fraction of the length from the
proximal (for trunk segments: the cranial) end point, and radii of gyration (sagittal,
transverse, longitudinal) as fractions of the length. Body mass 73.0 kg and stature 1.741 m are
de Leva's male means; the segment lengths are his mean lengths. The club is a 45-inch driver
(1.14 m, 0.315 kg: head 0.200 kg, shaft and grip 0.115 kg).

Frame: x points from the golfer to the ball, y to the target (the lead side), z up. Every body
frame is aligned with the world at the address posture, which is qpos0 (all hinge angles 0), so
the PD controller's targets are offsets from address. Positive rotation about the swing-plane
normal n moves the club head toward the target through the ball (the downswing direction).

Models (DoF):
  golfer_upper    16  pelvis on a vertical hinge, thorax 3, each arm 3+1+2; no legs, no contact.
  golfer_full     27  free pelvis, thorax 2, legs (hip flexion and rotation, knee, ankle
                      flexion and rotation) with box feet on a ground plane (contact), lead arm
                      3+1+1, trail arm 3+1.
  golfer_advanced 40  free pelvis, thorax 3, legs as full, each arm scapula 2 + shoulder 3 +
                      elbow 1 + forearm roll 1 + wrist 2, and a flexible shaft (3 hinges with
                      springs, no actuator).
In every model the club is rigid with the lead hand (the lead wrist cocks it) and the trail hand
holds the grip through a `connect` equality constraint, so the two arms and the club form a closed
loop. Every joint but the pelvis free joint and the shaft hinges has a motor (gear 1, N m).
"""
import math
import os
import sys

BODY_MASS = 73.0
# name: (mass fraction, length m, CoM fraction from proximal/cranial end, (r_sag, r_trans, r_long))
DE_LEVA_MALE = {
    "head": (0.0694, 0.2429, 0.5002, (0.303, 0.315, 0.261)),
    "upper_trunk": (0.1596, 0.1707, 0.5066, (0.505, 0.320, 0.465)),
    "middle_trunk": (0.1633, 0.2155, 0.4502, (0.482, 0.383, 0.468)),
    "lower_trunk": (0.1117, 0.1457, 0.6115, (0.615, 0.551, 0.587)),
    "upper_arm": (0.0271, 0.2817, 0.5772, (0.285, 0.269, 0.158)),
    "forearm": (0.0162, 0.2689, 0.4574, (0.276, 0.265, 0.121)),
    "hand": (0.0061, 0.0862, 0.7900, (0.628, 0.513, 0.401)),
    "thigh": (0.1416, 0.4222, 0.4095, (0.329, 0.329, 0.149)),
    "shank": (0.0433, 0.4340, 0.4395, (0.251, 0.246, 0.102)),
    "foot": (0.0137, 0.2581, 0.4415, (0.257, 0.245, 0.124)),
}
SCAPULA_MASS = 0.5  # kg per side, taken from the upper trunk (de Leva has no shoulder girdle)

# Posture at address.
TRUNK_TILT = math.radians(35)  # forward flexion of the trunk axis from vertical
HIP_CENTRE = (0.0, 0.0, 0.90)
SHOULDER_HEIGHT = 0.50  # along the trunk axis from the hip centre
SHOULDER_HALF_WIDTH = 0.175
SHOULDER_TILT = 0.05  # lead shoulder this much higher, trail shoulder lower (m)
GRIP_IN_HAND = 0.09  # wrist joint centre to the grip point in the palm (m)
HANDS_Y = 0.04  # lead grip point: slightly toward the target
HANDS_X = 0.08  # forward offset of the lead grip point from the lead shoulder
CLUB = {"grip_to_head": 1.06, "butt_above_grip": 0.05, "trail_grip": 0.07, "head_mass": 0.200,
        "shaft_mass": 0.115, "head_radius": 0.03, "head_behind_hands": 0.05}
HIP_HALF_WIDTH = 0.09
STANCE_HALF_WIDTH = 0.22
ANKLE_HEIGHT = 0.07
ANKLE_X = 0.08  # ankles ahead of the hips: the centre of mass is over the middle of the feet
# Motor ranges are about 3x the joint strength of a fit adult: the PD controller tracks a fast
# swing with rigid segments, no muscle elasticity, and its torques must not be clipped.
TORQUE_SCALE = 3


# ---- small vector helpers ------------------------------------------------------------------
def add(a, b): return tuple(x + y for x, y in zip(a, b))
def sub(a, b): return tuple(x - y for x, y in zip(a, b))
def scl(a, s): return tuple(x * s for x in a)
def dot(a, b): return sum(x * y for x, y in zip(a, b))
def cross(a, b): return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
def norm(a): return math.sqrt(dot(a, a))
def unit(a): return scl(a, 1.0 / norm(a))


def fmt(v):
    return " ".join(f"{x:.6g}" if abs(x) > 1e-12 else "0" for x in v)


def quat_from_z(z_axis, x_hint):
    """Quaternion (w x y z) of the frame whose z is z_axis and x is x_hint made orthogonal."""
    z = unit(z_axis)
    x = sub(x_hint, scl(z, dot(x_hint, z)))
    if norm(x) < 1e-9:
        x = sub((0.0, 1.0, 0.0), scl(z, z[1]))
    x = unit(x)
    y = cross(z, x)
    m = [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]]
    tr = m[0][0] + m[1][1] + m[2][2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        q = (0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s)
    elif m[0][0] > m[1][1] and m[0][0] > m[2][2]:
        s = math.sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2
        q = ((m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s)
    elif m[1][1] > m[2][2]:
        s = math.sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2
        q = ((m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, (m[1][2] + m[2][1]) / s)
    else:
        s = math.sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2
        q = ((m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, 0.25 * s)
    if q[0] < 0:
        q = scl(q, -1.0)
    return unit(q)


class Inertia:
    """Mass, CoM and 3x3 inertia about the CoM, all in world coordinates."""

    def __init__(self):
        self.m, self.c, self.I = 0.0, (0.0, 0.0, 0.0), [[0.0] * 3 for _ in range(3)]

    def add_principal(self, mass, com, axes, moments):
        """Adds a part with principal `moments` about the unit `axes` (three vectors)."""
        part = [[sum(moments[k] * axes[k][i] * axes[k][j] for k in range(3)) for j in range(3)]
                for i in range(3)]
        self.add(mass, com, part)

    def add(self, mass, com, I_com):
        if mass <= 0:
            return
        m_new = self.m + mass
        c_new = scl(add(scl(self.c, self.m), scl(com, mass)), 1.0 / m_new)
        I_new = [[0.0] * 3 for _ in range(3)]
        for (m, c, I) in ((self.m, self.c, self.I), (mass, com, I_com)):
            d = sub(c, c_new)
            for i in range(3):
                for j in range(3):
                    I_new[i][j] += I[i][j] + m * ((dot(d, d) if i == j else 0.0) - d[i] * d[j])
        self.m, self.c, self.I = m_new, c_new, I_new

    def xml(self, origin):
        """<inertial> relative to a body frame at `origin` (aligned with the world)."""
        I = self.I
        pos = sub(self.c, origin)
        return (f'<inertial pos="{fmt(pos)}" mass="{self.m:.6g}" fullinertia="'
                f'{I[0][0]:.6g} {I[1][1]:.6g} {I[2][2]:.6g} {I[0][1]:.6g} {I[0][2]:.6g} '
                f'{I[1][2]:.6g}"/>')


def segment(inertia, name, proximal, distal, ap_hint=(1.0, 0.0, 0.0), mass=None):
    """Adds de Leva segment `name` lying from `proximal` to `distal` (world points)."""
    frac, length, com_frac, (r_sag, r_trans, r_long) = DE_LEVA_MALE[name]
    m = BODY_MASS * frac if mass is None else mass
    axis = unit(sub(distal, proximal))
    com = add(proximal, scl(sub(distal, proximal), com_frac))
    ap = sub(ap_hint, scl(axis, dot(ap_hint, axis)))
    if norm(ap) < 1e-9:
        ap = sub((0.0, 0.0, 1.0), scl(axis, axis[2]))
    ap = unit(ap)
    ml = cross(axis, ap)
    # sagittal-plane rotation is about the medio-lateral axis, frontal-plane about the AP axis
    inertia.add_principal(m, com, (ap, ml, axis),
                          (m * (r_trans * length) ** 2, m * (r_sag * length) ** 2,
                           m * (r_long * length) ** 2))


def two_link(a, c, l1, l2, pole):
    """Middle joint of a chain a -> b -> c with |ab| = l1, |bc| = l2, bending toward `pole`."""
    d = norm(sub(c, a))
    if d >= l1 + l2:
        raise SystemExit(f"two_link: points {a} and {c} are {d:.3f} m apart, reach {l1 + l2:.3f}")
    u = unit(sub(c, a))
    x = (d * d + l1 * l1 - l2 * l2) / (2 * d)
    h = math.sqrt(max(l1 * l1 - x * x, 0.0))
    p = sub(pole, scl(u, dot(pole, u)))
    return add(add(a, scl(u, x)), scl(unit(p), h))


# ---- the posture ---------------------------------------------------------------------------
class Posture:
    def __init__(self):
        t = TRUNK_TILT
        self.trunk_axis = (math.sin(t), 0.0, math.cos(t))
        self.trunk_ap = (math.cos(t), 0.0, -math.sin(t))
        self.hip = HIP_CENTRE
        L = DE_LEVA_MALE
        self.omph = add(self.hip, scl(self.trunk_axis, L["lower_trunk"][1]))
        self.xyph = add(self.omph, scl(self.trunk_axis, L["middle_trunk"][1]))
        self.supr = add(self.xyph, scl(self.trunk_axis, L["upper_trunk"][1]))
        self.cerv = add(self.hip, scl(self.trunk_axis, 0.6033))  # de Leva trunk length CERV-MIDH
        self.vert = add(self.cerv, scl(self.trunk_axis, L["head"][1]))
        mid_sh = add(self.hip, scl(self.trunk_axis, SHOULDER_HEIGHT))
        self.shoulder = {"lead": add(mid_sh, (0.0, SHOULDER_HALF_WIDTH, SHOULDER_TILT)),
                         "trail": add(add(mid_sh, (0.03, -SHOULDER_HALF_WIDTH, -SHOULDER_TILT)),
                                      (0.0, 0.0, -0.03))}
        arm = L["upper_arm"][1] + L["forearm"][1] + GRIP_IN_HAND
        s = self.shoulder["lead"]
        dy = HANDS_Y - s[1]
        dz = -math.sqrt(arm * arm - dy * dy - HANDS_X * HANDS_X)
        self.grip = add(s, (HANDS_X, dy, dz))  # lead grip point
        lead_dir = unit(sub(self.grip, s))
        self.elbow = {"lead": add(s, scl(lead_dir, L["upper_arm"][1]))}
        self.wrist = {"lead": add(self.elbow["lead"], scl(lead_dir, L["forearm"][1]))}
        # club shaft: from the lead grip point down to the head centre
        g2h = CLUB["grip_to_head"]
        sz = (CLUB["head_radius"] - self.grip[2]) / g2h
        sy = -CLUB["head_behind_hands"] / g2h
        self.shaft = (math.sqrt(1 - sz * sz - sy * sy), sy, sz)
        self.head = add(self.grip, scl(self.shaft, g2h))
        self.butt = add(self.grip, scl(self.shaft, -CLUB["butt_above_grip"]))
        self.trail_grip = add(self.grip, scl(self.shaft, CLUB["trail_grip"]))
        # swing-plane normal: positive rotation moves the head toward +y at the bottom
        self.plane_normal = unit(cross(self.shaft, (0.0, 1.0, 0.0)))
        # trail arm reaches the trail grip point with the elbow bent down and back
        ts = self.shoulder["trail"]
        forearm_grip = L["forearm"][1] + GRIP_IN_HAND
        self.elbow["trail"] = two_link(ts, self.trail_grip, L["upper_arm"][1], forearm_grip,
                                       (-0.3, -0.5, -1.0))
        fd = unit(sub(self.trail_grip, self.elbow["trail"]))
        self.wrist["trail"] = add(self.elbow["trail"], scl(fd, L["forearm"][1]))
        # legs: ankles under a wide stance, knees bent forward
        self.hip_joint = {side: add(self.hip, (0.0, sgn * HIP_HALF_WIDTH, 0.0))
                          for side, sgn in (("lead", 1), ("trail", -1))}
        self.ankle = {side: (ANKLE_X, sgn * STANCE_HALF_WIDTH, ANKLE_HEIGHT)
                      for side, sgn in (("lead", 1), ("trail", -1))}
        self.knee = {side: two_link(self.hip_joint[side], self.ankle[side], L["thigh"][1],
                                    L["shank"][1], (1.0, 0.0, 0.0))
                     for side in ("lead", "trail")}


# ---- MJCF writing ----------------------------------------------------------------------------
class Writer:
    def __init__(self):
        self.lines, self.depth = [], 0
        self.actuators = []

    def line(self, text):
        self.lines.append("  " * self.depth + text)

    def open(self, text):
        self.line(text)
        self.depth += 1

    def close(self, tag):
        self.depth -= 1
        self.line(f"</{tag}>")

    def joint(self, name, pos, axis, limit, damping, torque, origin, armature=0.01):
        rel = sub(pos, origin)
        self.line(f'<joint name="{name}" type="hinge" pos="{fmt(rel)}" axis="{fmt(unit(axis))}" '
                  f'range="{limit[0]:.4g} {limit[1]:.4g}" damping="{damping:.4g}" '
                  f'armature="{armature:.4g}"/>')
        if torque:
            self.actuators.append((name, TORQUE_SCALE * torque))


def capsule(w, name, a, b, radius, origin, extra=""):
    w.line(f'<geom name="{name}" type="capsule" fromto="{fmt(sub(a, origin))} '
           f'{fmt(sub(b, origin))}" size="{radius:.4g}"{extra}/>')


def write_arm(w, p, side, model):
    """Upper arm, forearm, hand (and the club in the lead hand) of one side."""
    L = DE_LEVA_MALE
    sgn = 1 if side == "lead" else -1
    S, E, W = p.shoulder[side], p.elbow[side], p.wrist[side]
    G = p.grip if side == "lead" else p.trail_grip
    n = p.plane_normal
    arm_dir = unit(sub(E, S))
    fore_dir = unit(sub(W, E))
    origin = S
    if model == "advanced":
        # shoulder girdle: clavicle/scapula pivoting at the sternoclavicular joint
        sc = add(p.supr, (0.0, sgn * 0.02, 0.0))
        w.open(f'<body name="{side}_scapula" pos="{fmt(sub(sc, p.hip))}">')
        ine = Inertia()
        ine.add_principal(SCAPULA_MASS, scl(add(sc, S), 0.5), ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
                          (0.002, 0.001, 0.002))
        w.line(ine.xml(sc))
        w.joint(f"{side}_scap_elev", sc, (sgn * 1.0, 0.0, 0.0), (-0.3, 0.5), 2.0, 300, sc)
        w.joint(f"{side}_scap_prot", sc, (0.0, 0.0, -sgn * 1.0), (-0.4, 0.4), 2.0, 300, sc)
        capsule(w, f"{side}_clavicle", sc, S, 0.02, sc)
        w.open(f'<body name="{side}_upperarm" pos="{fmt(sub(S, sc))}">')
    else:
        w.open(f'<body name="{side}_upperarm" pos="{fmt(sub(S, p.hip))}">')
    ine = Inertia()
    segment(ine, "upper_arm", S, E)
    w.line(ine.xml(S))
    elev_axis = unit(cross(arm_dir, n))
    w.joint(f"{side}_shoulder", S, n, (-2.6, 2.6), 1.0, 220, origin)
    w.joint(f"{side}_shoulder_elev", S, elev_axis, (-1.2, 1.2), 1.0, 300, origin)
    w.joint(f"{side}_shoulder_rot", S, arm_dir, (-1.4, 1.4), 0.5, 100, origin)
    capsule(w, f"{side}_upperarm", S, E, 0.045, S)
    w.open(f'<body name="{side}_forearm" pos="{fmt(sub(E, S))}">')
    ine = Inertia()
    segment(ine, "forearm", E, W)
    w.line(ine.xml(E))
    if side == "lead":
        elbow_axis = unit(cross(arm_dir, (1.0, 0.0, 0.0)))
        w.joint("lead_elbow", E, elbow_axis, (-0.05, 2.4), 0.5, 120, E)
    else:
        elbow_axis = unit(cross(sub(E, S), sub(W, E)))
        w.joint("trail_elbow", E, elbow_axis, (-0.1, 2.5), 0.5, 120, E)
    if model == "advanced":
        w.joint(f"{side}_forearm_rot", E, fore_dir, (-1.3, 1.3), 0.2, 80, E)
    capsule(w, f"{side}_forearm", E, W, 0.035, E)
    w.open(f'<body name="{side}_hand" pos="{fmt(sub(W, E))}">')
    ine = Inertia()
    hand_end = add(W, scl(fore_dir, DE_LEVA_MALE["hand"][1]))
    segment(ine, "hand", W, hand_end)
    w.line(ine.xml(W))
    has_wrist = side == "lead" or model != "full"
    if has_wrist:
        w.joint(f"{side}_wrist", W, n, (-2.0, 1.4), 0.2, 90, W)
        if model != "full":
            flex_axis = unit(cross(p.shaft, n))
            w.joint(f"{side}_wrist_flex", W, flex_axis, (-1.0, 1.0), 0.2, 60, W)
    capsule(w, f"{side}_hand", W, G, 0.03, W)
    if side == "lead":
        write_club(w, p, model)
    w.close("body")  # hand
    w.close("body")  # forearm
    w.close("body")  # upper arm
    if model == "advanced":
        w.close("body")  # scapula


def write_club(w, p, model):
    G, s = p.grip, p.shaft
    head, butt = p.head, p.butt
    rod_len = norm(sub(head, butt))
    w.open(f'<body name="club" pos="{fmt(sub(G, p.wrist["lead"]))}">')
    if model != "advanced":
        ine = Inertia()
        ine.add_principal(CLUB["shaft_mass"], add(butt, scl(s, 0.45 * rod_len)),
                          (unit(cross(s, p.plane_normal)), p.plane_normal, s),
                          (CLUB["shaft_mass"] * rod_len ** 2 / 12,) * 2 + (1e-5,))
        r = CLUB["head_radius"]
        ine.add_principal(CLUB["head_mass"], head, ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
                          (0.4 * CLUB["head_mass"] * r * r,) * 3)
        w.line(ine.xml(G))
        capsule(w, "shaft", butt, head, 0.008, G)
        w.line(f'<geom name="club_head" type="sphere" pos="{fmt(sub(head, G))}" size="{r:.4g}"/>')
        w.line(f'<site name="club_head" pos="{fmt(sub(head, G))}" size="0.01"/>')
        w.line(f'<site name="trail_grip" pos="{fmt(sub(p.trail_grip, G))}" size="0.01"/>')
        w.close("body")
        return
    # flexible shaft: the grip segment is rigid with the hand, three hinges about the swing-plane
    # normal (lead/lag bending) split the rest into equal pieces
    pieces = 4
    seg_len = rod_len / pieces
    mass_per = CLUB["shaft_mass"] / pieces
    points = [add(butt, scl(s, k * seg_len)) for k in range(pieces + 1)]
    origin = G
    for k in range(pieces):
        a, b = points[k], points[k + 1]
        ine = Inertia()
        ine.add_principal(mass_per, scl(add(a, b), 0.5),
                          (unit(cross(s, p.plane_normal)), p.plane_normal, s),
                          (mass_per * seg_len ** 2 / 12,) * 2 + (1e-6,))
        if k == pieces - 1:
            r = CLUB["head_radius"]
            ine.add_principal(CLUB["head_mass"], head, ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
                              (0.4 * CLUB["head_mass"] * r * r,) * 3)
        if k > 0:
            w.open(f'<body name="shaft{k}" pos="{fmt(sub(a, origin))}">')
            origin = a
            w.line(f'<joint name="shaft_flex{k}" type="hinge" pos="0 0 0" '
                   f'axis="{fmt(p.plane_normal)}" stiffness="{260 + 80 * k}" damping="0.05" '
                   f'armature="0.0005" range="-0.3 0.3"/>')
        w.line(ine.xml(origin))
        capsule(w, f"shaft_piece{k}", a, b, 0.008, origin)
        if k == 0:
            w.line(f'<site name="trail_grip" pos="{fmt(sub(p.trail_grip, origin))}" size="0.01"/>')
    r = CLUB["head_radius"]
    w.line(f'<geom name="club_head" type="sphere" pos="{fmt(sub(head, origin))}" size="{r:.4g}"/>')
    w.line(f'<site name="club_head" pos="{fmt(sub(head, origin))}" size="0.01"/>')
    for _ in range(pieces - 1):
        w.close("body")
    w.close("body")  # club


def write_leg(w, p, side, model):
    sgn = 1 if side == "lead" else -1
    H, K, A = p.hip_joint[side], p.knee[side], p.ankle[side]
    w.open(f'<body name="{side}_thigh" pos="{fmt(sub(H, p.hip))}">')
    ine = Inertia()
    segment(ine, "thigh", H, K)
    w.line(ine.xml(H))
    # hip rotation turns the whole leg about the hip-ankle line (the ankle stays put), the
    # foot's rotation about the same line lets it stay planted (no hip adduction: the stance
    # width is held by the ground)
    leg_axis = unit(sub(H, A))
    w.joint(f"{side}_hip_flex", H, (0.0, -1.0, 0.0), (-0.6, 1.6), 2.0, 400, H, 0.1)
    w.joint(f"{side}_hip_rot", H, leg_axis, (-1.2, 1.2), 2.0, 300, H, 0.1)
    capsule(w, f"{side}_thigh", H, K, 0.06, H)
    w.open(f'<body name="{side}_shank" pos="{fmt(sub(K, H))}">')
    ine = Inertia()
    segment(ine, "shank", K, A)
    w.line(ine.xml(K))
    w.joint(f"{side}_knee", K, (0.0, 1.0, 0.0), (-0.1, 2.2), 2.0, 350, K, 0.1)
    capsule(w, f"{side}_shank", K, A, 0.045, K)
    w.open(f'<body name="{side}_foot" pos="{fmt(sub(A, K))}">')
    heel = (A[0] - 0.05, A[1], 0.0)
    toe = (heel[0] + DE_LEVA_MALE["foot"][1], A[1], 0.0)
    ine = Inertia()
    segment(ine, "foot", heel, toe, ap_hint=(0.0, 0.0, 1.0))
    w.line(ine.xml(A))
    w.joint(f"{side}_ankle", A, (0.0, -1.0, 0.0), (-0.7, 0.7), 2.0, 250, A, 0.1)
    w.joint(f"{side}_ankle_rot", A, leg_axis, (-1.2, 1.2), 1.0, 150, A, 0.1)
    half_len = DE_LEVA_MALE["foot"][1] / 2
    centre = ((heel[0] + toe[0]) / 2, A[1], 0.025)
    w.line(f'<geom name="{side}_foot" type="box" pos="{fmt(sub(centre, A))}" '
           f'size="{half_len:.4g} 0.05 0.025" contype="1" conaffinity="1" condim="4" '
           f'friction="2.5 0.3 0.002"/>')
    w.close("body")
    w.close("body")
    w.close("body")


def model_xml(model):
    p = Posture()
    w = Writer()
    nice = {"upper": "upper body, 16 DoF", "full": "full body, 27 DoF",
            "advanced": "advanced full body, 40 DoF"}[model]
    w.line(f"<!-- swingpipe golfer model: {nice}. Generated by configs/models/make_golfers.py; "
           f"edit the script, not this file.")
    w.line("     Anthropometry: de Leva (1996), J Biomech 29(9):1223-1230, Table 4 (males), body "
           f"mass {BODY_MASS} kg. Driver 1.14 m, 0.315 kg. -->")
    w.open(f'<mujoco model="golfer_{model}">')
    w.line('<compiler angle="radian"/>')
    w.line('<option timestep="0.001" integrator="Euler" solver="Newton" iterations="200" '
           'tolerance="1e-13"/>')
    w.open("<default>")
    w.line('<geom contype="0" conaffinity="0" density="0" rgba="0.8 0.65 0.5 1"/>')
    w.line('<joint limited="true"/>')
    w.close("default")
    w.open("<worldbody>")
    if model != "upper":
        w.line('<geom name="floor" type="plane" size="3 3 0.1" contype="1" conaffinity="1" '
               'rgba="0.3 0.5 0.3 1"/>')
    w.line('<light pos="0 -2 4" dir="0 0.4 -1"/>')
    w.open(f'<body name="pelvis" pos="{fmt(p.hip)}">')
    ine = Inertia()
    segment(ine, "lower_trunk", p.omph, p.hip)
    w.line(ine.xml(p.hip))
    if model == "upper":
        w.joint("pelvis_rot", p.hip, (0.0, 0.0, 1.0), (-1.4, 1.4), 5.0, 400, p.hip)
    else:
        w.line('<freejoint name="root"/>')
    capsule(w, "pelvis", add(p.hip, (0, -0.1, 0)), add(p.hip, (0, 0.1, 0)), 0.08, p.hip)
    # thorax: upper + middle trunk + head and neck, one rigid body
    w.open('<body name="thorax" pos="0 0 0">')
    ine = Inertia()
    upper_mass = BODY_MASS * DE_LEVA_MALE["upper_trunk"][0]
    if model == "advanced":
        upper_mass -= 2 * SCAPULA_MASS
    segment(ine, "upper_trunk", p.supr, p.xyph, mass=upper_mass)
    segment(ine, "middle_trunk", p.xyph, p.omph)
    segment(ine, "head", p.vert, p.cerv)
    w.line(ine.xml(p.hip))
    w.joint("thorax_rot", p.omph, p.trunk_axis, (-1.4, 1.4), 4.0, 300, p.hip)
    w.joint("thorax_bend", p.omph, p.trunk_ap, (-0.5, 0.5), 4.0, 300, p.hip)
    if model != "full":
        w.joint("thorax_flex", p.omph, (0.0, -1.0, 0.0), (-0.5, 0.6), 4.0, 300, p.hip)
    capsule(w, "thorax", p.omph, p.supr, 0.12, p.hip)
    w.line(f'<geom name="head" type="sphere" pos="{fmt(sub(scl(add(p.cerv, p.vert), 0.5), p.hip))}" '
           f'size="0.1"/>')
    for side in ("lead", "trail"):
        write_arm(w, p, side, model)
    w.close("body")  # thorax
    if model != "upper":
        for side in ("lead", "trail"):
            write_leg(w, p, side, model)
    w.close("body")  # pelvis
    w.close("worldbody")
    w.open("<equality>")
    anchor = sub(p.trail_grip, p.grip)
    w.line(f'<connect name="trail_grip" body1="club" body2="trail_hand" anchor="{fmt(anchor)}" '
           f'solref="0.004 1"/>')
    w.close("equality")
    w.open("<actuator>")
    for name, torque in w.actuators:
        w.line(f'<motor name="{name}" joint="{name}" gear="1" ctrllimited="true" '
                  f'ctrlrange="-{torque} {torque}"/>')
    w.close("actuator")
    w.close("mujoco")
    return "\n".join(w.lines) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    stale = []
    for model in ("upper", "full", "advanced"):
        path = os.path.join(here, f"golfer_{model}.xml")
        text = model_xml(model)
        if check:
            with open(path) as f:
                if f.read() != text:
                    stale.append(path)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("make_golfers: out of date (run configs/models/make_golfers.py):", *stale)
        sys.exit(1)


if __name__ == "__main__":
    main()
