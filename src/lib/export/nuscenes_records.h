#pragma once
// Pieces of the nuScenes v1.0 table schema (nuscenes-devkit, "schema_nuscenes.md")
// that occ's frames become: tokens, poses as translation + (w, x, y, z)
// quaternion, and the fixed tables (visibility) every release has.
#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "geom/rigid.h"

namespace occ::exporting {

using Matrix4d = geom::Matrix4;

// A 32-hex-digit token, stable for the same key (nuScenes tokens look like
// this; they only need to be unique strings).
std::string nuscenes_token(const std::string& key);

// (w, x, y, z) of the rotation part of a rigid transform, w >= 0.
std::array<double, 4> rotation_quaternion(const Matrix4d& transform);

// {"translation": [x, y, z], "rotation": [w, x, y, z]} of a transform.
nlohmann::json pose_json(const Matrix4d& transform);

// The four visibility levels of every nuScenes release.
nlohmann::json visibility_table();

}  // namespace occ::exporting
