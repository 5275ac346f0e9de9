#include "module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "core/version.h"

#ifndef OCC_MODULE_DIR_FROM_BIN
#error "OCC_MODULE_DIR_FROM_BIN (the installed module folder relative to the installed occ) is not defined"
#endif

namespace occ::cmd {
namespace {

// The folder of the running executable (symbolic links resolved).
std::string executable_dir() {
  std::vector<char> buffer(4096);
  const ssize_t length = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (length <= 0)
    throw Error(str("cannot find the occ executable (/proc/self/exe): ", std::strerror(errno)));
  const std::string path(buffer.data(), static_cast<size_t>(length));
  return path.substr(0, path.rfind('/'));
}

}  // namespace

std::string module_file(Home home) {
  switch (home) {
    case Home::data_module:
      return "libocc_data_commands.so";
    case Home::torch_module:
      return "libocc_torch_commands.so";
    case Home::executable:
      break;
  }
  return "the occ executable";
}

ModuleMain open_module(Home home) {
  const std::string file = module_file(home);
  const std::string dir = executable_dir();
  const std::vector<std::string> candidates = {
      (std::filesystem::path(dir) / OCC_MODULE_DIR_FROM_BIN / file).lexically_normal().string(),
      dir + "/" + file};
  std::vector<std::string> failures;
  for (const std::string& path : candidates) {
    if (access(path.c_str(), F_OK) != 0) {
      failures.push_back(str(quoted(path), ": ", std::strerror(errno)));
      continue;
    }
    // RTLD_LOCAL: the module's symbols stay its own; it is never closed.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      failures.push_back(str(quoted(path), ": ", dlerror()));
      continue;
    }
    auto* version = reinterpret_cast<const char* (*)()>(dlsym(handle, "occ_module_version"));
    auto* entry = reinterpret_cast<ModuleMain>(dlsym(handle, "occ_module_main"));
    if (!version || !entry) {
      failures.push_back(str(quoted(path), ": not an occ command module"));
      continue;
    }
    if (std::strcmp(version(), OCC_VERSION) != 0) {
      failures.push_back(str(quoted(path), ": belongs to occ ", version(), ", this is occ ", OCC_VERSION));
      continue;
    }
    return entry;
  }
  throw Error(str("cannot load the command module ", file, ": ", join(failures, "; "),
                  " (reinstall occ: the module belongs beside the occ executable)"));
}

}  // namespace occ::cmd
