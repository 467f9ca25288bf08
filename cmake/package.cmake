# The Debian package: `cpack -G DEB` in the build directory (or `cmake --build B --target package`)
# writes wslplug_<version>_<arch>.deb from the install rules.
#
# Dependencies:
# - Depends: the shared libraries the binary links (libssl3, libfmt9, libstdc++6, libc6, ...),
#   computed by dpkg-shlibdeps from the built binary, so they are exact for the distribution
#   that built it. Every command but `run` needs nothing else.
# - Recommends: wine64 and wine, which `wslplug run` (and `build --run`) load the plugin with; the
#   other commands work without them and `run` names the packages when wine is missing.
# - Suggests: what `wslplug build` drives for plugin projects (MinGW-w64 and CMake for C++,
#   Debian's Rust with the Windows standard library for Rust) and osslsigncode, an independent
#   verifier of what `sign` writes. wslplug signs and verifies by itself.
set(CPACK_PACKAGE_NAME wslplug)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "build, sign, register and diagnose WSL plugins")
set(CPACK_PACKAGE_DESCRIPTION
    "wslplug does the whole loop of a Windows Subsystem for Linux plugin on Linux: scaffolds a \
project (Rust or C++), cross-builds the DLL, Authenticode-signs and verifies it, timestamps it, \
writes the .reg files that register it, runs it in a faithful WSL plugin host under wine, and \
explains every plugin error code WSL prints.")
# The Maintainer field and the changelog's signature. The default is the project's name with a
# placeholder address (.invalid never resolves): whoever publishes the package sets their own with
# -DWSLPLUG_MAINTAINER="Name <address>" (README: Installing).
set(WSLPLUG_MAINTAINER "wslplug maintainers <maintainers@wslplug.invalid>"
    CACHE STRING "Maintainer of the .deb: \"Name <address>\"")
set(CPACK_PACKAGE_CONTACT "${WSLPLUG_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${WSLPLUG_MAINTAINER}")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "wine64, wine, bubblewrap")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "g++-mingw-w64-x86-64, cmake, ninja-build, cargo, rustc, libstd-rust-dev-windows, osslsigncode")
# The Debian changelog (cmake/changelog.in: newest entry first, one per version, its version the
# project's), signed by the maintainer and installed as Debian installs a native package's:
# /usr/share/doc/wslplug/changelog.gz, compressed with gzip -9n (no name, no time: reproducible).
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${CMAKE_BINARY_DIR}/debian/changelog @ONLY)
execute_process(COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/debian/changelog
                OUTPUT_FILE ${CMAKE_BINARY_DIR}/debian/changelog.gz.new COMMAND_ERROR_IS_FATAL ANY)
file(COPY_FILE ${CMAKE_BINARY_DIR}/debian/changelog.gz.new ${CMAKE_BINARY_DIR}/debian/changelog.gz
     ONLY_IF_DIFFERENT)
install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Only the install rules of this project, never a dependency's.
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};${PROJECT_NAME};ALL;/")
set(CPACK_OUTPUT_FILE_PREFIX packages)
include(CPack)
