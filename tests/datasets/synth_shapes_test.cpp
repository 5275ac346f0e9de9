// Ray hits and voxel overlap of the world's solids agree with point tests.
#include <gtest/gtest.h>

#include "datasets/synth/random.h"
#include "datasets/synth/shapes.h"

namespace occ::synth {
namespace {

using geom::Vec3;

Primitive random_primitive(Random& random, Shape shape) {
  Primitive p;
  p.shape = shape;
  p.centre = {random.uniform(-2, 2), random.uniform(-2, 2), random.uniform(0.5, 2)};
  const double r = random.uniform(0.1, 1.5);
  p.half = shape == Shape::box
               ? Vec3{random.uniform(0.1, 2), random.uniform(0.1, 2), random.uniform(0.1, 1.5)}
               : Vec3{r, r, random.uniform(0.1, 1.5)};
  p.set_yaw(random.uniform(-3.2, 3.2));
  return p;
}

TEST(SynthShapes, RayHitsLieOnTheSurfaceAndMissesStayOutside) {
  Random random(3);
  int hits = 0;
  for (Shape shape : {Shape::box, Shape::cylinder, Shape::spheroid}) {
    for (int i = 0; i < 3000; ++i) {
      const Primitive p = random_primitive(random, shape);
      const Vec3 origin{random.uniform(-8, 8), random.uniform(-8, 8), random.uniform(-1, 5)};
      if (p.contains(origin)) continue;
      const Vec3 aim =
          p.centre + Vec3{random.uniform(-2, 2), random.uniform(-2, 2), random.uniform(-1.5, 1.5)};
      const Vec3 direction = (aim - origin).normalized();
      double t;
      Vec3 local, normal;
      if (p.intersect(origin, direction, 100, t, local, normal)) {
        ++hits;
        const Vec3 at = origin + direction * t;
        EXPECT_TRUE(p.contains(at + direction * 1e-6)) << int(shape);
        EXPECT_FALSE(p.contains(at - direction * 1e-6)) << int(shape);
        EXPECT_NEAR(normal.norm(), 1.0, 1e-9);
        EXPECT_LT(p.direction_from_local(normal).dot(direction), 1e-9) << "normals face the ray";
        // Nothing of the solid lies before the hit.
        for (int k = 1; k < 50; ++k) ASSERT_FALSE(p.contains(origin + direction * (t * k / 50.0 - 1e-6)));
      } else {
        for (int k = 0; k <= 400; ++k)
          ASSERT_FALSE(p.contains(origin + direction * (k * 0.05))) << int(shape);
      }
    }
  }
  EXPECT_GT(hits, 2000);
}

TEST(SynthShapes, VoxelOverlapFindsEverySampledPoint) {
  Random random(4);
  int overlapping = 0, disjoint = 0;
  for (Shape shape : {Shape::box, Shape::cylinder, Shape::spheroid}) {
    for (int i = 0; i < 2000; ++i) {
      const Primitive p = random_primitive(random, shape);
      const Vec3 lower =
          p.centre + Vec3{random.uniform(-2.4, 2.0), random.uniform(-2.4, 2.0), random.uniform(-1.9, 1.5)};
      const Vec3 upper = lower + Vec3{0.4, 0.4, 0.4};
      bool sampled_inside = false;
      for (int a = 0; a <= 8 && !sampled_inside; ++a) {
        for (int b = 0; b <= 8 && !sampled_inside; ++b) {
          for (int c = 0; c <= 8 && !sampled_inside; ++c) {
            sampled_inside = p.contains(lower + Vec3{0.05 * a, 0.05 * b, 0.05 * c});
          }
        }
      }
      const bool overlaps = p.overlaps_box(lower, upper);
      if (sampled_inside) {
        EXPECT_TRUE(overlaps) << int(shape) << " misses a voxel it fills";
      }
      overlapping += overlaps;
      disjoint += !overlaps;
      // A voxel grown by 5 cm on every side holds a sample of anything that overlaps it.
      if (overlaps && !sampled_inside) {
        bool near = false;
        for (int a = 0; a <= 10 && !near; ++a) {
          for (int b = 0; b <= 10 && !near; ++b) {
            for (int c = 0; c <= 10 && !near; ++c) {
              near = p.contains(lower + Vec3{0.05 * a - 0.05, 0.05 * b - 0.05, 0.05 * c - 0.05});
            }
          }
        }
        EXPECT_TRUE(near) << int(shape) << " claims a voxel far from it";
      }
    }
  }
  EXPECT_GT(overlapping, 500);
  EXPECT_GT(disjoint, 500);
}

}  // namespace
}  // namespace occ::synth
