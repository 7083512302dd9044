# cmake/revision.cmake - writes the header that gives migration_webhook_build_info its
# revision (docs/operations.md#metrics-and-alerts).  The mw_revision target runs it at every
# build, so a rebuild after a new commit reports that commit:
#
#   cmake -DREVISION=<given> -DSOURCE_DIR=<tree> -DGIT=<git> -DOUTPUT=<header> -P cmake/revision.cmake
#
# REVISION (the configure step's -DMW_REVISION; the image build passes its REVISION build arg)
# wins; else the commit of SOURCE_DIR (git rev-parse --short=12 HEAD); else "unknown" (no git, or
# not a git checkout).  OUTPUT is rewritten only when its text changes: a build at the same
# revision recompiles nothing.
set(revision "${REVISION}")
if(NOT revision AND GIT)
  execute_process(COMMAND "${GIT}" rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc
    OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT rc EQUAL 0)
    set(revision "")
  endif()
endif()
if(NOT revision)
  set(revision "unknown")
endif()
# A C string literal: backslashes and quotes escaped, no line breaks.
string(REPLACE "\\" "\\\\" revision "${revision}")
string(REPLACE "\"" "\\\"" revision "${revision}")
string(REGEX REPLACE "[\r\n]" " " revision "${revision}")
set(text "/* Written by cmake/revision.cmake at build time. */\n#define MW_REVISION \"${revision}\"\n")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
