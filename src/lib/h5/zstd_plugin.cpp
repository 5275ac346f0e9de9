// Entry points HDF5 looks for when it loads h5zstd.so from HDF5_PLUGIN_PATH,
// so files written with --compression zstd open in stock h5py and h5dump.
#include <H5PLextern.h>

#include "h5/zstd_filter.h"

extern "C" {
H5PL_type_t H5PLget_plugin_type(void) {
  return H5PL_TYPE_FILTER;
}
const void* H5PLget_plugin_info(void) {
  return occ::h5::zstd_filter_class();
}
}
