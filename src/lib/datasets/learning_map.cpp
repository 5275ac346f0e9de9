#include "datasets/learning_map.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"

namespace occ::datasets {

std::map<int, int> read_learning_map(const std::string& yaml_path) {
  std::ifstream in(yaml_path);
  if (!in) throw IoError(str("cannot open ", occ::quoted(yaml_path)));
  std::map<int, int> map;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    const auto comment = line.find('#');
    if (comment != std::string::npos) line.resize(comment);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    if (!indented) {
      inside = line.rfind("learning_map:", 0) == 0;
      continue;
    }
    if (!inside) continue;
    std::istringstream fields(line);
    int raw = 0, mapped = 0;
    char colon = 0;
    if (!(fields >> raw >> colon >> mapped) || colon != ':') {
      throw FormatError(
          str("cannot read ", occ::quoted(yaml_path), ": malformed learning_map line '", line, "'"));
    }
    map[raw] = mapped;
  }
  if (map.empty()) throw FormatError(str("cannot read ", occ::quoted(yaml_path), ": no learning_map block"));
  return map;
}

std::vector<uint8_t> completion_lut(const std::map<int, int>& learning_map) {
  const int max_key = learning_map.rbegin()->first;
  std::vector<uint8_t> lut(static_cast<size_t>(max_key + 100), 0);  // the official "+100 hack"
  for (const auto& [raw, mapped] : learning_map) {
    if (raw >= 0) lut[static_cast<size_t>(raw)] = static_cast<uint8_t>(mapped);
  }
  for (auto& value : lut) {
    if (value == 0) value = 255;
  }
  lut[0] = 0;
  return lut;
}

}  // namespace occ::datasets
