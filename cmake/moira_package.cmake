# moira as a CMake package. Consumers include moira's headers with one spelling, in-tree and
# installed: "runtime/moira.hpp", "sim/sim.hpp", "scenarios/scenario.hpp", "properties/property.hpp",
# "tools/cli.hpp". In-tree they see only those folders, through links in the build tree, never the
# repo root (with tests/, bench/ and the rest of tools/); installed, they live in include/moira/.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MOIRA_PUBLIC_INCLUDE ${PROJECT_BINARY_DIR}/moira_include)
file(MAKE_DIRECTORY ${MOIRA_PUBLIC_INCLUDE}/tools)
foreach(_dir runtime sim scenarios properties)
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${_dir} ${MOIRA_PUBLIC_INCLUDE}/${_dir} SYMBOLIC)
endforeach()
file(CREATE_LINK ${PROJECT_SOURCE_DIR}/tools/cli.hpp ${MOIRA_PUBLIC_INCLUDE}/tools/cli.hpp SYMBOLIC)

# A library users link, as moira::<export_name>. moira's own sources keep the repo root (first, so
# they read each header by one path); consumers get the public folders only.
function(moira_public_library target export_name)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${MOIRA_PUBLIC_INCLUDE}>
                                              $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/moira>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  add_library(moira::${export_name} ALIAS ${target})
  set_property(GLOBAL APPEND PROPERTY MOIRA_EXPORTED_TARGETS ${target})
endfunction()

function(moira_install_package)
  get_property(_targets GLOBAL PROPERTY MOIRA_EXPORTED_TARGETS)
  install(TARGETS ${_targets} EXPORT moiraTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  if(TARGET moira)
    install(TARGETS moira RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime ${PROJECT_SOURCE_DIR}/sim ${PROJECT_SOURCE_DIR}/scenarios
                    ${PROJECT_SOURCE_DIR}/properties
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/moira
          FILES_MATCHING PATTERN "*.hpp" PATTERN "tests" EXCLUDE PATTERN "trace_html" EXCLUDE)
  install(FILES ${PROJECT_SOURCE_DIR}/tools/cli.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/moira/tools)

  set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/moira)
  install(EXPORT moiraTargets NAMESPACE moira:: DESTINATION ${_cmake_dir})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/moiraConfig.cmake.in
                                ${PROJECT_BINARY_DIR}/moiraConfig.cmake INSTALL_DESTINATION ${_cmake_dir})
  # 0.x: a minor version may break the API, so only the same minor version is compatible.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/moiraConfigVersion.cmake COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/moiraConfig.cmake ${PROJECT_BINARY_DIR}/moiraConfigVersion.cmake
          DESTINATION ${_cmake_dir})

  file(RELATIVE_PATH MOIRA_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/moira.pc.in ${PROJECT_BINARY_DIR}/moira.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/moira.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
