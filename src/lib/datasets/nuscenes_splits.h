#pragma once
// The official nuScenes scene splits (train, val, test, mini_train,
// mini_val) from the nuScenes devkit, python-sdk/nuscenes/utils/splits.py
// (nutonomy/nuscenes-devkit @ d9de17a7), so `--split val` picks the same
// 150 scenes as every published Occ3D-nuScenes result.
#include <string>
#include <vector>

namespace occ::datasets {

// Names of the known splits, in the order help text lists them.
const std::vector<std::string>& nuscenes_split_names();
// Scene names ("scene-0003", ...) of a split; throws UsageError naming the
// split and the known ones.
std::vector<std::string> nuscenes_split_scenes(const std::string& split);

}  // namespace occ::datasets
