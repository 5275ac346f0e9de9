# Turns data/schemas/*.json into a C++ source holding each file's text, so the
# validator needs no installed data folder to find them.
# Invoked as: cmake -DSCHEMA_DIR=... -DOUTPUT=... -P EmbedSchemas.cmake
file(GLOB schema_files "${SCHEMA_DIR}/*.json")
list(SORT schema_files)
set(body "// Generated from data/schemas by cmake/EmbedSchemas.cmake: do not edit.\n")
string(APPEND body "#include \"h5/schema_registry.h\"\n\nnamespace occ::h5 {\n\n")
string(APPEND body "const std::vector<EmbeddedSchema>& embedded_schemas() {\n")
string(APPEND body "  static const std::vector<EmbeddedSchema> schemas = {\n")
foreach(f ${schema_files})
  get_filename_component(kind "${f}" NAME_WE)
  file(READ "${f}" text)
  string(APPEND body "    {\"${kind}\", R\"occschema(${text})occschema\"},\n")
endforeach()
string(APPEND body "  };\n  return schemas;\n}\n\n}  // namespace occ::h5\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
