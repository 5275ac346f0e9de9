#include "models/occupancy_model.h"

#include "core/error.h"

namespace occ::models {

void OccupancyModel::load_backbone_weights(const std::string& path) {
  throw UsageError("--backbone-weights " + quoted(path) + ": this model has no image backbone");
}

}  // namespace occ::models
