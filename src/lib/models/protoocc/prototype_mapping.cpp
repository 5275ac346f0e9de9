#include "models/protoocc/prototype_mapping.h"

#include "nn/shape_text.h"

#include <string>

#include "core/error.h"

namespace occ::models {
namespace {

constexpr double kNormEps = 1e-12;
// Sums of sigma(A) at or below this count as empty (nothing to divide by).
constexpr double kMinMass = 1e-6;

at::Tensor unit_rows(const at::Tensor& x) {
  return x / x.norm(2, {-1}, /*keepdim=*/true).clamp_min(kNormEps);
}

}  // namespace

void PrototypeMappingOptions::validate() const {
  if (embed_dims < 1)
    throw UsageError("prototype mapping: embed_dims must be >= 1, got " + std::to_string(embed_dims));
  if (hidden_dims < 1)
    throw UsageError("prototype mapping: hidden_dims must be >= 1, got " + std::to_string(hidden_dims));
}

PrototypeMappingImpl::PrototypeMappingImpl(const PrototypeMappingOptions& options) : options_(options) {
  options_.validate();
  const int64_t d = options_.embed_dims, hidden = options_.hidden_dims;
  projection_in = register_module("projection_in", torch::nn::Linear(d, hidden));
  projection_out = register_module("projection_out", torch::nn::Linear(hidden, d));
  if (options_.learnable_affinity) {
    alpha = register_parameter("alpha", at::ones({1}));
    beta = register_parameter("beta", at::zeros({1}));
  }
  dispatch_in = register_module("dispatch_in", torch::nn::Linear(d, hidden));
  dispatch_out = register_module("dispatch_out", torch::nn::Linear(hidden, d));
}

PrototypeMappingOutput PrototypeMappingImpl::forward(const at::Tensor& prototypes, const at::Tensor& queries,
                                                     const at::Tensor& valid) {
  const int64_t d = options_.embed_dims;
  if (prototypes.dim() != 3 || queries.dim() != 3 || prototypes.size(2) != d || queries.size(2) != d ||
      prototypes.size(0) != queries.size(0) || valid.dim() != 2 || valid.size(0) != queries.size(0) ||
      valid.size(1) != queries.size(1) || valid.scalar_type() != at::kBool)
    throw UsageError("prototype mapping: expected prototypes [BN, M, " + std::to_string(d) +
                     "], queries [BN, L, " + std::to_string(d) + "] and bool valid [BN, L], got " +
                     nn::shape_text(prototypes) + ", " + nn::shape_text(queries) + " and " +
                     nn::shape_text(valid));
  const at::Tensor projected = projection_out->forward(at::relu(projection_in->forward(prototypes)));
  const at::Tensor cosine = at::bmm(unit_rows(projected), unit_rows(queries).transpose(1, 2));
  at::Tensor keep = valid.unsqueeze(1).to(cosine.scalar_type());
  const at::Tensor similarity = at::sigmoid(options_.learnable_affinity ? beta + alpha * cosine : cosine);
  if (options_.hard_assignment) {
    // Context Clusters: a one-hot mask of each query's most similar
    // prototype (sigmoid is monotone, so the largest cosine; ties go to
    // the first), no gradient through the choice itself.
    const at::Tensor best = cosine.detach().argmax(1, /*keepdim=*/true);  // [BN, 1, L]
    keep = keep * at::zeros_like(cosine).scatter_(1, best, 1.0);
  }
  const at::Tensor affinity = similarity * keep;  // [BN, M, L]

  // Eq. 1a.
  at::Tensor norm = affinity.sum(2, /*keepdim=*/true);
  norm = options_.count_prototype_in_aggregate ? norm + 1.0
                                               : at::where(norm > kMinMass, norm, at::ones_like(norm));
  const at::Tensor voxel_prototypes = (projected + at::bmm(affinity, queries)) / norm;

  // Eq. 1b.
  at::Tensor dispatched = at::bmm(affinity.transpose(1, 2), voxel_prototypes);  // [BN, L, d]
  if (options_.normalise_dispatch)
    dispatched = dispatched / affinity.sum(1).unsqueeze(-1).clamp_min(kMinMass);
  const at::Tensor updated = queries + dispatch_out->forward(at::relu(dispatch_in->forward(dispatched)));

  PrototypeMappingOutput output;
  output.queries = at::where(valid.unsqueeze(-1), updated, queries);
  output.affinity = affinity;
  output.voxel_prototypes = voxel_prototypes;
  return output;
}

}  // namespace occ::models
