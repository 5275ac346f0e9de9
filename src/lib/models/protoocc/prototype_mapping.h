#pragma once
// ProtoOcc Sec. 3.2.1, second step: map each camera's 2D prototypes P_img to
// the voxel queries that camera sees (Q', gathered by spatial
// cross-attention), Eq. 1:
//   P'_img = MLP(P_img)                                  (projection)
//   sigma(A) = sigmoid(cos(P'_img, Q'))                  [M x K]
//   P_vox = (1/R) (P'_img + sigma(A) . Q')               (1a, Aggregate)
//   Q^    = Q' + MLP(sigma(A)^T . P_vox)                  (1b, Dispatch)
// with R = sum_K sigma(A) (the paper). The paper takes Aggregate & Dispatch
// from Context Clusters (Ma et al., "Image as Set of Points", ICLR 2023,
// repo ma-xu/Context-Cluster, models/context_cluster.py, class Cluster):
// there sim = sigmoid(beta + alpha * cos) with learnable alpha (init 1) and
// beta (init 0), each point keeps only its most similar centre (a one-hot
// mask over the centres times sim), the aggregate divides by 1 + sum sim
// (the centre counts once) and the dispatch is the plain product sim^T .
// centres. Every one of these is an option below; the defaults are today's
// choices (soft weights, learnable affine, both normalisers), the
// configuration "paper" preset (configs/protoocc_paper.toml) takes the
// paper's form and Context Clusters' hard assignment.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace occ::models {

struct PrototypeMappingOptions {
  int64_t embed_dims = 256;
  int64_t hidden_dims = 256;
  // sigma(A): true (CHOSEN default) sigmoid(beta + alpha * cos) with Context
  // Clusters' learnable alpha and beta; false: the paper's sigmoid(cos).
  bool learnable_affinity = true;
  // true: each query keeps only its most similar prototype (Context
  // Clusters' mask: sigma(A) is zeroed for every other prototype, and the
  // masked sigma(A) is what Eq. 1, Eq. 2 and the output use); false
  // (CHOSEN default): soft weights over every prototype and query.
  bool hard_assignment = false;
  // R of Eq. 1a. CHOSEN true: R = 1 + sum_K sigma(A), Context Clusters'
  // normaliser (the prototype itself counts with weight 1, so P_vox is a
  // weighted mean of P'_img and the queries, and a camera without hits
  // divides by 1, not 0). false: R = sum_K sigma(A), the paper; a prototype
  // that no query joined (sum 0: hard assignment, or a camera without hits)
  // divides by 1 instead of 0 and keeps P'_img.
  bool count_prototype_in_aggregate = true;
  // CHOSEN true: Eq. 1b's sigma(A)^T . P_vox divided by sum_M sigma(A) (a
  // weighted mean of the voxel prototypes). The paper writes the plain sum:
  // with M = 350 prototypes and sigma(A) ~ 0.5 at initialisation that sum is
  // ~175 prototypes strong and swamps the residual Q'. false: the paper's sum.
  bool normalise_dispatch = true;

  // Throws UsageError naming the option for non-positive sizes.
  void validate() const;
};

struct PrototypeMappingOutput {
  at::Tensor queries;           // [BN, L, d]  Q^ (Eq. 1b); padding rows returned unchanged
  at::Tensor affinity;          // [BN, M, L]  sigma(A) in (0,1); 0 at padding columns (and,
                                //             with hard assignment, off each query's best prototype)
  at::Tensor voxel_prototypes;  // [BN, M, d]  P_vox (Eq. 1a)
};

class PrototypeMappingImpl : public torch::nn::Module {
 public:
  explicit PrototypeMappingImpl(const PrototypeMappingOptions& options = {});

  // prototypes [BN, M, d] (P_img), queries [BN, L, d] (the hit queries Q' of
  // each camera, gathered), valid [BN, L] bool (false: padding, which neither
  // joins the aggregate nor changes).
  PrototypeMappingOutput forward(const at::Tensor& prototypes, const at::Tensor& queries,
                                 const at::Tensor& valid);

  const PrototypeMappingOptions& options() const { return options_; }

  // P_img -> P'_img: Linear, ReLU, Linear (the paper: "MLP layers").
  torch::nn::Linear projection_in{nullptr}, projection_out{nullptr};
  // Context Clusters' learnable scale and bias of the cosine similarity
  // (undefined without learnable_affinity).
  at::Tensor alpha, beta;
  // Eq. 1b's MLP: Linear, ReLU, Linear.
  torch::nn::Linear dispatch_in{nullptr}, dispatch_out{nullptr};

 private:
  PrototypeMappingOptions options_;
};
TORCH_MODULE(PrototypeMapping);

}  // namespace occ::models
