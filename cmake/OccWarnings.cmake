# Warnings for occ's own targets only; third-party headers come in as SYSTEM
# includes through their imported targets, so they do not trip -Werror.
function(occ_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(OCC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
