#pragma once
// pred -> the Occ3D-nuScenes submission: one <sample_token>.npz per frame,
// as CVPR2023-3D-Occupancy-Prediction's test code writes it with
// np.savez_compressed(path, pred.astype(np.uint8)): a deflated zip holding
// arr_0.npy, uint8 [X, Y, Z] (200, 200, 16).
#include <cstdint>
#include <string>
#include <vector>

namespace occ::exporting {

class PredSource;

// The .npz bytes are written to `storage_path`; messages name `display_path`.
void write_npz_uint8(const std::string& storage_path, const std::string& display_path,
                     const std::vector<int64_t>& shape, const std::vector<uint8_t>& values);

// Writes every frame of `pred` into the folder `output`; returns the count.
int64_t export_occ3d_npz(const PredSource& pred, const std::string& output);

}  // namespace occ::exporting
