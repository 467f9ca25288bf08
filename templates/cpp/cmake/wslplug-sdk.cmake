# Which WslPluginApi.h the plugin compiles against, and a check that its layout is the one this
# project was written for.
#
#   WSLPLUG_SDK empty             the project's own include/WslPluginApi.h
#   WSLPLUG_SDK nuget[:VERSION]   Microsoft.WSL.PluginApi from nuget.org (VERSION default 2.9.3),
#                                 checked against WSLPLUG_SDK_SHA256 (required: pin it)
#   WSLPLUG_SDK /path/x.nupkg     a package you already have (offline CI)
#   WSLPLUG_SDK /path/folder      an extracted package, or a folder holding WslPluginApi.h
#
# A .nupkg is a zip; the header is build/native/include/WslPluginApi.h. The result is
# WSLPLUG_API_INCLUDE (the include directory) and ${CMAKE_BINARY_DIR}/wslplug-api-header.txt (the
# header's path, read by `wslplug build`).
set(WSLPLUG_SDK "{{sdk}}" CACHE STRING
    "WslPluginApi.h: empty (include/), nuget[:VERSION], a .nupkg or a folder")
set(WSLPLUG_SDK_SHA256 "{{sdk_sha256}}" CACHE STRING
    "SHA-256 of the Microsoft.WSL.PluginApi .nupkg that WSLPLUG_SDK=nuget downloads")

set(_wslplug_bundled "${CMAKE_CURRENT_SOURCE_DIR}/include")
set(_wslplug_sdk_dir "${CMAKE_BINARY_DIR}/wslplug-sdk")
if(WSLPLUG_SDK STREQUAL "")
  set(WSLPLUG_API_INCLUDE "${_wslplug_bundled}")
else()
  set(_package "")
  if(WSLPLUG_SDK MATCHES "^nuget(:(.+))?$")
    set(_version "${CMAKE_MATCH_2}")
    if(_version STREQUAL "")
      set(_version "2.9.3")
    endif()
    if(NOT WSLPLUG_SDK_SHA256 MATCHES "^[0-9a-fA-F]+$" OR NOT WSLPLUG_SDK_SHA256 MATCHES "^.{64}$")
      message(FATAL_ERROR
        "WSLPLUG_SDK=${WSLPLUG_SDK}: no SHA-256 pinned for Microsoft.WSL.PluginApi ${_version}. "
        "Download https://www.nuget.org/api/v2/package/Microsoft.WSL.PluginApi/${_version} once, "
        "check it, and configure with -DWSLPLUG_SDK_SHA256=<its sha256sum>")
    endif()
    set(_package "${_wslplug_sdk_dir}/Microsoft.WSL.PluginApi.${_version}.nupkg")
    if(NOT EXISTS "${_package}")
      file(DOWNLOAD
        "https://www.nuget.org/api/v2/package/Microsoft.WSL.PluginApi/${_version}" "${_package}"
        EXPECTED_HASH SHA256=${WSLPLUG_SDK_SHA256} TLS_VERIFY ON STATUS _status)
      list(GET _status 0 _code)
      if(NOT _code EQUAL 0)
        file(REMOVE "${_package}")
        message(FATAL_ERROR "WSLPLUG_SDK=${WSLPLUG_SDK}: download failed: ${_status}")
      endif()
    endif()
  elseif(IS_DIRECTORY "${WSLPLUG_SDK}")
    set(_root "${WSLPLUG_SDK}")
  elseif(EXISTS "${WSLPLUG_SDK}")
    set(_package "${WSLPLUG_SDK}")
    file(SHA256 "${_package}" _sha)
    if(NOT WSLPLUG_SDK_SHA256 STREQUAL "" AND NOT _sha STREQUAL WSLPLUG_SDK_SHA256)
      message(FATAL_ERROR "WSLPLUG_SDK=${WSLPLUG_SDK}: SHA-256 ${_sha}, expected "
                          "${WSLPLUG_SDK_SHA256} (WSLPLUG_SDK_SHA256)")
    endif()
  else()
    message(FATAL_ERROR "WSLPLUG_SDK=${WSLPLUG_SDK}: no such file or folder (give nuget[:VERSION], "
                        "a .nupkg or a folder)")
  endif()
  if(NOT _package STREQUAL "")
    set(_root "${_wslplug_sdk_dir}/extracted")
    file(REMOVE_RECURSE "${_root}")
    file(ARCHIVE_EXTRACT INPUT "${_package}" DESTINATION "${_root}")
  endif()
  set(WSLPLUG_API_INCLUDE "")
  foreach(_candidate "${_root}/build/native/include" "${_root}/include" "${_root}")
    if(EXISTS "${_candidate}/WslPluginApi.h")
      set(WSLPLUG_API_INCLUDE "${_candidate}")
      break()
    endif()
  endforeach()
  if(WSLPLUG_API_INCLUDE STREQUAL "")
    message(FATAL_ERROR "WSLPLUG_SDK=${WSLPLUG_SDK}: no WslPluginApi.h in it (looked in "
                        "build/native/include/, include/ and the top folder)")
  endif()

  # The layout check: every struct field of the SDK's header at the offset this project's header
  # (and WSL) has it (x64). The first field that differs stops the configure.
  set(_fields
    "WSLVersion Major 0" "WSLVersion Minor 4" "WSLVersion Revision 8"
    "WSLVmCreationSettings CustomConfigurationFlags 0"
    "WSLSessionInformation SessionId 0" "WSLSessionInformation UserToken 8"
    "WSLSessionInformation UserSid 16"
    "WSLDistributionInformation Id 0" "WSLDistributionInformation Name 16"
    "WSLDistributionInformation PidNamespace 24" "WSLDistributionInformation PackageFamilyName 32"
    "WSLDistributionInformation InitPid 40" "WSLDistributionInformation Flavor 48"
    "WSLDistributionInformation Version 56"
    "WslOfflineDistributionInformation Id 0" "WslOfflineDistributionInformation Name 16"
    "WslOfflineDistributionInformation PackageFamilyName 24"
    "WslOfflineDistributionInformation Flavor 32" "WslOfflineDistributionInformation Version 40"
    "WSLCSessionInformation SessionId 0" "WSLCSessionInformation DisplayName 8"
    "WSLCSessionInformation ApplicationPid 16" "WSLCSessionInformation UserToken 24"
    "WSLCSessionInformation UserSid 32"
    "WSLPluginAPIV1 Version 0" "WSLPluginAPIV1 MountFolder 16" "WSLPluginAPIV1 ExecuteBinary 24"
    "WSLPluginAPIV1 PluginError 32" "WSLPluginAPIV1 ExecuteBinaryInDistribution 40"
    "WSLPluginAPIV1 WSLCMountFolder 48" "WSLPluginAPIV1 WSLCUnmountFolder 56"
    "WSLPluginAPIV1 WSLCCreateProcess 64" "WSLPluginAPIV1 WSLCProcessGetFd 72"
    "WSLPluginAPIV1 WSLCProcessGetExitEvent 80" "WSLPluginAPIV1 WSLCProcessGetExitCode 88"
    "WSLPluginAPIV1 WSLCReleaseProcess 96"
    "WSLPluginHooksV1 OnVMStarted 0" "WSLPluginHooksV1 OnVMStopping 8"
    "WSLPluginHooksV1 OnDistributionStarted 16" "WSLPluginHooksV1 OnDistributionStopping 24"
    "WSLPluginHooksV1 OnDistributionRegistered 32"
    "WSLPluginHooksV1 OnDistributionUnregistered 40" "WSLPluginHooksV1 OnSessionCreated 48"
    "WSLPluginHooksV1 OnSessionStopping 56" "WSLPluginHooksV1 ContainerStarted 64"
    "WSLPluginHooksV1 ContainerStopping 72" "WSLPluginHooksV1 ImageCreated 80"
    "WSLPluginHooksV1 ImageDeleted 88" "WSLPluginHooksV1 WslcVmStarted 96"
    "WSLPluginHooksV1 WslcVmStopping 104")
  set(_check "#include <windows.h>\n#include <stddef.h>\n#include \"WslPluginApi.h\"\n")
  foreach(_f IN LISTS _fields)
    string(REPLACE " " ";" _parts "${_f}")
    list(GET _parts 0 _struct)
    list(GET _parts 1 _field)
    list(GET _parts 2 _offset)
    string(APPEND _check "static_assert(offsetof(struct ${_struct}, ${_field}) == ${_offset}, "
                         "\"wslplug-layout ${_struct}.${_field} is not at offset ${_offset}\");\n")
  endforeach()
  file(WRITE "${_wslplug_sdk_dir}/layout_check.cpp" "${_check}")
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  try_compile(_layout_ok "${_wslplug_sdk_dir}/try"
    SOURCES "${_wslplug_sdk_dir}/layout_check.cpp"
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${WSLPLUG_API_INCLUDE}"
    CXX_STANDARD 17
    OUTPUT_VARIABLE _layout_output)
  if(NOT _layout_ok)
    # The compiler's first error decides: a failed static_assert names the field at the wrong
    # offset; any other error (a missing struct or field) is at the source line that names it.
    set(_first "the SDK's header does not compile here")
    string(FIND "${_layout_output}" "error:" _at)
    if(NOT _at EQUAL -1)
      string(SUBSTRING "${_layout_output}" ${_at} -1 _rest)
      if(_rest MATCHES "^error: static assertion failed" AND
         _rest MATCHES "wslplug-layout ([A-Za-z_]+\\.[A-Za-z_]+) is not at offset ([0-9]+)")
        set(_first "${CMAKE_MATCH_1} is not at offset ${CMAKE_MATCH_2} in the SDK's header")
      elseif(_rest MATCHES "offsetof\\(struct ([A-Za-z_]+), ([A-Za-z_]+)\\)")
        set(_first "the SDK's header has no ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
      endif()
    endif()
    message(FATAL_ERROR
      "WSLPLUG_SDK=${WSLPLUG_SDK}: ${WSLPLUG_API_INCLUDE}/WslPluginApi.h does not have the layout "
      "this project was written for: ${_first}. Use a Microsoft.WSL.PluginApi 2.9.x header, or "
      "configure with -DWSLPLUG_SDK= for the project's own include/WslPluginApi.h.\n"
      "${_layout_output}")
  endif()
endif()
message(STATUS "wslplug: compiling against ${WSLPLUG_API_INCLUDE}/WslPluginApi.h")
file(WRITE "${CMAKE_BINARY_DIR}/wslplug-api-header.txt"
     "${WSLPLUG_API_INCLUDE}/WslPluginApi.h\n${WSLPLUG_SDK}\n")
