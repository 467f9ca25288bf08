# Writes the shell completions and the man page by running the built wslplug, so they list
# exactly the commands and options of that binary.
# Usage: cmake -DWSLPLUG=<wslplug binary> -DOUT_DIR=<dir> -P generate.cmake
if(NOT WSLPLUG OR NOT OUT_DIR)
  message(FATAL_ERROR "generate.cmake: WSLPLUG and OUT_DIR are required")
endif()
file(MAKE_DIRECTORY ${OUT_DIR})
foreach(pair "bash;wslplug.bash" "zsh;_wslplug" "fish;wslplug.fish" "powershell;wslplug.ps1"
             "manpage;wslplug.1")
  list(GET pair 0 what)
  list(GET pair 1 file)
  if(what STREQUAL "manpage")
    set(args manpage)
  else()
    set(args completion ${what})
  endif()
  execute_process(COMMAND ${WSLPLUG} ${args} OUTPUT_FILE ${OUT_DIR}/${file}.tmp
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "wslplug ${args} failed (${rc}): ${err}")
  endif()
  file(RENAME ${OUT_DIR}/${file}.tmp ${OUT_DIR}/${file})
endforeach()
# Man pages are installed compressed (Debian policy); -n keeps the archive reproducible.
execute_process(COMMAND gzip -9nf ${OUT_DIR}/wslplug.1 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip of the man page failed (${rc})")
endif()
