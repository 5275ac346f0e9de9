#include "geom/pinhole.h"

namespace occ::geom {

PinholeCamera PinholeCamera::resized(int new_width, int new_height) const {
  PinholeCamera result = *this;
  const double sx = static_cast<double>(new_width) / width;
  const double sy = static_cast<double>(new_height) / height;
  result.fx = fx * sx;
  result.cx = cx * sx;
  result.fy = fy * sy;
  result.cy = cy * sy;
  result.width = new_width;
  result.height = new_height;
  return result;
}

}  // namespace occ::geom
