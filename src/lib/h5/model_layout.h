#pragma once
// The layout of a model file's training state, checked without LibTorch
// (occ inspect stays torch-free): every AdamW moment under /optimizer names
// a stored parameter and has its shape, the two moments come in pairs, and
// the update count is there. What it cannot see: a parameter whose moments
// are both gone, or weights that do not fit the stored configuration (only
// building the model knows its parameters); occ predict and occ train
// --resume refuse those when they load the file.
#include <string>
#include <vector>

#include "h5/file.h"

namespace occ::h5 {

// Problems of the /optimizer group of a model file, each naming the dataset;
// empty when it is consistent or absent (a final model without training
// state).
std::vector<std::string> check_model_layout(const File& file);

}  // namespace occ::h5
