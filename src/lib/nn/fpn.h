#pragma once
// Feature Pyramid Network (Lin et al., "Feature Pyramid Networks for Object
// Detection", CVPR 2017) following mmdet's FPN neck, parameter names included
// (lateral_convs.i.conv, fpn_convs.i.conv), so mmdet checkpoints load by name.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace occ::nn {

// Where the extra (coarser than the backbone) levels come from, as mmdet's
// add_extra_convs. None: max pooling (kernel 1, stride 2) of the last output,
// as in Lin et al. 2017 ("P6 is a simple subsampling of P5").
enum class FpnExtraSource { None, OnInput, OnLateral, OnOutput };

struct FpnOptions {
  // Channels of the backbone levels the neck receives, fine to coarse. The
  // default is ResNet-50/101's layer1..layer4.
  std::vector<int64_t> in_channels = {256, 512, 1024, 2048};
  int64_t out_channels = 256;
  // Number of outputs; beyond the used backbone levels extra levels at twice
  // the previous stride are added.
  int num_outs = 5;
  // First and one-past-last backbone level used (-1: all).
  int start_level = 0;
  int end_level = -1;
  FpnExtraSource extra_source = FpnExtraSource::None;
  // ReLU between extra convs (RetinaNet/FCOS style).
  bool relu_before_extra_convs = false;

  // PanoOcc's neck (PanoOcc configs; ../shared/reference/protoocc.md):
  // [256, 512, 1024, 2048] -> 256 channels, 5 outputs, extra convs on the
  // output, ReLU before extra convs.
  static FpnOptions panoocc();
};

// mmcv's ConvModule without norm or activation: a conv named "conv" (so the
// parameter is ...conv.weight, as in mmdet checkpoints).
class FpnConvImpl : public torch::nn::Module {
 public:
  FpnConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding);
  torch::Tensor forward(const torch::Tensor& input) { return conv_(input); }

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(FpnConv);

class FpnImpl : public torch::nn::Module {
 public:
  explicit FpnImpl(FpnOptions options = {});

  // inputs: backbone levels matching options.in_channels, each at half the
  // resolution of the previous. Returns num_outs maps with out_channels each,
  // at the stride of in[start_level] times 2^k.
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& inputs);

  const FpnOptions& options() const { return options_; }

 private:
  FpnOptions options_;
  int end_level_ = 0;  // resolved one-past-last backbone level
  std::vector<FpnConv> lateral_convs_;
  std::vector<FpnConv> fpn_convs_;
};
TORCH_MODULE(Fpn);

}  // namespace occ::nn
