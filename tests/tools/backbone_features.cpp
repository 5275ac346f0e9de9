// Runs the image backbone (ResNet or ConvNeXt, module "backbone") of a model
// file written by `occ train` on one image and writes what it returns, for
// tests/python/check_torch_interop.py, which compares it with torchvision's
// ResNet or ConvNeXt given the same weights through `occ export --format
// torch`.
//
//   backbone_features MODEL.h5 IMAGE.f32 HEIGHT WIDTH OUT_DIR
//
// IMAGE.f32 holds float32 [1, 3, HEIGHT, WIDTH] (already normalised: the
// backbone's input). OUT_DIR receives stages.txt, one "index channels height
// width" line per returned stage, and stage<index>.f32 (float32, C order).
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/occupancy_model.h"
#include "nn/stage_backbone.h"
#include "train/model_file.h"

namespace {

std::vector<float> read_floats(const std::string& path, size_t count) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> values(count);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  if (!in || in.peek() != EOF)
    throw std::runtime_error(path + ": not " + std::to_string(count) + " float32 values");
  return values;
}

int run(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s MODEL.h5 IMAGE.f32 HEIGHT WIDTH OUT_DIR\n", argv[0]);
    return 2;
  }
  const int64_t height = std::stoll(argv[3]), width = std::stoll(argv[4]);
  const std::string out_dir = argv[5];
  occ::train::LoadedModel loaded = occ::train::load_model_file(argv[1]);
  std::shared_ptr<occ::nn::StageBackboneImpl> backbone;
  for (const auto& child : loaded.model->named_children()) {
    if (child.key() == "backbone")
      backbone = std::dynamic_pointer_cast<occ::nn::StageBackboneImpl>(child.value());
  }
  if (!backbone) throw std::runtime_error(std::string(argv[1]) + ": the model has no image \"backbone\"");
  loaded.model->eval();
  std::vector<float> pixels = read_floats(argv[2], static_cast<size_t>(3 * height * width));
  const at::Tensor image = at::from_blob(pixels.data(), {1, 3, height, width}, at::kFloat);
  c10::NoGradGuard no_grad;
  const std::vector<at::Tensor> stages = backbone->forward(image);
  const std::vector<int>& indices = backbone->out_indices();
  std::ofstream list(out_dir + "/stages.txt");
  for (size_t i = 0; i < stages.size(); ++i) {
    const at::Tensor stage = stages[i].contiguous();
    list << indices.at(i) << ' ' << stage.size(1) << ' ' << stage.size(2) << ' ' << stage.size(3) << '\n';
    std::ofstream out(out_dir + "/stage" + std::to_string(indices.at(i)) + ".f32", std::ios::binary);
    out.write(static_cast<const char*>(stage.data_ptr()), static_cast<std::streamsize>(stage.nbytes()));
    if (!out) throw std::runtime_error("cannot write " + out_dir);
  }
  if (!list) throw std::runtime_error("cannot write " + out_dir + "/stages.txt");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "backbone_features: %s\n", error.what());
    return 1;
  }
}
