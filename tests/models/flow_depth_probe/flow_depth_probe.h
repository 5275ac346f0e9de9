#pragma once
// A test-only model kind, "flow_depth_probe", that proves the model contract
// for self-supervised kinds from outside the library: it lives in this
// folder, registers itself with one call, trains on a frames file without
// /occupancy from neighbour frames, colour images and flow labels, and
// predicts flow and depth. It is a probe of the plumbing, not a method: a
// per-camera image flow fitted to the labels, one depth scale, one voxel
// flow.
namespace occ::models::test {

// Registers the kind (idempotent).
void register_flow_depth_probe();

}  // namespace occ::models::test
