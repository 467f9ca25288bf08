# WSLPLUG_FUZZ: instrument every library for libFuzzer (coverage, ASan, UBSan) so the targets in
# fuzz/ can be built. Included by the top-level CMakeLists.txt before the libraries; scripts/fuzz
# configures its own build directory with it. Needs clang >= 16 (libstdc++'s std::expected needs
# conditionally trivial destructors, which clang 14 and 15 lack).
option(WSLPLUG_FUZZ "Build the libFuzzer targets in fuzz/ (clang only; instruments every library)"
       OFF)
if(WSLPLUG_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
    message(FATAL_ERROR
      "WSLPLUG_FUZZ needs clang >= 16 (libFuzzer), found ${CMAKE_CXX_COMPILER_ID} "
      "${CMAKE_CXX_COMPILER_VERSION}: configure with -DCMAKE_CXX_COMPILER=clang++-19 "
      "-DCMAKE_C_COMPILER=clang-19 (scripts/fuzz does; scripts/setup installs clang-19)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
