// The table of export formats, apart from the exporters (export.cpp) so
// that the occ executable lists them in `occ export --help` without linking
// the exporters and the OpenCV they need (docs/startup.md).
#include "export/export.h"

namespace occ::exporting {

const std::vector<ExportFormat>& export_formats() {
  static const std::vector<ExportFormat> formats = {
      {"occ3d-npz", "pred", "folder", "Occ3D-nuScenes submission: <token>.npz, uint8 arr_0 (needs --gt)"},
      {"semantickitti", "pred", "folder",
       "SemanticKITTI SSC: .label uint16, bit-packed .bin/.invalid (needs --gt)"},
      {"ply", "pred", "folder or .ply file", "occupied voxel centres with class colours (needs --gt)"},
      {"openocc", "pred", "file (.gz)", "CVPR 2024 occupancy and flow challenge submission (needs --gt)"},
      {"kitti-sceneflow", "pred", "folder",
       "KITTI scene-flow results disp_0/, disp_1/, flow/ from Let Occ Flow's rendered depth and flow "
       "(occ predict --depth --rendered-flow; needs --gt with a stereo baseline)"},
      {"torch", "model", "file (.pt)", "torch.load-able dict of tensors keyed by parameter name"},
      {"safetensors", "model", "file (.safetensors)", "safetensors file of the weights"},
      {"nuscenes", "frames", "folder", "nuScenes-style tables, images, LiDAR and Occ3D gts of a frames file"},
  };
  return formats;
}

}  // namespace occ::exporting
