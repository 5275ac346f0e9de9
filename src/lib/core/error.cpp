#include "core/error.h"

namespace occ {

std::string quoted(const std::string& name) {
  return "'" + name + "'";
}

}  // namespace occ
