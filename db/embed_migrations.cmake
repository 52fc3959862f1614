# Script mode: writes OUTPUT, a C++ source defining EmbeddedMigrations() from the files in MIGRATIONS
# ("|"-separated paths named V<version>__<name>.sql, in version order).
string(REPLACE "|" ";" files "${MIGRATIONS}")
set(delimiter "payrecon_sql")
set(body "")
set(previous 0)
foreach(file IN LISTS files)
  get_filename_component(base "${file}" NAME)
  if(NOT base MATCHES "^V([0-9]+)__([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file name must be V<number>__<snake_case>.sql: ${base}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  math(EXPR next "${previous} + 1")
  if(NOT version EQUAL next)
    message(FATAL_ERROR "migrations must be numbered 1, 2, 3 … without gaps: ${base} follows version ${previous}")
  endif()
  set(previous ${version})
  file(READ "${file}" sql)
  string(FIND "${sql}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${base} contains the raw string delimiter )${delimiter}\"")
  endif()
  string(APPEND body "      {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
endforeach()
set(content "// Generated from migrations/*.sql by db/embed_migrations.cmake. Do not edit.
#include \"db/migrate.h\"

namespace payrecon::db {

const std::vector<Migration>& EmbeddedMigrations() {
  static const std::vector<Migration> kMigrations = {
${body}  };
  return kMigrations;
}

}  // namespace payrecon::db
")
# Rewrite only on change, so an unchanged migration set does not rebuild.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
